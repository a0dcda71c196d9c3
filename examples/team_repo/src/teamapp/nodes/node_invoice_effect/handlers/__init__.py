"""Handlers of node_invoice_effect, one module per operation."""
