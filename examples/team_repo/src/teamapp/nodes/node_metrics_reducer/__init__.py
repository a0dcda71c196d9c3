"""node_metrics_reducer: Folds usage events into per-key metrics."""
