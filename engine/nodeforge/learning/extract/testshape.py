"""Test shapes per operation: the fixtures and tests a node's test module has for one operation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m

from nodeforge.learning.extract import deps
from nodeforge.learning.extract.build import Mining, add_pattern, fragment
from nodeforge.learning.extract.conventions import NamingEvidence
from nodeforge.learning.extract.source import ParsedFile
from nodeforge.model import DependencyKind, PatternKind
from nodeforge.naming import generalize_text

_FIXTURE = m.Decorator(
    decorator=m.Name("fixture")
    | m.Attribute(attr=m.Name("fixture"))
    | m.Call(func=m.Name("fixture") | m.Attribute(attr=m.Name("fixture")))
)
_ASSERT_LINE = re.compile(r"^\s*assert\b", re.MULTILINE)
_RAISES = re.compile(r"\bpytest\.raises\(|\braises\(")


@dataclass
class GatherTestShapesVisitor(cst.CSTVisitor):
    """Module-level fixtures, test functions and test classes, in source order."""

    fixtures: list[cst.FunctionDef] = field(default_factory=list)
    tests: list[cst.FunctionDef | cst.ClassDef] = field(default_factory=list)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return False  # nothing to find inside expressions

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if any(m.matches(decorator, _FIXTURE) for decorator in node.decorators):
            self.fixtures.append(node)
        elif node.name.value.startswith("test"):
            self.tests.append(node)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if node.name.value.startswith("Test"):
            self.tests.append(node)
        return False


@dataclass(frozen=True)
class TestShape:
    tests: int
    asserts: int
    raises: int
    fixtures: tuple[str, ...]

    def describe(self, operation: str) -> str:
        helpers = f"; fixtures {', '.join(self.fixtures)}" if self.fixtures else ""
        return (
            f"{self.tests} test(s) of {operation}: {self.asserts} assert(s), "
            f"{self.raises} expected error(s){helpers}"
        )


def shape_of(code: str, tests: int, fixtures: tuple[str, ...]) -> TestShape:
    return TestShape(tests, len(_ASSERT_LINE.findall(code)), len(_RAISES.findall(code)), fixtures)


def mine_test_shapes(mining: Mining, test: ParsedFile, naming: NamingEvidence) -> None:
    imported = [
        name for name, top in test.top_level.items() if top.is_import and name in mining.handler_operations
    ]
    # A test of no one handler (it imports the node's models, functions or registry) tests the
    # node as a whole: slot ``<type>:test:node``.
    raw_operation = mining.handler_operations[imported[0]] if imported else ""
    if raw_operation:
        naming.add_operation_name("test_module", test.rel, raw_operation, pascal=False)
    shapes = test.visit(GatherTestShapesVisitor())
    if not shapes.tests:
        mining.skip(test, "tests", "no test functions")
        return
    parts: list[cst.CSTNode] = [*shapes.fixtures, *shapes.tests]
    code = "\n\n\n".join(mining.render(part, test).strip() for part in parts) + "\n"
    fixtures = tuple(f.name.value for f in shapes.fixtures)
    found = deps.collect(mining.ctx, test, mining.render, *parts, follow_siblings=False)
    helpers = tuple(d.name for d in found if d.kind == DependencyKind.DEFINITION)
    shape = shape_of(code, len(shapes.tests), fixtures + helpers)
    operation = generalize_text(raw_operation, mining.ctx.node.names) if raw_operation else ""
    add_pattern(
        mining,
        test,
        kind=PatternKind.TEST_SHAPE,
        slot=f"{mining.ctx.node.node_type.value}:test:{operation or 'node'}",
        operation=operation,
        node=fragment(parts),
        code=code,
        dependencies=found,
        symbol=test.rel,
        summary=mining.general(shape.describe(raw_operation or "the node")),
        lines_of=(parts[0], parts[-1]),
        references_of=(tuple(parts), None),
        tested=None,
        extra={"tests": str(shape.tests), "asserts": str(shape.asserts), "raises": str(shape.raises)},
    )
