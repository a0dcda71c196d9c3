"""Persists user accounts in the team store."""
