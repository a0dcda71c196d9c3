"""Imports typical of a node type: the node's base-class import, and the team's own imports.

The standard library, ``__future__`` and the node's relative imports are what every module has:
boilerplate, never a pattern. What is left is the team's vocabulary: the base class a node derives
from (``from teamapp.core.nodes import NodeEffect``, what generation needs when ``base_module`` is
not configured) and the team modules a handler imports (``teamapp.kit.resilience``...).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from nodeforge.learning.extract import deps
from nodeforge.learning.extract.build import Mining, add_pattern, as_line, base_name
from nodeforge.learning.extract.handlers import handle_method, is_node_class
from nodeforge.learning.extract.source import ParsedFile, dotted_name
from nodeforge.model import PatternKind

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


def mine_imports(mining: Mining, parsed: ParsedFile) -> None:
    visitor = parsed.visit(GatherTypicalImportsVisitor())
    if not visitor.statements:
        return
    node_type = mining.ctx.node.node_type.value
    classes = [s for s in parsed.module.body if isinstance(s, cst.ClassDef)]
    bases = sorted(
        {base_name(base.value) for cls in classes if is_node_class(cls) for base in cls.bases}
        & set(visitor.bindings)
    )
    if bases:
        module = visitor.bindings[bases[0]][0]
        originals = [visitor.bindings[name][1] for name in bases]
        reduced = [
            as_line(deps.reduce_import(statement, name, parsed.module)[0])
            for name, statement in zip(bases, originals, strict=True)
        ]
        extra = {"base_module": module, "base_class": ",".join(bases)}
        _add_imports(mining, parsed, f"{node_type}:imports:base", reduced, originals, extra)
    if any(handle_method(cls) is not None and not is_node_class(cls) for cls in classes):
        statements = list(visitor.statements)
        _add_imports(mining, parsed, f"{node_type}:imports:handler", statements, statements, {})


def _add_imports(
    mining: Mining,
    parsed: ParsedFile,
    slot: str,
    statements: Sequence[cst.CSTNode],
    originals: Sequence[cst.SimpleStatementLine],
    extra: dict[str, str],
) -> None:
    rendered = [mining.general(cst.Module(body=[]).code_for_node(s)) for s in statements]
    code = import_block(rendered)
    add_pattern(
        mining,
        parsed,
        kind=PatternKind.IMPORTS,
        slot=slot,
        operation="",
        node=cst.Module(body=[as_line(s) for s in statements]),
        code=code,
        dependencies=(),
        symbol=f"{parsed.rel}#{slot.rsplit(':', 1)[-1]}-imports",
        summary=f"imports typical of {mining.ctx.node.node_type.value} {slot.rsplit(':', 1)[-1]} modules",
        lines_of=(originals[0], originals[-1]),
        references_of=None,
        tested=None,
        extra=extra,
        allow_imports=True,
    )
