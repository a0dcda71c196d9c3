"""Folds usage events into per-key metrics."""
