"""Cheap metadata for the extractors: each libcst statement linked to its ``ast`` twin.

LibCST's own ``ScopeProvider`` and ``PositionProvider`` are pure-Python walks over every node of the
module; measured on a 500-line handler module they cost 2.1x and 1.1x the parse itself, which alone
would break the extraction budget (2.5x the bare parse, everything included). The extractors only
need two facts: the line range of a statement, and which module-level names a class or function
refers to. CPython's ``ast`` gives both for about a fifth of the libcst parse, so this provider
parses the same source with ``ast`` and co-walks the two trees statement by statement (expressions
are never visited). Extractors declare ``METADATA_DEPENDENCIES = (AstLinkProvider,)`` and resolve it
through the file's shared ``MetadataWrapper`` like any LibCST metadata.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
from libcst.metadata import BaseMetadataProvider

_BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__", "__doc__", "__spec__", "__package__"}
_FUNCTION = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_FUNCTION_TYPES = frozenset(_FUNCTION)


@dataclass(frozen=True)
class AstLink:
    """A statement's line range (1-based, inclusive) and the ``ast`` node that is the same statement."""

    start: int
    end: int
    tree: ast.AST


def _source_cache(
    root_path: Path, paths: list[str], *, timeout: int | None = None, use_pyproject_toml: bool = False
) -> Mapping[str, object]:
    """Marks the provider as needing a cache: the file's source text, given to ``MetadataWrapper``."""
    return {}


class AstLinkProvider(BaseMetadataProvider[AstLink]):
    """Links every statement (simple, compound, except clause) to its ``ast`` node.

    The cache is the module's source text (``MetadataWrapper(module, cache={AstLinkProvider: text})``).
    Source that ``ast`` of the running Python cannot parse yields no links; callers then see lines
    ``(0, 0)`` and fall back to a libcst name walk.
    """

    gen_cache = _source_cache  # type: ignore[assignment]  # a marker: the cache is the source text

    def _gen_impl(self, module: cst.Module) -> None:
        source = self.cache if isinstance(self.cache, str) else ""
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            return
        self._pair(module.body, tree.body)

    def _link(self, node: cst.CSTNode, first: ast.stmt | ast.excepthandler, last: ast.AST) -> None:
        start = first.lineno
        decorators = getattr(first, "decorator_list", None)
        if decorators:
            start = min(start, *(d.lineno for d in decorators))
        self.set_metadata(node, AstLink(start, getattr(last, "end_lineno", None) or start, first))

    def _pair(self, statements: Sequence[cst.CSTNode], trees: Sequence[ast.stmt]) -> None:
        index = 0
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                group = trees[index : index + len(statement.body)]
                index += len(statement.body)
                if len(group) != len(statement.body) or not group:
                    return
                self._link(statement, group[0], group[-1])
                for small, twin in zip(statement.body, group, strict=True):
                    self._link(small, twin, twin)
                continue
            if index >= len(trees):
                return
            twin = trees[index]
            index += 1
            self._link(statement, twin, twin)
            self._pair_compound(statement, twin)

    def _pair_block(self, block: cst.BaseSuite, trees: Sequence[ast.stmt]) -> None:
        if isinstance(block, cst.IndentedBlock):
            self._pair(block.body, trees)
        elif isinstance(block, cst.SimpleStatementSuite):
            for small, twin in zip(block.body, trees, strict=False):
                self._link(small, twin, twin)

    def _pair_compound(self, statement: cst.CSTNode, twin: ast.stmt) -> None:
        if isinstance(statement, cst.FunctionDef | cst.ClassDef | cst.With):
            self._pair_block(statement.body, getattr(twin, "body", []))
        elif isinstance(statement, cst.If | cst.For | cst.While) and isinstance(
            twin, ast.If | ast.For | ast.AsyncFor | ast.While
        ):
            if isinstance(statement, cst.If) != isinstance(twin, ast.If):
                return
            self._pair_block(statement.body, twin.body)
            self._pair_else(statement.orelse, twin.orelse)
        elif isinstance(statement, cst.Try | cst.TryStar) and isinstance(twin, ast.Try | ast.TryStar):
            self._pair_block(statement.body, twin.body)
            handlers: Sequence[cst.ExceptHandler | cst.ExceptStarHandler] = statement.handlers
            for handler, twin_handler in zip(handlers, twin.handlers, strict=False):
                self._link(handler, twin_handler, twin_handler)
                self._pair_block(handler.body, twin_handler.body)
            self._pair_else(statement.orelse, twin.orelse)
            if statement.finalbody is not None:
                self._pair_block(statement.finalbody.body, twin.finalbody)

    def _pair_else(self, orelse: cst.CSTNode | None, trees: Sequence[ast.stmt]) -> None:
        if isinstance(orelse, cst.Else):
            self._pair_block(orelse.body, trees)
        elif isinstance(orelse, cst.If) and trees and isinstance(trees[0], ast.If):  # elif
            self._link(orelse, trees[0], trees[0])
            self._pair_compound(orelse, trees[0])


