"""What a piece of mined code needs from outside itself: imports and the node's own definitions.

Learned code uses names defined elsewhere in its node (models, error classes, helpers) and the team's
own modules. A generated node must define or import every one of them, so each pattern carries its
dependencies: import statements reduced to the names used, and the source of every node-local
definition it reaches, followed transitively through the node's sibling modules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst

from nodeforge.extract.context import NodeContext
from nodeforge.extract.source import ParsedFile, TopLevel
from nodeforge.model import Dependency

IMPORT = "import"
DEFINITION = "definition"


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
    ctx: NodeContext, parsed: ParsedFile, render: Render, *nodes: cst.CSTNode
) -> tuple[Dependency, ...]:
    """Every dependency of ``nodes`` (classes, functions or statements of ``parsed``), transitively.

    Dependencies in ``parsed`` itself get ``origin=""``; those in sibling modules get that module's
    node-relative path as origin. Order is deterministic: by origin, imports first, then definitions
    in source order.
    """
    found: dict[tuple[str, str, str], Dependency] = {}
    order: dict[tuple[str, str, str], tuple[str, int, int, int]] = {}
    seen: set[tuple[str, str]] = set()
    for node in nodes:
        _collect_into(ctx, parsed, node, render, origin="", found=found, order=order, seen=seen)
    return tuple(found[key] for key in sorted(found, key=lambda k: order[k]))


def _collect_into(
    ctx: NodeContext,
    parsed: ParsedFile,
    node: cst.CSTNode,
    render: Render,
    *,
    origin: str,
    found: dict[tuple[str, str, str], Dependency],
    order: dict[tuple[str, str, str], tuple[str, int, int, int]],
    seen: set[tuple[str, str]],
) -> None:
    statements = list(parsed.module.body)
    for name in parsed.global_names_used_by(node):
        if (parsed.rel, name) in seen:
            continue
        seen.add((parsed.rel, name))
        top = parsed.top_level.get(name)
        if top is None:
            continue
        position = _index(statements, top)
        if top.is_import:
            assert isinstance(top.statement, cst.SimpleStatementLine)
            reduced, alias_index = reduce_import(top.statement, name, parsed.module)
            code = render(reduced, parsed).strip()
            key = (origin, IMPORT, name)
            found[key] = Dependency(kind=IMPORT, name=name, code=code, origin=origin)
            order[key] = (origin, 0, position, alias_index)
            _follow_sibling(ctx, parsed, top, name, render, found=found, order=order, seen=seen)
            continue
        if top.statement is node:
            continue
        key = (origin, DEFINITION, name)
        found[key] = Dependency(
            kind=DEFINITION, name=name, code=render(top.statement, parsed).strip(), origin=origin
        )
        order[key] = (origin, 1, position, 0)
        _collect_into(ctx, parsed, top.statement, render, origin=origin, found=found, order=order, seen=seen)


def _follow_sibling(
    ctx: NodeContext,
    parsed: ParsedFile,
    top: TopLevel,
    name: str,
    render: Render,
    *,
    found: dict[tuple[str, str, str], Dependency],
    order: dict[tuple[str, str, str], tuple[str, int, int, int]],
    seen: set[tuple[str, str]],
) -> None:
    """A relative import of a sibling module: bring the imported definition along, with its needs."""
    assert isinstance(top.statement, cst.SimpleStatementLine)
    for small in top.statement.body:
        if not isinstance(small, cst.ImportFrom) or isinstance(small.names, cst.ImportStar):
            continue
        sibling_rel = ctx.sibling_module(parsed.rel, small)
        if sibling_rel is None:
            continue
        sibling = ctx.parsed(sibling_rel)
        for alias in small.names:
            bound = parsed.module.code_for_node(alias.asname.name if alias.asname else alias.name)
            if bound != name:
                continue
            source_name = parsed.module.code_for_node(alias.name)
            definition = sibling.top_level.get(source_name)
            if definition is None or definition.is_import or (sibling_rel, source_name) in seen:
                continue
            seen.add((sibling_rel, source_name))
            key = (sibling_rel, DEFINITION, source_name)
            found[key] = Dependency(
                kind=DEFINITION,
                name=source_name,
                code=render(definition.statement, sibling).strip(),
                origin=sibling_rel,
            )
            order[key] = (sibling_rel, 1, _index(list(sibling.module.body), definition), 0)
            _collect_into(
                ctx,
                sibling,
                definition.statement,
                render,
                origin=sibling_rel,
                found=found,
                order=order,
                seen=seen,
            )


def _index(statements: Sequence[cst.CSTNode], top: TopLevel) -> int:
    for position, statement in enumerate(statements):
        if statement is top.statement:
            return position
    return len(statements)
