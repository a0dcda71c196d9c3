"""Modules put together statement by statement: one module's imports and definitions into another.

Several generation steps do it (two handlers bound for one module, an idiom's imports, a borrowed
helper): each keeps the receiving module's header, puts the imports it lacks after its last
import, and the rest after its own code.
"""

from __future__ import annotations

import libcst as cst


def is_import(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(s, cst.Import | cst.ImportFrom) for s in statement.body
    )


def is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def merge_modules(first: str, second: str) -> str:
    """Two modules bound for one path: the second's imports after the first's (those it already
    has and ``__future__`` left out), its other statements last, its docstring dropped."""
    one, two = cst.parse_module(first), cst.parse_module(second)
    body = list(two.body)
    if body and is_docstring(body[0]):
        body = body[1:]
    have = {one.code_for_node(s).strip() for s in one.body if is_import(s)}
    imports = [
        s
        for s in body
        if is_import(s)
        and "__future__" not in two.code_for_node(s)
        and two.code_for_node(s).strip() not in have
    ]
    rest = [s for s in body if not is_import(s)]
    head = list(one.body)
    # After the last import; in a module without one, after its docstring (else first).
    after = max(
        (i + 1 for i, s in enumerate(head) if is_import(s)), default=int(bool(head) and is_docstring(head[0]))
    )
    merged = [*head[:after], *imports, *head[after:], *rest]
    return one.with_changes(body=merged).code
