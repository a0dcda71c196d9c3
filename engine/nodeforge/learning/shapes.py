"""The code shapes the quality analyzer looks for, as plain predicates on libcst nodes.

Written with ``isinstance`` rather than ``libcst.matchers``: importing the matchers costs about
0.25 s of CPU (more than libcst itself), and ``generate`` scores every candidate it adapts, so a
cold ``nodeforge generate`` paid it every time. The predicates also run faster than matching.
"""

from __future__ import annotations

import libcst as cst

from nodeforge.learning.cstwalk import walk

MUTABLE_FACTORIES = frozenset(
    {"list", "dict", "set", "defaultdict", "deque", "bytearray", "OrderedDict", "Counter"}
)
_MUTABLE_LITERALS = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)


def is_name(node: cst.CSTNode | None, *names: str) -> bool:
    return isinstance(node, cst.Name) and node.value in names


def names_or_ends_with(node: cst.CSTNode, name: str) -> bool:
    """``name`` or ``anything.name``."""
    return is_name(node, name) or (isinstance(node, cst.Attribute) and node.attr.value == name)


def is_not_implemented(node: cst.BaseExpression) -> bool:
    """``NotImplementedError`` or ``NotImplementedError(...)``."""
    return is_name(node, "NotImplementedError") or (
        isinstance(node, cst.Call) and is_name(node.func, "NotImplementedError")
    )


def is_no_op(statement: cst.CSTNode) -> bool:
    """``pass`` or ``...``."""
    return isinstance(statement, cst.Pass) or (
        isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Ellipsis)
    )


def raises_not_implemented(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.Raise) and statement.exc is not None and is_not_implemented(statement.exc)
    )


def is_stub_statement(statement: cst.CSTNode) -> bool:
    return is_no_op(statement) or raises_not_implemented(statement)


def returns_nothing(statement: cst.CSTNode) -> bool:
    """``return`` or ``return None``."""
    return isinstance(statement, cst.Return) and (statement.value is None or is_name(statement.value, "None"))


def swallows(statement: cst.CSTNode) -> bool:
    """A handler statement that does nothing with what it caught."""
    return is_no_op(statement) or isinstance(statement, cst.Continue)


def is_broad(node: cst.CSTNode) -> bool:
    """``Exception``, ``BaseException`` or ``something.Exception``."""
    return is_name(node, "Exception", "BaseException") or (
        isinstance(node, cst.Attribute) and node.attr.value == "Exception"
    )


def is_broad_type(node: cst.BaseExpression) -> bool:
    """A broad exception, or a tuple of exceptions holding one."""
    if isinstance(node, cst.Tuple):
        return any(isinstance(e, cst.Element) and is_broad(e.value) for e in node.elements)
    return is_broad(node)


def suppresses_broad(node: cst.BaseExpression) -> bool:
    """``suppress(Exception)`` (or ``contextlib.suppress(..., Exception, ...)``)."""
    return (
        isinstance(node, cst.Call)
        and names_or_ends_with(node.func, "suppress")
        and any(is_broad(arg.value) for arg in node.args)
    )


def is_mutable_default(node: cst.BaseExpression) -> bool:
    """A list, dict or set display or comprehension, or a call of a mutable container's factory."""
    if isinstance(node, _MUTABLE_LITERALS):
        return True
    return isinstance(node, cst.Call) and is_name(node.func, *MUTABLE_FACTORIES)


class _RaiseFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Raise(self, node: cst.Raise) -> bool:
        self.found = True
        return False


def holds_raise(node: cst.CSTNode) -> bool:
    """Whether a ``raise`` statement appears anywhere under ``node``."""
    finder = _RaiseFinder()
    walk(node, finder)
    return finder.found
