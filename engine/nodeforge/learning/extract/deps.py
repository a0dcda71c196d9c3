"""What a piece of mined code needs from outside itself: imports and the node's own definitions.

Learned code uses names defined elsewhere in its node (models, error classes, helpers) and the team's
own modules. A generated node must define or import every one of them, so each pattern carries its
dependencies: import statements reduced to the names used, and the source of every node-local
definition it reaches, followed transitively through the node's sibling modules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import libcst as cst

from nodeforge.learning.extract.context import NodeContext
from nodeforge.learning.extract.source import ParsedFile, TopLevel
from nodeforge.model import Dependency, DependencyKind

Render = Callable[[cst.CSTNode, ParsedFile], str]


def reduce_import(
    statement: cst.SimpleStatementLine, name: str, module: cst.Module
) -> tuple[cst.CSTNode, int]:
    """The import statement cut down to the one alias that binds ``name``, and that alias's index."""
    for small in statement.body:
        if isinstance(small, cst.Import):
            for index, alias in enumerate(small.names):
                bound = alias.asname.name if alias.asname else alias.name
                if module.code_for_node(bound).split(".")[0] == name:
                    return small.with_changes(
                        names=[alias.with_changes(comma=cst.MaybeSentinel.DEFAULT)]
                    ), index
        elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
            for index, alias in enumerate(small.names):
                bound = alias.asname.name if alias.asname else alias.name
                if module.code_for_node(bound) == name:
                    reduced = small.with_changes(
                        names=[alias.with_changes(comma=cst.MaybeSentinel.DEFAULT)], lpar=None, rpar=None
                    )
                    return reduced, index
    return statement, 0


def collect(
    ctx: NodeContext,
    parsed: ParsedFile,
    render: Render,
    *nodes: cst.CSTNode,
    follow_siblings: bool = True,
    within: cst.CSTNode | None = None,
    names: frozenset[str] | None = None,
) -> tuple[Dependency, ...]:
    """Every dependency of ``nodes`` (classes, functions or statements of ``parsed``), transitively.

    Dependencies in ``parsed`` itself get ``origin=""``; those in sibling modules get that module's
    node-relative path as origin. Order is deterministic: by origin, imports first, then definitions
    in source order. ``follow_siblings=False`` keeps relative imports as imports (a test's import
    of the handler it tests must not carry the handler). ``within`` is the function that ``nodes``
    are statements of (guard clauses): its locals are not dependencies. ``names`` overrides the
    module-level names ``nodes`` read (a class skeleton reads only its signatures).
    """
    found: dict[tuple[str, str, str], Dependency] = {}
    order: dict[tuple[str, str, str], tuple[str, int, int, int]] = {}
    seen: set[tuple[str, str]] = set()
    walk = _Walk(ctx, render, follow_siblings, found, order, seen)
    if names is None:
        names = parsed.references(*nodes, within=within).module_level if nodes else frozenset()
    _collect_names(walk, parsed, sorted(names), nodes, origin="")
    return tuple(found[key] for key in sorted(found, key=lambda k: order[k]))


@dataclass
class _Walk:
    ctx: NodeContext
    render: Render
    follow_siblings: bool
    found: dict[tuple[str, str, str], Dependency]
    order: dict[tuple[str, str, str], tuple[str, int, int, int]]
    seen: set[tuple[str, str]]


def _collect_names(
    walk: _Walk, parsed: ParsedFile, names: Sequence[str], skip: Sequence[cst.CSTNode], *, origin: str
) -> None:
    """Bring each module-level ``name`` of ``parsed`` along, and what it needs in turn."""
    statements = list(parsed.module.body)
    for name in names:
        if (parsed.rel, name) in walk.seen:
            continue
        walk.seen.add((parsed.rel, name))
        top = parsed.top_level.get(name)
        if top is None or any(top.statement is node for node in skip):
            continue
        position = _index(statements, top)
        if top.is_import:
            assert isinstance(top.statement, cst.SimpleStatementLine)
            if walk.follow_siblings:
                _follow_sibling(walk, parsed, top, name)
            cached = walk.ctx.import_cache.get((parsed.rel, name))
            if cached is None:
                reduced, alias_index = reduce_import(top.statement, name, parsed.module)
                cached = (walk.render(reduced, parsed).strip(), alias_index)
                walk.ctx.import_cache[(parsed.rel, name)] = cached
            code, alias_index = cached
            key = (origin, DependencyKind.IMPORT, name)
            walk.found[key] = Dependency(kind=DependencyKind.IMPORT, name=name, code=code, origin=origin)
            walk.order[key] = (origin, 0, position, alias_index)
            continue
        key = (origin, DependencyKind.DEFINITION, name)
        walk.found[key] = Dependency(
            kind=DependencyKind.DEFINITION,
            name=name,
            code=walk.render(top.statement, parsed).strip(),
            origin=origin,
        )
        walk.order[key] = (origin, 1, position, 0)
        needs = parsed.references(top.statement).module_level
        _collect_names(walk, parsed, sorted(needs), (top.statement,), origin=origin)


def _follow_sibling(walk: _Walk, parsed: ParsedFile, top: TopLevel, name: str) -> bool:
    """A relative import of a sibling module: bring the imported definition along, with its needs.

    The import itself is kept too: the generated module imports it from the generated sibling.
    """
    assert isinstance(top.statement, cst.SimpleStatementLine)
    for small in top.statement.body:
        if not isinstance(small, cst.ImportFrom) or isinstance(small.names, cst.ImportStar):
            continue
        sibling_rel = walk.ctx.sibling_module(parsed.rel, small)
        if sibling_rel is None:
            continue
        sibling = walk.ctx.parsed(sibling_rel)
        for alias in small.names:
            bound = parsed.module.code_for_node(alias.asname.name if alias.asname else alias.name)
            if bound != name:
                continue
            source_name = parsed.module.code_for_node(alias.name)
            definition = sibling.top_level.get(source_name)
            if definition is None or definition.is_import:
                return False
            if (sibling_rel, source_name) in walk.seen:
                return True
            walk.seen.add((sibling_rel, source_name))
            key = (sibling_rel, DependencyKind.DEFINITION, source_name)
            walk.found[key] = Dependency(
                kind=DependencyKind.DEFINITION,
                name=source_name,
                code=walk.render(definition.statement, sibling).strip(),
                origin=sibling_rel,
            )
            walk.order[key] = (sibling_rel, 1, _index(list(sibling.module.body), definition), 0)
            needs = sibling.references(definition.statement).module_level
            _collect_names(walk, sibling, sorted(needs), (definition.statement,), origin=sibling_rel)
            return True
    return False


def _index(statements: Sequence[cst.CSTNode], top: TopLevel) -> int:
    for position, statement in enumerate(statements):
        if statement is top.statement:
            return position
    return len(statements)
