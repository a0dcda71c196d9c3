"""What is never a pattern: code every module has, that teaches nothing about the team's idiom.

Checked on the node a pattern would be made of, before it is generalized or stored: imports alone,
``pass`` / ``...`` / docstrings alone, an ``__init__`` (or a class around one) that only stores its
arguments, and ``try`` statements around optional imports.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

# Plain type tests rather than ``libcst.matchers`` (about ten times cheaper, run for every pattern
# candidate); ``tests/test_extract_matchers.py`` checks each against the matcher it replaced.


def _all_small(statement: cst.CSTNode, test: Callable[[cst.BaseSmallStatement], bool]) -> bool:
    """A simple statement line whose every small statement passes ``test``."""
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) >= 1
        and all(test(small) for small in statement.body)
    )


def _is_no_op_small(small: cst.BaseSmallStatement) -> bool:
    if isinstance(small, cst.Pass):
        return True
    return isinstance(small, cst.Expr) and isinstance(
        small.value, cst.Ellipsis | cst.SimpleString | cst.ConcatenatedString
    )


def _is_super_init(expression: cst.BaseExpression) -> bool:
    """``super().__init__(...)``."""
    if not isinstance(expression, cst.Call) or not isinstance(expression.func, cst.Attribute):
        return False
    target = expression.func.value
    return (
        isinstance(target, cst.Call)
        and isinstance(target.func, cst.Name)
        and target.func.value == "super"
        and expression.func.attr.value == "__init__"
    )


def _is_store_small(small: cst.BaseSmallStatement) -> bool:
    if isinstance(small, cst.Assign | cst.AnnAssign):
        return True
    return isinstance(small, cst.Expr) and _is_super_init(small.value)


def _is_no_op(statement: cst.CSTNode) -> bool:
    """``pass``, ``...`` or a docstring (one or more of them) on a line."""
    return _all_small(statement, _is_no_op_small)


def _is_import(statement: cst.CSTNode) -> bool:
    return _all_small(statement, lambda small: isinstance(small, cst.Import | cst.ImportFrom))


def _is_store(statement: cst.CSTNode) -> bool:
    """Assignments, or ``super().__init__(...)``, and nothing else on the line."""
    return _all_small(statement, _is_store_small)


def _is_optional_import(statement: cst.Try) -> bool:
    """``try:`` around imports only (``except ImportError`` or not)."""
    body = statement.body
    return isinstance(body, cst.IndentedBlock) and bool(body.body) and all(_is_import(s) for s in body.body)


def _statements(node: cst.CSTNode) -> list[cst.CSTNode]:
    if isinstance(node, cst.Module):
        return list(node.body)
    if isinstance(node, cst.FunctionDef | cst.ClassDef) and isinstance(node.body, cst.IndentedBlock):
        return list(node.body.body)
    return [node]


def _only_stores(function: cst.FunctionDef) -> bool:
    body = _statements(function)
    return all(_is_store(s) or _is_no_op(s) for s in body)


def boilerplate_reason(node: cst.CSTNode) -> str:
    """Why ``node`` is boilerplate, or "" when it is not."""
    statements = _statements(node)
    if isinstance(node, cst.Module | cst.SimpleStatementLine):
        if statements and all(_is_import(s) for s in statements):
            return "only imports"
        if all(_is_no_op(s) for s in statements):
            return "only pass, ... or docstrings"
    if isinstance(node, cst.Try) and _is_optional_import(node):
        return "optional-import boilerplate"
    if isinstance(node, cst.FunctionDef):
        if node.name.value == "__init__" and _only_stores(node):
            return "an __init__ that only stores its arguments"
        if all(_is_no_op(s) for s in statements):
            return "a function with no body"
    if isinstance(node, cst.ClassDef):
        methods = [s for s in statements if isinstance(s, cst.FunctionDef)]
        others = [s for s in statements if not isinstance(s, cst.FunctionDef)]
        if all(_is_no_op(s) for s in others):
            if not methods and not node.bases:
                return "an empty class"
            if (
                methods
                and not node.bases
                and all(f.name.value == "__init__" and _only_stores(f) for f in methods)
            ):
                return "a class whose only method stores its arguments"
    return ""
