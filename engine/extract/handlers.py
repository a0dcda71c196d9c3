"""Handler implementations: the classes that serve an operation, in both node layouts.

A *directory node* keeps each operation in a handler class (``handle`` / ``execute``); a *module
node* keeps it in ``execute_<type>`` of its ``Node<Entity><Type>`` class, and that method is the
operation pattern (slot ``effect:execute_effect``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m

from nodeforge.extract.errors import GatherErrorHandlingVisitor, without_try_body

__all__ = [
    "EXECUTE_METHODS",
    "HANDLE_METHODS",
    "GatherErrorHandlingVisitor",
    "GatherHandlerClassesVisitor",
    "docstring_of",
    "execute_methods",
    "handle_method",
    "is_node_class",
    "is_node_class_name",
    "without_try_body",
]

EXECUTE_METHODS = ("execute_effect", "execute_compute", "execute_reduction", "execute_orchestration")
HANDLE_METHODS = ("handle", "execute", *EXECUTE_METHODS)

_HANDLE_METHOD = m.FunctionDef(name=m.OneOf(*(m.Name(name) for name in HANDLE_METHODS)))
_EXECUTE_METHOD = m.FunctionDef(name=m.OneOf(*(m.Name(name) for name in EXECUTE_METHODS)))
_HANDLER_CLASS = m.ClassDef(body=m.IndentedBlock(body=[m.ZeroOrMore(), _HANDLE_METHOD, m.ZeroOrMore()]))
_NODE_CLASS_NAME = re.compile(r"^Node[A-Z]\w*?(Effect|Compute|Reducer|Orchestrator)$")


# Plain CSTVisitors with ``m.matches``: a MatcherDecoratableVisitor costs ~40 ms to construct,
# more than the whole extraction of a handler module.
@dataclass
class GatherHandlerClassesVisitor(cst.CSTVisitor):
    """Module-level classes that implement an operation: ``handle`` / ``execute`` / ``execute_<type>``."""

    classes: list[cst.ClassDef] = field(default_factory=list)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return False  # nothing to find inside expressions

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # classes nested in functions are not handlers

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if m.matches(node, _HANDLER_CLASS):
            self.classes.append(node)
        return False  # nested classes are not handlers


def is_node_class_name(name: str) -> bool:
    return bool(_NODE_CLASS_NAME.match(name))


def is_node_class(cls: cst.ClassDef) -> bool:
    """``Node<Entity><Type>``: the node's own class (a module node's operations live in it)."""
    return is_node_class_name(cls.name.value)


def handle_method(cls: cst.ClassDef) -> cst.FunctionDef | None:
    for statement in cls.body.body:
        if m.matches(statement, _HANDLE_METHOD):
            assert isinstance(statement, cst.FunctionDef)
            return statement
    return None


def execute_methods(cls: cst.ClassDef) -> list[cst.FunctionDef]:
    """A node class's ``execute_<type>`` methods."""
    return [s for s in cls.body.body if isinstance(s, cst.FunctionDef) and m.matches(s, _EXECUTE_METHOD)]


def docstring_of(node: cst.ClassDef | cst.FunctionDef | cst.Module) -> str:
    docstring = node.get_docstring()
    return docstring.strip().splitlines()[0] if docstring else ""
