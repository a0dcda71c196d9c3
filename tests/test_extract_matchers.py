"""The extractors' plain type tests give the answers of the ``libcst.matchers`` they replaced.

The matchers below are the ones the extractors used before (copied as they were): every statement
of the repository's own modules, the example team's nodes and a sample written to hit each case is
put to both.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

import libcst as cst
import libcst.matchers as m
import pytest

from nodeforge.learning.cstwalk import walk
from nodeforge.learning.extract import boilerplate, error_handling, validation

ROOT = Path(__file__).resolve().parents[1]

# -- the matchers as they were -----------------------------------------------------------------
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

_NO_OP = m.SimpleStatementLine(
    body=[m.AtLeastN(m.Pass() | m.Expr(m.Ellipsis() | m.SimpleString() | m.ConcatenatedString()), n=1)]
)
_IMPORT = m.SimpleStatementLine(body=[m.AtLeastN(m.Import() | m.ImportFrom(), n=1)])
_STORE = m.SimpleStatementLine(
    body=[
        m.AtLeastN(
            m.Assign()
            | m.AnnAssign()
            | m.Expr(m.Call(func=m.Attribute(value=m.Call(func=m.Name("super")), attr=m.Name("__init__")))),
            n=1,
        )
    ]
)
_OPTIONAL_IMPORT = m.Try(body=m.IndentedBlock(body=[m.AtLeastN(_IMPORT, n=1)]))

_EXCEPT_HANDLERS = m.Try(handlers=[m.AtLeastN(n=1)])
_BARE_RAISE = m.Raise(exc=None)
_WRAPPED_RAISE = m.Raise(exc=m.DoNotCare(), cause=m.From())


def _old_raises(handler: cst.ExceptHandler) -> str:
    statements = handler.body.body if isinstance(handler.body, cst.IndentedBlock) else [handler.body]
    found = ""
    for statement in statements:
        smalls = (
            statement.body
            if isinstance(statement, cst.SimpleStatementLine | cst.SimpleStatementSuite)
            else []
        )
        for small in smalls:
            if m.matches(small, _WRAPPED_RAISE):
                return "wrap"
            if m.matches(small, _BARE_RAISE):
                found = "reraise"
            elif isinstance(small, cst.Raise):
                found = found or "raise"
    return found


SAMPLE = '''
"""doc"""
"a" "b"
pass; ...; "x"
import os; from a import b
import os; x = 1
x = 1; y: int = 2
super().__init__(a); self.a = a
super(A, self).__init__(a)
super().setup(a)
other().__init__(a)
super.__init__(a)
require_fields(x)
validate(x); check(y)
await self.validate_input(x)
await ensure(x)
self.guard(x)
obj.process(x)
requirement(x)
Check_it(x)
assert x, "m"
assert x; assert y
if not x: raise ValueError("x")
if not x: raise ValueError("x"); raise TypeError
if not x:
    raise ValueError("x")
if not x:
    raise ValueError("x")
else:
    pass
if not x:
    log(x)
    raise ValueError("x")
if x:
    raise
elif y:
    raise ValueError
try:
    import fast
except ImportError:
    fast = None
try:
    import fast; from a import b
    import other
except ImportError:
    pass
try:
    import fast
    x = 1
except ImportError:
    pass
try: import fast
except ImportError: pass
try:
    import fast
finally:
    pass
try:
    work()
except ValueError as error:
    raise DomainError("x") from error
except TypeError:
    raise
except KeyError:
    log(); raise KeyError("k")
except OSError:
    raise Other() from None
except Exception: raise
def f():
    """doc"""
    require(x)
    y = 1
    assert y
    return y
'''


@functools.cache
def _statements() -> list[cst.CSTNode]:
    class Gather(cst.CSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[cst.CSTNode] = []

        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, cst.BaseStatement | cst.ExceptHandler):
                self.found.append(node)
            return not isinstance(node, cst.BaseExpression)

    paths = sorted((ROOT / "engine" / "nodeforge" / "learning").rglob("*.py"))
    paths += sorted((ROOT / "examples" / "team_repo").rglob("*.py"))
    gather = Gather()
    for text in [SAMPLE, *(p.read_text(encoding="utf-8") for p in paths)]:
        walk(cst.parse_module(text), gather)
    return gather.found


def _pairs() -> list[tuple[str, Callable[[cst.CSTNode], object], Callable[[cst.CSTNode], object]]]:
    def matching(matcher: m.BaseMatcherNode) -> Callable[[cst.CSTNode], object]:
        return lambda node: m.matches(node, matcher)

    def handlers_only(new: Callable[[cst.ExceptHandler], str]) -> Callable[[cst.CSTNode], object]:
        return lambda node: new(node) if isinstance(node, cst.ExceptHandler) else None

    return [
        ("guard", validation.is_guard, matching(_GUARD)),
        ("assignment", validation._is_assignment, matching(_ASSIGNMENT)),
        ("docstring", validation._is_docstring, matching(_DOCSTRING)),
        ("no-op", boilerplate._is_no_op, matching(_NO_OP)),
        ("import", boilerplate._is_import, matching(_IMPORT)),
        (
            "store or no-op",
            lambda s: boilerplate._is_store(s) or boilerplate._is_no_op(s),
            matching(_STORE | _NO_OP),
        ),
        (
            "optional import",
            lambda s: isinstance(s, cst.Try) and boilerplate._is_optional_import(s),
            matching(_OPTIONAL_IMPORT),
        ),
        (
            "except handlers",
            lambda s: isinstance(s, cst.Try) and bool(s.handlers),
            matching(_EXCEPT_HANDLERS),
        ),
        ("raises", handlers_only(error_handling._raises), handlers_only(_old_raises)),
    ]


@pytest.mark.parametrize(("name", "new", "old"), _pairs(), ids=[p[0] for p in _pairs()])
def test_the_type_test_answers_as_the_matcher_did(
    name: str, new: Callable[[cst.CSTNode], object], old: Callable[[cst.CSTNode], object]
) -> None:
    statements = _statements()
    answers = [(new(s), old(s)) for s in statements]
    differing = [
        cst.Module(body=[]).code_for_node(s)[:80]
        for s, (a, b) in zip(statements, answers, strict=True)
        if a != b
    ]
    assert not differing, (name, differing[:3])
    # The comparison means something only if both answers occur.
    assert len({old for _, old in answers}) >= 2, name
