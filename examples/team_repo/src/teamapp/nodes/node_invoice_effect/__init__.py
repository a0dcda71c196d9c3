"""Persists invoices in the team store."""
