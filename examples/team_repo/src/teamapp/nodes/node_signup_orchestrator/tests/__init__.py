"""Tests of node_signup_orchestrator, one module per operation."""
