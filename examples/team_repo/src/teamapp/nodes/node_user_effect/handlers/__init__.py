"""Handlers of node_user_effect, one module per operation."""
