"""One parse per file: a parsed module with its metadata, shared by every extractor."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

import libcst as cst
from libcst.metadata import MetadataWrapper

from nodeforge.extract.metadata import AstLink, AstLinkProvider, References, function_locals, references

VisitorT = TypeVar("VisitorT", bound=cst.CSTVisitor)


@dataclass(frozen=True)
class TopLevel:
    """A module-level statement and the names it binds."""

    statement: cst.CSTNode
    names: tuple[str, ...]
    is_import: bool


@dataclass
class ParsedFile:
    """A node file parsed once. ``rel`` is relative to the node root (posix).

    ``wrapper`` is the file's one ``MetadataWrapper``: extractors that declare
    ``METADATA_DEPENDENCIES`` are run through ``visit`` and share whatever it resolved.
    """

    path: Path
    rel: str
    text: str
    wrapper: MetadataWrapper
    _code_cache: dict[int, tuple[cst.CSTNode, str]] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, path: Path, rel: str) -> ParsedFile:
        """Raises ``libcst.ParserSyntaxError``, ``UnicodeDecodeError`` or ``OSError``."""
        return cls.from_text(path, rel, path.read_bytes().decode("utf-8"))

    @classmethod
    def from_text(cls, path: Path, rel: str, text: str) -> ParsedFile:
        module = cst.parse_module(text)
        # The module was parsed just now and is never mutated: no defensive deep copy (it costs
        # two thirds of the parse).
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True, cache={AstLinkProvider: text})
        return cls(path=path, rel=rel, text=text, wrapper=wrapper)

    @property
    def module(self) -> cst.Module:
        return self.wrapper.module

    def visit(self, visitor: VisitorT, node: cst.CSTNode | None = None) -> VisitorT:
        """Run ``visitor`` over ``node`` (default: the module) with its declared metadata resolved."""
        with visitor.resolve(self.wrapper):
            (node or self.module).visit(visitor)
        return visitor

    @cached_property
    def links(self) -> dict[cst.CSTNode, AstLink]:
        return dict(self.wrapper.resolve(AstLinkProvider))

    def lines(self, node: cst.CSTNode) -> tuple[int, int]:
        link = self.links.get(node)
        return (link.start, link.end) if link else (0, 0)

    @cached_property
    def top_level(self) -> dict[str, TopLevel]:
        """Name -> the module-level statement that binds it (imports, defs, classes, assignments)."""
        bound: dict[str, TopLevel] = {}
        for statement in self.module.body:
            names, is_import = _bound_names(statement)
            for name in names:
                bound.setdefault(name, TopLevel(statement, names, is_import))
        return bound

    @cached_property
    def _module_names(self) -> frozenset[str]:
        return frozenset(self.top_level)

    def code(self, node: cst.CSTNode) -> str:
        key = id(node)
        cached = self._code_cache.get(key)
        if cached is None or cached[0] is not node:
            cached = (node, self.module.code_for_node(node))
            self._code_cache[key] = cached
        return cached[1]

    def references(self, *nodes: cst.CSTNode, within: cst.CSTNode | None = None) -> References:
        """Module-level and unresolved names that ``nodes`` read.

        ``within`` is the function the nodes are statements of (a guard clause of ``handle``): its
        parameters and locals count as bound.
        """
        context: frozenset[str] = frozenset()
        if within is not None and within in self.links:
            context = frozenset(function_locals(self.links[within].tree))
        trees = [self.links[node].tree for node in nodes if node in self.links]
        if len(trees) != len(nodes):
            return _references_by_name(nodes, self._module_names)
        if nodes and all(isinstance(node, cst.SimpleStatementLine) for node in nodes):
            # A line links to its first small statement only; take every one of them.
            trees = [self.links[small].tree for node in nodes for small in node.body if small in self.links]  # type: ignore[attr-defined]
        return references(trees, self._module_names, context)

    def global_names_used_by(self, node: cst.CSTNode) -> list[str]:
        """Module-level names that ``node`` refers to."""
        return sorted(self.references(node).module_level)


class _GatherNamesVisitor(cst.CSTVisitor):
    """Fallback when ``ast`` cannot read the file: every identifier, scoping ignored."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)


def _references_by_name(nodes: tuple[cst.CSTNode, ...], module_names: frozenset[str]) -> References:
    visitor = _GatherNamesVisitor()
    for node in nodes:
        node.visit(visitor)
    own = {n for node in nodes for n in _bound_names(node)[0]}
    return References(frozenset((visitor.names & module_names) - own), frozenset())


def _bound_names(statement: cst.CSTNode) -> tuple[tuple[str, ...], bool]:
    if isinstance(statement, cst.ClassDef | cst.FunctionDef):
        return (statement.name.value,), False
    if not isinstance(statement, cst.SimpleStatementLine):
        return (), False
    names: list[str] = []
    is_import = False
    for small in statement.body:
        if isinstance(small, cst.Import):
            is_import = True
            for alias in small.names:
                target = alias.asname.name if alias.asname else alias.name
                names.append(_dotted(target).split(".")[0])  # type: ignore[arg-type]
        elif isinstance(small, cst.ImportFrom):
            is_import = True
            if isinstance(small.names, cst.ImportStar):
                continue
            for alias in small.names:
                target = alias.asname.name if alias.asname else alias.name
                names.append(_dotted(target))  # type: ignore[arg-type]
        elif isinstance(small, cst.Assign):
            for assign_target in small.targets:
                if isinstance(assign_target.target, cst.Name):
                    names.append(assign_target.target.value)
        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            names.append(small.target.value)
    return tuple(names), is_import


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def dotted_name(node: cst.BaseExpression) -> str:
    return _dotted(node)
