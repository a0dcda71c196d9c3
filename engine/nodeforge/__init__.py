"""nodeforge: learn proven idioms from committed, test-passing ONEX nodes and reuse them in new ones."""

__version__ = "0.1.0"
