"""One parse per file: a parsed module with its scope metadata, shared by every extractor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import libcst as cst
from libcst.metadata import CodeRange, GlobalScope, MetadataWrapper, PositionProvider, ScopeProvider


@dataclass(frozen=True)
class TopLevel:
    """A module-level statement and the names it binds."""

    statement: cst.CSTNode
    names: tuple[str, ...]
    is_import: bool


@dataclass
class ParsedFile:
    """A node file parsed once. ``rel`` is relative to the node root (posix)."""

    path: Path
    rel: str
    wrapper: MetadataWrapper
    _code_cache: dict[int, str] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, path: Path, rel: str) -> ParsedFile:
        source = path.read_bytes()
        return cls(path=path, rel=rel, wrapper=MetadataWrapper(cst.parse_module(source)))

    @property
    def module(self) -> cst.Module:
        return self.wrapper.module

    @cached_property
    def _metadata(self) -> tuple[GlobalScope, Mapping[cst.CSTNode, CodeRange]]:
        """Scopes and positions, resolved together in one batched pass over the module."""
        resolved = self.wrapper.resolve_many([ScopeProvider, PositionProvider])
        scope = resolved[ScopeProvider][self.module]
        assert isinstance(scope, GlobalScope)
        positions = resolved[PositionProvider]
        return scope, positions  # type: ignore[return-value]

    @property
    def global_scope(self) -> GlobalScope:
        return self._metadata[0]

    def lines(self, node: cst.CSTNode) -> tuple[int, int]:
        position = self._metadata[1].get(node)
        return (position.start.line, position.end.line) if position else (0, 0)

    @cached_property
    def top_level(self) -> dict[str, TopLevel]:
        """Name -> the module-level statement that binds it (imports, defs, classes, assignments)."""
        bound: dict[str, TopLevel] = {}
        for statement in self.module.body:
            names, is_import = _bound_names(statement)
            for name in names:
                bound.setdefault(name, TopLevel(statement, names, is_import))
        return bound

    def code(self, node: cst.CSTNode) -> str:
        key = id(node)
        if key not in self._code_cache:
            self._code_cache[key] = self.module.code_for_node(node)
        return self._code_cache[key]

    def global_names_used_by(self, node: cst.CSTNode) -> list[str]:
        """Module-level names that ``node`` refers to (resolved through libcst's ScopeProvider)."""
        inside = {id(n) for n in _descendants(node)}
        used = []
        for assignment in self.global_scope.assignments:
            if any(id(access.node) in inside for access in assignment.references):
                used.append(assignment.name)
        return sorted(set(used))


def _descendants(node: cst.CSTNode) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(current.children)
    return found


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
