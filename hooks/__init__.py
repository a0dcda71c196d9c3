"""Entry points that run inside other tools: the post-commit hook and the pytest plugin."""
