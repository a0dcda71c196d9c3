"""One parse per file: a parsed module with its metadata, shared by every extractor."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

import libcst as cst
from libcst.metadata import MetadataWrapper

from nodeforge.learning.cstwalk import walk
from nodeforge.learning.extract.metadata import (
    AstLink,
    AstLinkProvider,
    References,
    function_locals,
    references,
    signature_references,
)

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
    # ast function -> its locals: ``references`` asks again for every piece of code in a function.
    _function_locals: dict[int, tuple[ast.AST, frozenset[str]]] = field(default_factory=dict, repr=False)
    _references: dict[tuple[int, ...], tuple[tuple[cst.CSTNode | None, ...], References]] = field(
        default_factory=dict, repr=False
    )

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
        if AstLinkProvider in visitor.get_inherited_dependencies():
            self.links  # noqa: B018 -- resolve it our way first (see ``links``)
        with visitor.resolve(self.wrapper):
            walk(node or self.module, visitor)  # libcst's visit would rebuild the tree
        return visitor

    @cached_property
    def links(self) -> Mapping[cst.CSTNode, AstLink]:
        """``AstLinkProvider``'s metadata, resolved once and shared through the wrapper.

        Resolved here rather than by ``wrapper.resolve``: libcst's resolver always runs a batched
        walk of the whole module after a non-batchable provider, even with nothing to batch (a
        44 ms walk of a 500-line module, for nothing). Storing the result in the wrapper means
        visitors declaring ``METADATA_DEPENDENCIES = (AstLinkProvider,)`` find it resolved.
        """
        metadata = self.wrapper._metadata
        if AstLinkProvider not in metadata:
            metadata[AstLinkProvider] = AstLinkProvider(self.text)._gen(self.wrapper)
        return metadata[AstLinkProvider]  # type: ignore[return-value]

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

    @cached_property
    def _lines(self) -> list[str]:
        # Split on "\n" only, as ``ast`` counts lines (``splitlines`` also splits on \f, \x1c...).
        return [line + "\n" for line in self.text.split("\n")]

    @cached_property
    def _top_ids(self) -> frozenset[int]:
        return frozenset(id(statement) for statement in self.module.body)

    def code(self, node: cst.CSTNode) -> str:
        """The source of ``node``: the file itself, a module-level statement's own lines, or generated.

        A module-level statement's lines (decorators to last line, as ``ast`` links them) are exactly
        what libcst would generate for it, minus the comments above it, at no codegen cost.
        """
        if node is self.module:
            return self.text
        key = id(node)
        cached = self._code_cache.get(key)
        if cached is None or cached[0] is not node:
            link = self.links.get(node) if key in self._top_ids else None
            if link is not None:
                text = "".join(self._lines[link.start - 1 : link.end])
                if link.end == len(self._lines):  # the last line has no newline of its own
                    text = text[:-1]
            else:
                text = self.module.code_for_node(node)
            cached = (node, text)
            self._code_cache[key] = cached
        return cached[1]

    def source_text(self, node: cst.CSTNode) -> str:
        """A linked statement's source lines as they are in the file (indented): for reading, not reuse."""
        link = self.links.get(node)
        if link is None:
            return self.code(node)
        return "".join(self._lines[link.start - 1 : link.end])

    def references(self, *nodes: cst.CSTNode, within: cst.CSTNode | None = None) -> References:
        """Module-level and unresolved names that ``nodes`` read.

        ``within`` is the function the nodes are statements of (a guard clause of ``handle``): its
        parameters and locals count as bound.
        """
        key = (*(id(node) for node in nodes), id(within))
        cached = self._references.get(key)
        if cached is not None and all(a is b for a, b in zip(cached[0], (*nodes, within), strict=True)):
            return cached[1]
        found = self._references_uncached(nodes, within)
        self._references[key] = ((*nodes, within), found)
        return found

    def _references_uncached(self, nodes: tuple[cst.CSTNode, ...], within: cst.CSTNode | None) -> References:
        context: frozenset[str] = frozenset()
        if within is not None and within in self.links:
            context = self._locals(within)
        trees = [self.links[node].tree for node in nodes if node in self.links]
        if len(trees) != len(nodes):
            return _references_by_name(nodes, self._module_names)
        if nodes and all(isinstance(node, cst.SimpleStatementLine) for node in nodes):
            # A line links to its first small statement only; take every one of them.
            trees = [self.links[small].tree for node in nodes for small in node.body if small in self.links]  # type: ignore[attr-defined]
        return references(trees, self._module_names, context, self._ast_locals)

    def _locals(self, function: cst.CSTNode) -> frozenset[str]:
        return self._ast_locals(self.links[function].tree)

    def _ast_locals(self, function: ast.AST) -> frozenset[str]:
        key = id(function)
        cached = self._function_locals.get(key)
        if cached is None or cached[0] is not function:
            cached = (function, frozenset(function_locals(function)))
            self._function_locals[key] = cached
        return cached[1]

    def signature_names(self, cls: cst.ClassDef) -> frozenset[str]:
        """Module-level names in a class's bases, decorators, fields and method signatures."""
        link = self.links.get(cls)
        if link is None:
            return _references_by_name((cls,), self._module_names).module_level
        return signature_references(link.tree, self._module_names)


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
        walk(node, visitor)
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
                names.append(_dotted(target).split(".")[0])
        elif isinstance(small, cst.ImportFrom):
            is_import = True
            if isinstance(small.names, cst.ImportStar):
                continue
            for alias in small.names:
                target = alias.asname.name if alias.asname else alias.name
                names.append(_dotted(target))
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


_TEST_FOLDERS = frozenset({"tests", "test", "node_tests"})


def is_test_path(rel: str) -> bool:
    """A node-relative path of test code: in a tests folder, or a test module or conftest by name."""
    *folders, name = rel.split("/")
    return (
        any(folder in _TEST_FOLDERS for folder in folders)
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )
