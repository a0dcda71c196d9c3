"""``nodeforge eval``: k-fold leave-out regeneration of a repository's nodes, scored against the real ones."""
