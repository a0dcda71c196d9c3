"""Handler implementations: the classes that serve an operation, in both node layouts.

A *directory node* keeps each operation in a handler class (``handle`` / ``execute``); a *module
node* keeps it in ``execute_<type>`` of its ``Node<Entity><Type>`` class, and that method is the
operation pattern (slot ``effect:execute_effect``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from nodeforge.learning.extract import deps
from nodeforge.learning.extract.build import Mining, add_pattern
from nodeforge.learning.extract.context import NodeContext
from nodeforge.learning.extract.conventions import NamingEvidence, is_node_class_name
from nodeforge.learning.extract.error_handling import (
    GatherErrorHandlingVisitor,
    mine_error_handling,
    without_try_body,
)
from nodeforge.learning.extract.source import ParsedFile
from nodeforge.learning.extract.validation import mine_guards
from nodeforge.model import Dependency, DependencyKind, PatternKind
from nodeforge.naming import generalize_text, snake_case, split_identifier

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


def _is_method(statement: cst.CSTNode, names: tuple[str, ...]) -> bool:
    # A type and name test rather than a matcher: it runs for every statement of every class, and
    # ``m.matches`` costs about ten times as much for the same answer.
    return isinstance(statement, cst.FunctionDef) and statement.name.value in names


# Plain CSTVisitors: a MatcherDecoratableVisitor costs ~40 ms to construct,
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
        if isinstance(node.body, cst.IndentedBlock) and handle_method(node) is not None:
            self.classes.append(node)
        return False  # nested classes are not handlers


def is_node_class(cls: cst.ClassDef) -> bool:
    """``Node<Entity><Type>``: the node's own class (a module node's operations live in it)."""
    return is_node_class_name(cls.name.value)


def handle_method(cls: cst.ClassDef) -> cst.FunctionDef | None:
    for statement in cls.body.body:
        if _is_method(statement, HANDLE_METHODS):
            assert isinstance(statement, cst.FunctionDef)
            return statement
    return None


def execute_methods(cls: cst.ClassDef) -> list[cst.FunctionDef]:
    """A node class's ``execute_<type>`` methods."""
    return [s for s in cls.body.body if isinstance(s, cst.FunctionDef) and _is_method(s, EXECUTE_METHODS)]


def docstring_of(node: cst.ClassDef | cst.FunctionDef | cst.Module) -> str:
    docstring = node.get_docstring()
    return docstring.strip().splitlines()[0] if docstring else ""


def mine_operations(
    mining: Mining,
    parsed: ParsedFile,
    classes: list[cst.ClassDef],
    tests: list[ParsedFile],
    naming: NamingEvidence,
) -> None:
    """Operation patterns (with their guards and error handling) from a file's handler classes.

    A module node's class holds its operations in ``execute_<type>`` methods: each is one pattern.
    """
    for cls in classes:
        if is_node_class(cls) and execute_methods(cls):
            for method in execute_methods(cls):
                _mine_operation_method(mining, parsed, cls, method, tests)
        else:
            _mine_handler_class(mining, parsed, cls, tests, naming)


def _operation_of(ctx: NodeContext, cls: cst.ClassDef, rel: str) -> str:
    name = cls.name.value
    if name in ctx.operations_by_handler:
        return snake_case(ctx.operations_by_handler[name])
    words = split_identifier(name)
    entity = list(ctx.node.names.words)
    if words[:1] == ["handler"]:
        words = words[1:]
    if words[: len(entity)] == entity:
        words = words[len(entity) :]
    if words:
        return "_".join(words)
    return rel.rsplit("/", 1)[-1].removesuffix(".py").removeprefix("handler_")


def _mine_handler_class(
    mining: Mining, parsed: ParsedFile, cls: cst.ClassDef, tests: list[ParsedFile], naming: NamingEvidence
) -> None:
    ctx = mining.ctx
    method = handle_method(cls)
    assert method is not None
    raw_operation = _operation_of(ctx, cls, parsed.rel)
    mining.handler_operations[cls.name.value] = raw_operation
    naming.add_operation_name("handler_class", cls.name.value, raw_operation, pascal=True)
    naming.add_operation_name("handler_module", parsed.rel, raw_operation, pascal=False)
    operation = generalize_text(raw_operation, ctx.node.names)
    test_deps = _tests_using(mining, tests, cls.name.value)
    _add_operation(mining, parsed, cls, method, cls, operation, cls.name.value, test_deps)
    mine_guards(mining, parsed, cls, method, operation, tested=bool(test_deps))
    mine_error_handling(mining, parsed, cls, tested=bool(test_deps))


def _mine_operation_method(
    mining: Mining, parsed: ParsedFile, cls: cst.ClassDef, method: cst.FunctionDef, tests: list[ParsedFile]
) -> None:
    """A module node's ``execute_<type>``: the method itself is the operation pattern."""
    operation = method.name.value
    test_deps = _tests_using(mining, tests, cls.name.value)
    _add_operation(mining, parsed, cls, method, method, operation, f"{cls.name.value}.{operation}", test_deps)
    mine_guards(mining, parsed, cls, method, operation, tested=bool(test_deps))
    mine_error_handling(mining, parsed, cls, tested=bool(test_deps), only=method)


def _add_operation(
    mining: Mining,
    parsed: ParsedFile,
    cls: cst.ClassDef,
    method: cst.FunctionDef,
    code: cst.ClassDef | cst.FunctionDef,
    operation: str,
    symbol: str,
    test_deps: tuple[Dependency, ...],
) -> None:
    """The operation pattern whose code is ``code`` (the handler class, or a module node's method)."""
    ctx = mining.ctx
    add_pattern(
        mining,
        parsed,
        kind=PatternKind.OPERATION,
        slot=f"{ctx.node.node_type.value}:{operation}",
        operation=operation,
        node=code,
        code=mining.render(code, parsed),
        dependencies=deps.collect(ctx, parsed, mining.render, code) + test_deps,
        symbol=symbol,
        summary=docstring_of(method) or docstring_of(cls),
        class_name=cls.name.value,
        lines_of=(code, code),
        references_of=((code,), None),
        tested=bool(test_deps),
    )


def _tests_using(mining: Mining, tests: list[ParsedFile], class_name: str) -> tuple[Dependency, ...]:
    """Node-local test modules that import the handler class: they travel with its pattern."""
    found = []
    for test in tests:
        top = test.top_level.get(class_name)
        if top is not None and top.is_import:
            name = test.rel.rsplit("/", 1)[-1].removesuffix(".py")
            found.append(
                Dependency(
                    kind=DependencyKind.TEST,
                    name=name,
                    code=mining.render(test.module, test),
                    origin=test.rel,
                )
            )
    return tuple(found)
