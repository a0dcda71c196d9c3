"""node_invoice_effect: Persists invoices in the team store."""
