"""Imports typical of a node type: the node's base-class import, and the team's own imports.

The standard library, ``__future__`` and the node's relative imports are what every module has:
boilerplate, never a pattern. What is left is the team's vocabulary: the base class a node derives
from (``from teamapp.core.nodes import NodeEffect``, what generation needs when ``base_module`` is
not configured) and the team modules a handler imports (``teamapp.kit.resilience``...).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import libcst as cst

from nodeforge.extract.source import dotted_name

_STANDARD = frozenset(sys.stdlib_module_names) | {"__future__", "typing_extensions"}


@dataclass
class GatherTypicalImportsVisitor(cst.CSTVisitor):
    """Module-level imports of the team's own (non-standard, absolute) modules, and what they bind."""

    statements: list[cst.SimpleStatementLine] = field(default_factory=list)
    bindings: dict[str, tuple[str, cst.SimpleStatementLine]] = field(default_factory=dict)  # name -> module

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        for small in node.body:
            module = _team_module(small)
            if module is None:
                continue
            self.statements.append(node)
            for name in _bound(small):
                self.bindings[name] = (module, node)
            break
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_If(self, node: cst.If) -> bool:
        return False  # TYPE_CHECKING blocks and version switches are not the team's vocabulary

    def visit_Try(self, node: cst.Try) -> bool:
        return False  # optional imports are boilerplate


def _team_module(small: cst.BaseSmallStatement) -> str | None:
    if isinstance(small, cst.ImportFrom):
        if small.relative or small.module is None:
            return None
        module = dotted_name(small.module)
    elif isinstance(small, cst.Import):
        module = dotted_name(small.names[0].name)
    else:
        return None
    return None if module.split(".")[0] in _STANDARD else module


def _bound(small: cst.BaseSmallStatement) -> list[str]:
    if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
        return [dotted_name(a.asname.name if a.asname else a.name) for a in small.names]
    if isinstance(small, cst.Import):
        return [dotted_name(a.asname.name if a.asname else a.name).split(".")[0] for a in small.names]
    return []


def import_block(rendered: list[str]) -> str:
    """Rendered import statements, sorted and deduplicated: one canonical order for every node."""
    return "\n".join(sorted(dict.fromkeys(line.strip() for line in rendered))) + "\n"
