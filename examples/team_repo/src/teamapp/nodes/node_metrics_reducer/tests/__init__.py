"""Tests of node_metrics_reducer, one module per operation."""
