"""Input validation: the guard clauses at the top of an operation.

A guard is a call to a checking helper (``require_fields(...)``, ``validate_x(...)``,
``ensure_...``), an ``assert``, or an ``if <condition>: raise ...`` without ``else``. The guard block
is the leading run of guards after the docstring; plain assignments may sit between guards (the
reducer reads ``events`` before checking its type) but never end the block.
"""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from nodeforge.learning.extract import deps
from nodeforge.learning.extract.build import Mining, add_pattern
from nodeforge.learning.extract.source import ParsedFile
from nodeforge.model import PatternKind

_GUARD_NAME = re.compile(r"^_?(?:require|validate|ensure|check|verify|guard|assert)", re.IGNORECASE)
_CALLEE = m.Name(m.MatchIfTrue(lambda v: bool(_GUARD_NAME.match(v)))) | m.Attribute(
    attr=m.Name(m.MatchIfTrue(lambda v: bool(_GUARD_NAME.match(v))))
)
_GUARD_CALL = m.SimpleStatementLine(body=[m.Expr(m.Call(func=_CALLEE) | m.Await(m.Call(func=_CALLEE)))])
_ASSERT = m.SimpleStatementLine(body=[m.Assert()])
_RAISE_ONLY = m.IndentedBlock(body=[m.SimpleStatementLine(body=[m.Raise()])]) | m.SimpleStatementSuite(
    body=[m.Raise()]
)
_IF_RAISE = m.If(body=_RAISE_ONLY, orelse=None)
_GUARD = _GUARD_CALL | _ASSERT | _IF_RAISE
_ASSIGNMENT = m.SimpleStatementLine(body=[m.Assign() | m.AnnAssign()])
_DOCSTRING = m.SimpleStatementLine(body=[m.Expr(m.SimpleString() | m.ConcatenatedString())])


def guard_block(function: cst.FunctionDef) -> list[cst.BaseStatement]:
    if not isinstance(function.body, cst.IndentedBlock):
        return []
    statements = list(function.body.body)
    if statements and m.matches(statements[0], _DOCSTRING):
        statements = statements[1:]
    block: list[cst.BaseStatement] = []
    last_guard = -1
    for statement in statements:
        if m.matches(statement, _GUARD):
            block.append(statement)
            last_guard = len(block) - 1
        elif m.matches(statement, _ASSIGNMENT) and block:
            block.append(statement)
        else:
            break
    return block[: last_guard + 1]


def guard_code(block: list[cst.BaseStatement]) -> cst.Module:
    """The guard block as a module fragment (no leading blank lines)."""
    statements = [s for s in block if isinstance(s, cst.SimpleStatementLine | cst.BaseCompoundStatement)]
    first = statements[0].with_changes(leading_lines=[])
    return cst.Module(body=[first, *statements[1:]])


def guard_count(block: list[cst.BaseStatement]) -> int:
    return sum(1 for statement in block if m.matches(statement, _GUARD))


def mine_guards(
    mining: Mining,
    parsed: ParsedFile,
    cls: cst.ClassDef,
    method: cst.FunctionDef,
    operation: str,
    *,
    tested: bool,
) -> None:
    block = guard_block(method)
    if not block:
        return
    fragment = guard_code(block)
    node_type = mining.ctx.node.node_type.value
    add_pattern(
        mining,
        parsed,
        kind=PatternKind.VALIDATION,
        slot=f"{node_type}:validation:{operation}",
        operation=operation,
        node=fragment,
        code=mining.general(fragment.code),
        dependencies=deps.collect(mining.ctx, parsed, mining.render, *block, within=method),
        symbol=f"{cls.name.value}.{method.name.value}#guards",
        summary=f"{guard_count(block)} guard clause(s) before {operation}",
        lines_of=(block[0], block[-1]),
        references_of=(tuple(block), method),
        tested=tested,
    )
