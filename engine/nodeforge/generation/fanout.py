"""Rewrite an exemplar's files for a new contract's handlers and model locations (libcst).

An exemplar routes its own operations (``"create": Handler__Entity__Create(shared)``); the new
node routes the contract's. Every smallest statement or collection element that names one of the
exemplar's handlers is written once per new handler mapped to it (renamed: class, module and the
operation string), and dropped when none is: the node's imports, its routing dict and a registry's
list come out with exactly the contract's handlers, in the team's own shape.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import libcst as cst


@dataclass(frozen=True)
class HandlerRef:
    """A handler by operation, class and module basename (generalized on the exemplar's side)."""

    operation: str
    class_name: str
    module: str


def imports_name(code: str, name: str) -> bool:
    """Whether ``code`` imports ``name`` with ``from ... import``, one name per line or many."""
    try:
        tree = ast.parse(code)
    except SyntaxError:  # a generalized module that only parses once instantiated: its text then
        return f"import {name}" in code
    return any(
        isinstance(node, ast.ImportFrom) and any(alias.name == name for alias in node.names)
        for node in ast.walk(tree)
    )


def _word(name: str) -> str:
    return rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])"


def _references(code: str, source: HandlerRef) -> bool:
    names = [n for n in (source.class_name, source.module) if n]
    return any(re.search(_word(name), code) for name in names)


def rename_handler(code: str, source: HandlerRef, target: HandlerRef) -> str:
    """``code`` with ``source``'s class, module and quoted operation replaced by ``target``'s, in one pass."""
    table: dict[str, str] = {}
    if source.class_name and target.class_name:
        table[source.class_name] = target.class_name
    if source.module and target.module:
        table[source.module] = target.module
    alternatives = [_word(name) for name in sorted(table, key=len, reverse=True)]
    quoted = rf"(?P<q>[\"']){re.escape(source.operation)}(?P=q)" if source.operation else ""
    if quoted and source.operation != target.operation:
        alternatives.append(quoted)
    if not alternatives:
        return code

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text in table:
            return table[text]
        return f"{match.group('q')}{target.operation}{match.group('q')}"

    return re.sub("|".join(alternatives), replace, code)


class _FanOut(cst.CSTTransformer):
    def __init__(self, plan: Mapping[HandlerRef, Sequence[HandlerRef]]) -> None:
        super().__init__()
        self._plan = plan
        self._empty = cst.Module(body=[])

    def _source_of(self, node: cst.CSTNode) -> HandlerRef | None:
        code = self._empty.code_for_node(node)
        sources = [s for s in self._plan if _references(code, s)]
        return sources[0] if len(sources) == 1 else None

    def _copies(self, node: cst.CSTNode, wrap: str) -> list[cst.CSTNode] | None:
        source = self._source_of(node)
        if source is None:
            return None
        code = self._empty.code_for_node(node)
        return [_reparse(rename_handler(code, source, target), wrap) for target in self._plan[source]]

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        copies = self._copies(updated_node, "statement")
        if copies is None:
            return updated_node
        statements = [c for c in copies if isinstance(c, cst.SimpleStatementLine)]
        # The copies stand where the original stood: only the first keeps its blank lines.
        statements = statements[:1] + [c.with_changes(leading_lines=[]) for c in statements[1:]]
        return cst.FlattenSentinel(statements) if statements else cst.RemoveFromParent()

    def leave_DictElement(
        self, original_node: cst.DictElement, updated_node: cst.DictElement
    ) -> cst.BaseDictElement | cst.FlattenSentinel[cst.BaseDictElement] | cst.RemovalSentinel:
        copies = self._copies(updated_node, "dict")
        if copies is None:
            return updated_node
        elements = [_with_comma(c, updated_node.comma) for c in copies if isinstance(c, cst.DictElement)]
        return cst.FlattenSentinel(elements) if elements else cst.RemoveFromParent()

    def leave_Element(
        self, original_node: cst.Element, updated_node: cst.Element
    ) -> cst.BaseElement | cst.FlattenSentinel[cst.BaseElement] | cst.RemovalSentinel:
        copies = self._copies(updated_node, "list")
        if copies is None:
            return updated_node
        elements = [_with_comma(c, updated_node.comma) for c in copies if isinstance(c, cst.Element)]
        return cst.FlattenSentinel(elements) if elements else cst.RemoveFromParent()


_E = TypeVar("_E", cst.DictElement, cst.Element)


def _with_comma(copy: _E, comma: cst.Comma | cst.MaybeSentinel) -> _E:
    """Each copy ends as the original element did (its comma and the line break after it)."""
    return copy.with_changes(
        comma=comma
        if isinstance(comma, cst.Comma)
        else cst.Comma(cst.SimpleWhitespace(""), cst.SimpleWhitespace(" "))
    )


def _reparse(code: str, wrap: str) -> cst.CSTNode:
    if wrap == "statement":
        return cst.parse_statement(code)
    if wrap == "dict":
        parsed = cst.parse_expression("{" + code.rstrip().rstrip(",") + "}")
        assert isinstance(parsed, cst.Dict)
        return parsed.elements[0]
    expression = cst.parse_expression("[" + code.rstrip().rstrip(",") + "]")
    assert isinstance(expression, cst.List)
    return expression.elements[0]


def fan_out(code: str, plan: Mapping[HandlerRef, Sequence[HandlerRef]]) -> str:
    """Route ``code`` to the new handlers (see the module docstring). Raises ParserSyntaxError."""
    if not any(_references(code, source) for source in plan):
        return code
    routed = cst.parse_module(code).visit(_FanOut(plan)).code
    # What is left names a handler inside a larger statement (a class's base, a method body): it
    # becomes the first handler routed to it, so no reference to the exemplar's own handler remains.
    for source, routed_to in plan.items():
        if routed_to and _references(routed, source):
            routed = rename_handler(routed, source, routed_to[0])
    return routed


class _AbsoluteModels(cst.CSTTransformer):
    def __init__(self, path: str, moved: Mapping[str, str]) -> None:
        super().__init__()
        self._package = path.split("/")[:-1]
        self._moved = moved

    def leave_ImportFrom(self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom) -> cst.ImportFrom:
        level = len(updated_node.relative)
        if level == 0 or level - 1 > len(self._package):
            return updated_node
        package = self._package[: len(self._package) - (level - 1)]
        module = cst.Module(body=[]).code_for_node(updated_node.module) if updated_node.module else ""
        target = "/".join([*package, *module.split(".")]) if module else "/".join(package)
        absolute = self._moved.get(f"{target}.py")
        if absolute is None:
            return updated_node
        dotted = cst.parse_expression(absolute)
        assert isinstance(dotted, cst.Attribute | cst.Name)
        return updated_node.with_changes(relative=[], module=dotted)


def absolute_model_imports(path: str, code: str, moved: Mapping[str, str]) -> str:
    """Relative imports of node modules that now live elsewhere (``models/x.py`` -> ``pkg.models.x``)."""
    if not moved:
        return code
    return cst.parse_module(code).visit(_AbsoluteModels(path, moved)).code
