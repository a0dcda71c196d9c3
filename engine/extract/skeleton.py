"""Class skeletons per node type: bases, constructor dependencies and method signatures.

A skeleton keeps a class's decorators, bases, docstring and class-level fields, and every method's
decorators, signature and docstring; each method body becomes ``...`` (after its docstring, so the
quality check reads it as a documented declaration, not a stub). Node classes (``Node<Entity><Type>``
deriving from a node base) and handler classes get skeletons; a class whose only method is an
``__init__`` and that derives from nothing is boilerplate and gets none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from nodeforge.extract.handlers import handle_method, is_node_class

_ELLIPSIS = cst.SimpleStatementLine(body=[cst.Expr(cst.Ellipsis())])


@dataclass
class GatherClassSkeletonsVisitor(cst.CSTVisitor):
    """Module-level node classes and handler classes, with their role (``node`` or ``handler``)."""

    classes: list[tuple[str, cst.ClassDef]] = field(default_factory=list)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return False  # nothing to find inside expressions

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if is_node_class(node) and node.bases:
            self.classes.append(("node", node))
        elif handle_method(node) is not None:
            self.classes.append(("handler", node))
        return False


def _methods(cls: cst.ClassDef) -> list[cst.FunctionDef]:
    return [s for s in cls.body.body if isinstance(s, cst.FunctionDef)]


def skeleton_skip_reason(cls: cst.ClassDef) -> str:
    methods = _methods(cls)
    if not methods:
        return "no methods"
    if not cls.bases and all(method.name.value == "__init__" for method in methods):
        return "only a constructor"
    return ""


def _declaration(method: cst.FunctionDef) -> cst.FunctionDef:
    docstring = None
    if isinstance(method.body, cst.IndentedBlock) and method.body.body:
        first = method.body.body[0]
        if method.get_docstring(clean=False) is not None:
            docstring = first
    body = [docstring, _ELLIPSIS] if docstring is not None else [_ELLIPSIS]
    return method.with_changes(body=cst.IndentedBlock(body=body))


def skeleton_of(cls: cst.ClassDef) -> cst.ClassDef:
    """The class with every method reduced to its declaration; nested classes are dropped."""
    kept: list[cst.BaseStatement | cst.BaseSmallStatement] = []
    for statement in cls.body.body:
        if isinstance(statement, cst.FunctionDef):
            kept.append(_declaration(statement))
        elif not isinstance(statement, cst.ClassDef):
            kept.append(statement)
    return cls.with_changes(body=cls.body.with_changes(body=kept), leading_lines=[])
