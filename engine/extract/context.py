"""A node being mined: its files parsed once each, and how its modules import one another."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from nodeforge.extract.source import ParsedFile, dotted_name
from nodeforge.nodes import DIRECTORY, NodeSource


@dataclass
class NodeContext:
    """Parses each file of one node at most once; resolves imports between the node's modules."""

    node: NodeSource
    commit: str = ""
    operations_by_handler: dict[str, str] = field(default_factory=dict)  # handler class -> operation
    _parsed: dict[str, ParsedFile] = field(default_factory=dict)

    @property
    def base(self) -> Path:
        return self.node.root if self.node.layout == DIRECTORY else self.node.root.parent

    def rel(self, path: Path) -> str:
        return path.relative_to(self.base).as_posix()

    def parsed(self, rel: str) -> ParsedFile:
        """The parsed file at ``rel`` (relative to the node root). Raises libcst.ParserSyntaxError."""
        if rel not in self._parsed:
            self._parsed[rel] = ParsedFile.parse(self.base / rel, rel)
        return self._parsed[rel]

    def python_files(self) -> list[str]:
        return [self.rel(p) for p in self.node.files if p.suffix == ".py"]

    def sibling_module(self, importing_rel: str, statement: cst.ImportFrom) -> str | None:
        """The node-relative path of the module a relative import names, if it is inside the node."""
        if not statement.relative:
            return None
        level = len(statement.relative)
        parts = importing_rel.split("/")[:-1]
        if level - 1 > len(parts):
            return None
        package = parts[: len(parts) - (level - 1)]
        module = dotted_name(statement.module).split(".") if statement.module is not None else []
        candidate = "/".join([*package, *module])
        for rel in (f"{candidate}.py", f"{candidate}/__init__.py"):
            if (self.base / rel).is_file():
                return rel
        return None
