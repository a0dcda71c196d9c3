"""Request and result models of node_metrics_reducer."""
