"""Request and result models of node_price_compute."""
