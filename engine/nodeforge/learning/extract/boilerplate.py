"""What is never a pattern: code every module has, that teaches nothing about the team's idiom.

Checked on the node a pattern would be made of, before it is generalized or stored: imports alone,
``pass`` / ``...`` / docstrings alone, an ``__init__`` (or a class around one) that only stores its
arguments, and ``try`` statements around optional imports.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

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
_OPTIONAL_IMPORT = m.Try(
    body=m.IndentedBlock(body=[m.AtLeastN(_IMPORT, n=1)]),
)


def _statements(node: cst.CSTNode) -> list[cst.CSTNode]:
    if isinstance(node, cst.Module):
        return list(node.body)
    if isinstance(node, cst.FunctionDef | cst.ClassDef) and isinstance(node.body, cst.IndentedBlock):
        return list(node.body.body)
    return [node]


def _only_stores(function: cst.FunctionDef) -> bool:
    body = _statements(function)
    return all(m.matches(s, _STORE | _NO_OP) for s in body)


def boilerplate_reason(node: cst.CSTNode) -> str:
    """Why ``node`` is boilerplate, or "" when it is not."""
    statements = _statements(node)
    if isinstance(node, cst.Module | cst.SimpleStatementLine):
        if statements and all(m.matches(s, _IMPORT) for s in statements):
            return "only imports"
        if all(m.matches(s, _NO_OP) for s in statements):
            return "only pass, ... or docstrings"
    if isinstance(node, cst.Try) and m.matches(node, _OPTIONAL_IMPORT):
        return "optional-import boilerplate"
    if isinstance(node, cst.FunctionDef):
        if node.name.value == "__init__" and _only_stores(node):
            return "an __init__ that only stores its arguments"
        if all(m.matches(s, _NO_OP) for s in statements):
            return "a function with no body"
    if isinstance(node, cst.ClassDef):
        methods = [s for s in statements if isinstance(s, cst.FunctionDef)]
        others = [s for s in statements if not isinstance(s, cst.FunctionDef)]
        if all(m.matches(s, _NO_OP) for s in others):
            if not methods and not node.bases:
                return "an empty class"
            if (
                methods
                and not node.bases
                and all(f.name.value == "__init__" and _only_stores(f) for f in methods)
            ):
                return "a class whose only method stores its arguments"
    return ""
