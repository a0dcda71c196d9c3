"""``cstwalk.walk`` makes libcst's visitor calls, in libcst's order, on the same nodes."""

from __future__ import annotations

import functools
from pathlib import Path

import libcst as cst
import pytest

from nodeforge.learning.cstwalk import walk

ROOT = Path(__file__).resolve().parents[1]

# Syntax the repository's own modules may not hold: every compound statement, patterns, star
# handlers, type parameters, walrus, lambdas with every kind of parameter, f-strings, decorators.
SYNTAX = """
type Alias[T: int = str] = list[T]
def f[T, *Ts, **P](x: T, /, y=1, *a: int, k, **kw) -> T:
    global g
    other = lambda q=1, *r, s, **t: (q, r)
    if (n := 3) > 2: pass
    elif n: ...
    else: del x
    async def g():
        async with a as b, c: await b
        async for i in c: yield i
        return [j async for j in c if j]
    try: pass
    except* (ValueError, TypeError) as e: raise
    else: pass
    finally: pass
    match x:
        case [1, *rest] | {"k": v, **kw} if v: pass
        case Point(x=0, y=_) as p: pass
        case str() | None: pass
    print(f"{x!r:>{y}} {'a' 'b'}", *a, **kw, sep="")
    assert x, "m"
    x @= y; x[1:2, ::3] = {**kw}; import a.b as c; from . import (d, e as f2)
@dec(1)
class A[T](B, metaclass=M):
    @property
    def p(self): return {i: j for i, j in x} | {k for k in y} | (z for z in w)
    while True: break
    else: continue
    with (open(a) as f, open(b)): pass
    for i, *j in k: x = y if z else not w; x = -~y ** 2 and None or ...
"""


class _Trace(cst.CSTVisitor):
    def __init__(self, skip: type[cst.CSTNode] | None = None) -> None:
        super().__init__()
        self.calls: list[tuple[str, int]] = []
        self._skip = skip

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.calls.append(("visit", id(node)))
        return not (self._skip is not None and isinstance(node, self._skip))

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.calls.append(("leave", id(original_node)))


@functools.cache
def _modules() -> list[tuple[str, cst.Module]]:
    paths = sorted((ROOT / "engine" / "nodeforge" / "learning").rglob("*.py"))
    paths += sorted((ROOT / "examples" / "team_repo").rglob("*.py"))
    return [("syntax", cst.parse_module(SYNTAX))] + [
        (p.relative_to(ROOT).as_posix(), cst.parse_module(p.read_text(encoding="utf-8"))) for p in paths
    ]


@pytest.mark.parametrize("skip", [None, cst.BaseExpression, cst.SimpleStatementLine])
def test_walk_makes_the_calls_libcst_makes_in_its_order(skip: type[cst.CSTNode] | None) -> None:
    modules = _modules()
    assert len(modules) > 40
    for name, module in modules:
        expected, walked = _Trace(skip), _Trace(skip)
        module.visit(expected)
        walk(module, walked)
        assert walked.calls == expected.calls, name
        assert len(walked.calls) > 2


def test_walk_leaves_the_tree_as_it_was() -> None:
    module = cst.parse_module(SYNTAX)
    before = module.code
    walk(module, _Trace())
    assert module.code == before
    assert module.deep_equals(cst.parse_module(SYNTAX))


class _AttributeHooks(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.bodies = 0

    def visit_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self.bodies += 1


def test_a_visitor_with_attribute_hooks_still_gets_them() -> None:
    visitor = _AttributeHooks()
    walk(cst.parse_module("def a():\n    def b(): pass\n"), visitor)
    assert visitor.bodies == 2