@dataclass(frozen=True)
class References:
    """Names one piece of code reads from outside itself."""

    module_level: frozenset[str]  # bound at module level (imports, definitions, constants)
    unresolved: frozenset[str]  # bound nowhere: not module level, not local, not a builtin


def function_locals(function: ast.AST) -> set[str]:
    """Names bound inside a function (parameters, assignments, imports, nested definitions)."""
    bound: set[str] = set()
    for node in _descendants(function):
        kind = type(node)
        if kind is ast.arg:
            bound.add(node.arg)  # type: ignore[attr-defined]
        elif kind is ast.Name:
            if type(node.ctx) is not ast.Load:  # type: ignore[attr-defined]
                bound.add(node.id)  # type: ignore[attr-defined]
        elif kind in _DEFINITIONS:
            if node is not function:
                bound.add(node.name)  # type: ignore[attr-defined]
        elif kind is ast.alias:
            bound.add((node.asname or node.name).split(".")[0])  # type: ignore[attr-defined]
        elif kind is ast.ExceptHandler and node.name:  # type: ignore[attr-defined]
            bound.add(node.name)  # type: ignore[attr-defined]
    return bound


_DEFINITIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})


def _descendants(root: ast.AST) -> list[ast.AST]:
    """``root`` and every node under it, as ``ast.walk`` finds them (in another order).

    ``ast.walk`` goes through two generators per node; this reads each node's fields in place. A
    name's ``ctx`` (``Load``, ``Store``...) is a leaf no caller asks about, so it is not listed.
    """
    found = [root]
    index = 0
    while index < len(found):
        node = found[index]
        index += 1
        if type(node) is ast.Name:
            continue
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                found.append(value)
            elif isinstance(value, list):
                found.extend(item for item in value if isinstance(item, ast.AST))
    return found


def references(
    trees: Iterable[ast.AST],
    module_names: frozenset[str],
    context: frozenset[str],
    locals_of: Callable[[ast.AST], frozenset[str]] | None = None,
) -> References:
    """Module-level and unresolved names read by ``trees``; ``context`` names are bound around them.

    ``locals_of`` gives a function's ``function_locals`` (a caller's cache; default: computed).
    """
    used: set[str] = set()
    unresolved: set[str] = set()
    local_names = locals_of or (lambda function: frozenset(function_locals(function)))

    def visit(node: ast.AST, bound: frozenset[str]) -> None:
        kind = type(node)
        if kind is ast.Name:
            name = node.id  # type: ignore[attr-defined]
            if type(node.ctx) is ast.Load and name not in bound:  # type: ignore[attr-defined]
                if name in module_names:
                    used.add(name)
                elif name not in _BUILTINS:
                    unresolved.add(name)
            return  # its only child is its ``ctx``
        if kind in _FUNCTION_TYPES:
            assert isinstance(node, _FUNCTION)
            # Defaults, decorators and annotations are read in the enclosing scope.
            outer: list[ast.AST] = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
            if not isinstance(node, ast.Lambda):
                outer += [*node.decorator_list, *(a.annotation for a in _args(node) if a.annotation)]
                outer += [node.returns] if node.returns is not None else []
            for child in outer:
                visit(child, bound)
            inner = bound | local_names(node)
            body: list[ast.AST] = list(node.body) if isinstance(node.body, list) else [node.body]
            for child in body:
                visit(child, inner)
            return
        # ``ast.iter_child_nodes``, without its two generators per node.
        for field_name in node._fields:
            value = getattr(node, field_name, None)
            if isinstance(value, ast.AST):
                visit(value, bound)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        visit(item, bound)

    for tree in trees:
        visit(tree, context)
    return References(frozenset(used), frozenset(unresolved - module_names))


def _args(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    args = function.args
    found = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    found += [a for a in (args.vararg, args.kwarg) if a is not None]
    return found


def signature_references(cls: ast.AST, module_names: frozenset[str]) -> frozenset[str]:
    """Module-level names a class's *skeleton* reads: bases, decorators, fields and signatures."""
    if not isinstance(cls, ast.ClassDef):
        return frozenset()
    roots: list[ast.AST] = [*cls.bases, *cls.keywords, *cls.decorator_list]
    for statement in cls.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            roots += [*statement.decorator_list, *(a.annotation for a in _args(statement) if a.annotation)]
            roots += [*statement.args.defaults, *(d for d in statement.args.kw_defaults if d is not None)]
            roots += [statement.returns] if statement.returns is not None else []
        elif not isinstance(statement, ast.ClassDef):
            roots.append(statement)
    loads = {
        node.id
        for root in roots
        for node in ast.walk(root)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return frozenset(loads & module_names)
