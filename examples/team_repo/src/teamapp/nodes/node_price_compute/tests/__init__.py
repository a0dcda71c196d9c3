"""Tests of node_price_compute, one module per operation."""
