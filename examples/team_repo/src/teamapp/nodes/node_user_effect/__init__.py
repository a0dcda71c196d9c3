"""node_user_effect: Persists user accounts in the team store."""
