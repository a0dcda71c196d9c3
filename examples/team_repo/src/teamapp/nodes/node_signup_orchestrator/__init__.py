"""node_signup_orchestrator: Signs a user up: records them, then confirms them."""
