"""Request and result models of node_invoice_effect."""
