"""The team's node base classes (its stand-in for ``omnibase_core``)."""
