"""Handler implementations and their error handling, gathered from one parsed handler module."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m

HANDLE_METHODS = (
    "handle",
    "execute",
    "execute_effect",
    "execute_compute",
    "execute_reduction",
    "execute_orchestration",
)

_HANDLE_METHOD = m.FunctionDef(name=m.OneOf(*(m.Name(name) for name in HANDLE_METHODS)))
_HANDLER_CLASS = m.ClassDef(body=m.IndentedBlock(body=[m.ZeroOrMore(), _HANDLE_METHOD, m.ZeroOrMore()]))
_EXCEPT_HANDLERS = m.Try(handlers=[m.AtLeastN(n=1)])


# Plain CSTVisitors with ``m.matches``: a MatcherDecoratableVisitor costs ~40 ms to construct,
# more than the whole extraction of a handler module.
@dataclass
class GatherHandlerClassesVisitor(cst.CSTVisitor):
    """Classes that implement an operation: they define ``handle`` / ``execute`` / ``execute_<type>``."""

    classes: list[cst.ClassDef] = field(default_factory=list)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # classes nested in functions are not handlers

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if m.matches(node, _HANDLER_CLASS):
            self.classes.append(node)
        return False  # nested classes are not handlers


@dataclass
class GatherErrorHandlingVisitor(cst.CSTVisitor):
    """``try`` statements with ``except`` clauses inside a handler's methods."""

    statements: list[cst.Try] = field(default_factory=list)

    def visit_Try(self, node: cst.Try) -> None:
        if m.matches(node, _EXCEPT_HANDLERS):
            self.statements.append(node)


def handle_method(cls: cst.ClassDef) -> cst.FunctionDef | None:
    for statement in cls.body.body:
        if m.matches(statement, _HANDLE_METHOD):
            assert isinstance(statement, cst.FunctionDef)
            return statement
    return None


def docstring_of(node: cst.ClassDef | cst.FunctionDef) -> str:
    return (node.get_docstring() or "").strip().splitlines()[0] if node.get_docstring() else ""


def without_try_body(statement: cst.Try) -> cst.Try:
    """The ``try`` statement with its body reduced to ``...``: what remains is the error-handling idiom."""
    body = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Expr(cst.Ellipsis())])])
    return statement.with_changes(body=body, leading_lines=[])
