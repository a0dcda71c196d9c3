"""Request and result models of node_signup_orchestrator."""
