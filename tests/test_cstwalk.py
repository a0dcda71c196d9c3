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


def _node_classes() -> list[type[cst.CSTNode]]:
    found, todo = set(), [cst.CSTNode]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted(found, key=lambda c: c.__name__)


def _hooked_visitor(stop: type[cst.CSTNode]) -> type[cst.CSTVisitor]:
    """A visitor with its own ``visit_<Node>`` / ``leave_<Node>`` for every node class (the table path);
    ``visit_<stop>`` returns False, so those nodes' children are not walked."""

    def visit(name: str) -> object:
        def hook(self: _Trace, node: cst.CSTNode) -> bool | None:
            self.calls.append((name, id(node)))
            return False if isinstance(node, stop) else None

        return hook

    def leave(name: str) -> object:
        def hook(self: _Trace, node: cst.CSTNode) -> None:
            self.calls.append((name, id(node)))

        return hook

    hooks: dict[str, object] = {}
    for cls in _node_classes():
        hooks[f"visit_{cls.__name__}"] = visit(f"visit_{cls.__name__}")
        hooks[f"leave_{cls.__name__}"] = leave(f"leave_{cls.__name__}")

    def init(self: _Trace) -> None:
        cst.CSTVisitor.__init__(self)
        self.calls = []

    return type("Hooked", (cst.CSTVisitor,), {"__init__": init, **hooks})


@pytest.mark.parametrize("stop", [cst.Decorator, cst.IndentedBlock])
def test_the_table_path_calls_each_visitors_own_hooks_as_libcst_does(stop: type[cst.CSTNode]) -> None:
    hooked = _hooked_visitor(stop)
    for name, module in _modules()[:12]:
        expected, walked = hooked(), hooked()
        module.visit(expected)
        walk(module, walked)
        assert walked.calls == expected.calls, name  # type: ignore[attr-defined]
        assert walked.calls  # type: ignore[attr-defined]


class _Pruning(cst.CSTVisitor):
    """What ``prune`` stands for: an ``on_visit`` that refuses expressions (libcst's way)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, int]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.BaseExpression):
            return False
        return super().on_visit(node)

    def visit_Name(self, node: cst.Name) -> None:
        self.calls.append(("visit_Name", id(node)))

    def leave_Name(self, original_node: cst.Name) -> None:
        self.calls.append(("leave_Name", id(original_node)))

    def visit_Comment(self, node: cst.Comment) -> None:
        self.calls.append(("visit_Comment", id(node)))

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self.calls.append(("leave_SimpleStatementLine", id(original_node)))


class _Pruned(cst.CSTVisitor):
    """The same hooks, with ``CSTVisitor``'s own ``on_visit``: ``walk(..., prune=...)`` prunes."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, int]] = []

    visit_Name = _Pruning.visit_Name
    leave_Name = _Pruning.leave_Name
    visit_Comment = _Pruning.visit_Comment
    leave_SimpleStatementLine = _Pruning.leave_SimpleStatementLine


def test_prune_is_an_on_visit_that_refuses_those_nodes() -> None:
    for name, module in _modules()[:12]:
        expected, walked = _Pruning(), _Pruned()
        module.visit(expected)
        walk(module, walked, prune=(cst.BaseExpression,))
        assert walked.calls == expected.calls, name
    assert any(call[0] == "leave_Name" for call in walked.calls)
    assert not any(call[0] == "visit_Name" for call in walked.calls)


def test_prune_refuses_a_visitor_with_its_own_on_visit() -> None:
    with pytest.raises(TypeError):
        walk(cst.parse_module("x = 1\n"), _Trace(), prune=(cst.BaseExpression,))
