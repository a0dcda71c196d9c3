"""libcst extractors: one parse per file, one ``Gather...Visitor`` per concern."""
