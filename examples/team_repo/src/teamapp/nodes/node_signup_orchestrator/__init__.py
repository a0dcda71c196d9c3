"""Signs a user up: records them, then confirms them."""
