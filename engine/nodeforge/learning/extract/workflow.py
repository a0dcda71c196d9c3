"""Orchestration and reducer specifics: workflow steps, compensation, state transitions.

* **steps**: a step type (a class with a compensating action: a field or method named
  ``compensate``/``undo``/``rollback``) and the functions that build the standard steps (they
  return or construct that type);
* **compensation**: a method or function that undoes completed steps (``_compensate``,
  ``rollback``...);
* **state transitions** of a reducer: the fold given to ``functools.reduce`` and the function that
  makes its initial state.

Text pre-checks keep the walks off files that cannot hold any of these.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m

from nodeforge.learning.extract.build import Mining, add_definitions
from nodeforge.learning.extract.handlers import handle_method
from nodeforge.learning.extract.source import ParsedFile, dotted_name
from nodeforge.model import PatternKind

_COMPENSATION = re.compile(r"compensat|rollback|roll_back|undo", re.IGNORECASE)
_COMPENSATION_NAME = re.compile(r"^_?(?:compensate|rollback|roll_back|undo)\w*$", re.IGNORECASE)
_STEP_METHODS = frozenset({"compensate", "undo", "rollback"})
_REDUCE_CALL = m.Call(func=m.Name("reduce") | m.Attribute(attr=m.Name("reduce")))


def may_hold_workflow(text: str) -> bool:
    return bool(_COMPENSATION.search(text)) or "reduce(" in text


@dataclass
class GatherWorkflowVisitor(cst.CSTVisitor):
    """Step types, step factories and compensation at module and class level."""

    step_types: list[cst.ClassDef] = field(default_factory=list)
    step_factories: list[cst.FunctionDef] = field(default_factory=list)
    compensations: list[tuple[str, cst.FunctionDef]] = field(default_factory=list)  # (owner, function)
    _owner: str = ""
    _functions: list[cst.FunctionDef] = field(default_factory=list)

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if _is_step_type(node):
            self.step_types.append(node)
            return False
        self._owner = node.name.value
        return True

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._owner = ""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if _COMPENSATION_NAME.match(node.name.value):
            self.compensations.append((self._owner, node))
        elif not self._owner:
            self._functions.append(node)
        return False

    def leave_Module(self, original_node: cst.Module) -> None:
        step_names = {cls.name.value for cls in self.step_types}
        for function in self._functions:
            returns = dotted_name(function.returns.annotation) if function.returns else ""
            annotation = (
                cst.Module(body=[]).code_for_node(function.returns.annotation) if function.returns else ""
            )
            if step_names and (returns in step_names or any(name in annotation for name in step_names)):
                self.step_factories.append(function)


def _is_step_type(cls: cst.ClassDef) -> bool:
    """A class holding a compensating action: a field, or a public method, named compensate/undo/rollback."""
    for statement in cls.body.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                target = small.target if isinstance(small, cst.AnnAssign) else None
                if isinstance(target, cst.Name) and _COMPENSATION_NAME.match(target.value):
                    return True
        elif isinstance(statement, cst.FunctionDef) and statement.name.value in _STEP_METHODS:
            return True
    return False


@dataclass
class GatherFoldsVisitor(cst.CSTVisitor):
    """``reduce(fold, items, initial(...))`` calls: the names of the fold and of the initial-state maker."""

    folds: list[str] = field(default_factory=list)
    initials: list[str] = field(default_factory=list)

    def visit_Call(self, node: cst.Call) -> None:
        if not m.matches(node, _REDUCE_CALL) or not node.args:
            return
        fold = node.args[0].value
        if isinstance(fold, cst.Name):
            self.folds.append(fold.value)
        if len(node.args) > 2:
            initial = node.args[2].value
            if isinstance(initial, cst.Call) and isinstance(initial.func, cst.Name):
                self.initials.append(initial.func.value)


def mine_workflow(mining: Mining, parsed: ParsedFile, handlers: list[cst.ClassDef]) -> None:
    ctx = mining.ctx
    node_type = ctx.node.node_type.value
    visitor = parsed.visit(GatherWorkflowVisitor())
    if visitor.step_types:
        parts: list[cst.CSTNode] = [*visitor.step_types, *visitor.step_factories]
        _add_workflow(
            mining, parsed, f"{node_type}:workflow:steps", parts, "workflow steps and their compensation"
        )
    for owner, function in visitor.compensations:
        _add_workflow(
            mining,
            parsed,
            f"{node_type}:workflow:compensation",
            [function],
            "undo completed steps, last first",
            symbol=f"{owner}.{function.name.value}" if owner else function.name.value,
        )
    if "reduce(" not in parsed.text:
        return
    for cls in handlers:
        method = handle_method(cls)
        if method is None:
            continue
        folds = parsed.visit(GatherFoldsVisitor(), method)
        names = [*folds.initials, *folds.folds]
        parts = [
            parsed.top_level[n].statement
            for n in dict.fromkeys(names)
            if n in parsed.top_level and not parsed.top_level[n].is_import
        ]
        if parts:
            _add_workflow(
                mining,
                parsed,
                f"{node_type}:workflow:state_transition",
                parts,
                "initial state and fold of the reducer",
                symbol=f"{cls.name.value}#fold",
            )


def _add_workflow(
    mining: Mining,
    parsed: ParsedFile,
    slot: str,
    parts: Sequence[cst.CSTNode],
    summary: str,
    symbol: str = "",
) -> None:
    add_definitions(
        mining, parsed, kind=PatternKind.WORKFLOW, slot=slot, parts=parts, summary=summary, symbol=symbol
    )
