"""Request and result models of node_user_effect."""
