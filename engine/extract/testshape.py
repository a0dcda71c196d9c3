"""Test shapes per operation: the fixtures and tests a node's test module has for one operation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m

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
