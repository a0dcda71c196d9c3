"""Input validation: the guard clauses at the top of an operation.

A guard is a call to a checking helper (``require_fields(...)``, ``validate_x(...)``,
``ensure_...``), an ``assert``, or an ``if <condition>: raise ...`` without ``else``. The guard block
is the leading run of guards after the docstring; plain assignments may sit between guards (the
reducer reads ``events`` before checking its type) but never end the block.
"""

from __future__ import annotations

import re

import libcst as cst

from nodeforge.learning.extract import deps
from nodeforge.learning.extract.build import Mining, add_pattern
from nodeforge.learning.extract.source import ParsedFile
from nodeforge.model import PatternKind

_GUARD_NAME = re.compile(r"^_?(?:require|validate|ensure|check|verify|guard|assert)", re.IGNORECASE)

# Plain type tests rather than ``libcst.matchers``: they run on every leading statement of every
# operation, and ``m.matches`` costs about ten times as much for the same answer.
# ``tests/test_extract_matchers.py`` checks each against the matcher it replaced.


def _one(line: cst.CSTNode) -> cst.BaseSmallStatement | None:
    """The only small statement of a simple statement line, or None."""
    if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
        return line.body[0]
    return None


def _is_guard_callee(func: cst.BaseExpression) -> bool:
    if isinstance(func, cst.Name):
        return bool(_GUARD_NAME.match(func.value))
    return isinstance(func, cst.Attribute) and bool(_GUARD_NAME.match(func.attr.value))


def _is_guard_call(statement: cst.CSTNode) -> bool:
    """``require_x(...)`` or ``await self.validate_x(...)`` alone on its line."""
    small = _one(statement)
    if not isinstance(small, cst.Expr):
        return False
    value = small.value.expression if isinstance(small.value, cst.Await) else small.value
    return isinstance(value, cst.Call) and _is_guard_callee(value.func)


def _is_raise_only(block: cst.BaseSuite) -> bool:
    if isinstance(block, cst.IndentedBlock):
        return len(block.body) == 1 and isinstance(_one(block.body[0]), cst.Raise)
    if isinstance(block, cst.SimpleStatementSuite):
        return len(block.body) == 1 and isinstance(block.body[0], cst.Raise)
    return False


def is_guard(statement: cst.CSTNode) -> bool:
    """A guard call, an ``assert``, or ``if <condition>: raise ...`` without ``else``."""
    if isinstance(statement, cst.If):
        return statement.orelse is None and _is_raise_only(statement.body)
    return _is_guard_call(statement) or isinstance(_one(statement), cst.Assert)


def _is_assignment(statement: cst.CSTNode) -> bool:
    return isinstance(_one(statement), cst.Assign | cst.AnnAssign)


def _is_docstring(statement: cst.CSTNode) -> bool:
    small = _one(statement)
    return isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString | cst.ConcatenatedString)


def guard_block(function: cst.FunctionDef) -> list[cst.BaseStatement]:
    if not isinstance(function.body, cst.IndentedBlock):
        return []
    statements = list(function.body.body)
    if statements and _is_docstring(statements[0]):
        statements = statements[1:]
    block: list[cst.BaseStatement] = []
    last_guard = -1
    for statement in statements:
        if is_guard(statement):
            block.append(statement)
            last_guard = len(block) - 1
        elif _is_assignment(statement) and block:
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
    return sum(1 for statement in block if is_guard(statement))


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
