"""The shipped Jinja2 templates. A team's own templates folder overrides them file by file."""
