"""Registries and support modules: how a node wires itself, and the helpers its handlers call.

A *registry* is a ``Registry*`` class, or the classes and functions of a node's ``registry/`` module
(``registry.py``, ``registry_<node>.py``): the team's dependency-injection convention (handlers
built from a ``container``...). Slot ``<type>:registry``.

A *support module* is any other node-local module that holds no handler, node class or model only:
probes, adapters, clients, protocols, utilities. Its classes and functions make one pattern, slot
``<type>:support:<module>``, so the node's helpers are learned even when no handler imports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from nodeforge.learning.extract.build import Mining, add_definitions
from nodeforge.learning.extract.handlers import docstring_of, is_node_class
from nodeforge.learning.extract.models import is_enum_class, is_model_class
from nodeforge.learning.extract.source import ParsedFile
from nodeforge.model import PatternKind
from nodeforge.naming import MODEL_PACKAGES, generalize_text

REGISTRY_FOLDERS = frozenset({"registry", "registries"})
_NOT_SUPPORT = frozenset({"node", "__init__", "__main__"})


def is_registry_module(rel: str) -> bool:
    *folders, name = rel.split("/")
    return any(folder in REGISTRY_FOLDERS for folder in folders) or name.startswith("registry")


def is_support_module(rel: str) -> bool:
    """Neither the node's entry points nor its models nor its registry (tests are sorted out before)."""
    *folders, name = rel.split("/")
    stem = name.removesuffix(".py")
    return not (stem in _NOT_SUPPORT or MODEL_PACKAGES & set(folders) or is_registry_module(rel))


@dataclass
class GatherDefinitionsVisitor(cst.CSTVisitor):
    """Module-level classes and functions, in source order, except node classes, models and enums."""

    definitions: list[cst.ClassDef | cst.FunctionDef] = field(default_factory=list)
    registries: list[cst.ClassDef] = field(default_factory=list)
    _models: set[str] = field(default_factory=set)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return False  # nothing to find inside expressions

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.definitions.append(node)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if is_enum_class(node) or is_model_class(node, frozenset(self._models)):
            self._models.add(node.name.value)
        elif not is_node_class(node):
            self.definitions.append(node)
            if node.name.value.startswith("Registry"):
                self.registries.append(node)
        return False


def mine_registry(mining: Mining, parsed: ParsedFile, found: GatherDefinitionsVisitor) -> None:
    """The registry module's definitions, or the ``Registry*`` classes of any other module."""
    parts = found.definitions if is_registry_module(parsed.rel) else found.registries
    _add_module_part(
        mining, parsed, PatternKind.REGISTRY, "registry", parts, "how the node wires its handlers"
    )


def mine_support(mining: Mining, parsed: ParsedFile, found: GatherDefinitionsVisitor) -> None:
    """A helper module's classes and functions, as one pattern."""
    module = generalize_text(parsed.rel.rsplit("/", 1)[-1].removesuffix(".py"), mining.ctx.node.names)
    _add_module_part(
        mining, parsed, PatternKind.SUPPORT, f"support:{module}", found.definitions, f"helpers of {module}"
    )


def _add_module_part(
    mining: Mining,
    parsed: ParsedFile,
    kind: PatternKind,
    slot: str,
    parts: Sequence[cst.CSTNode],
    fallback_summary: str,
) -> None:
    if not parts:
        return
    add_definitions(
        mining,
        parsed,
        kind=kind,
        slot=f"{mining.ctx.node.node_type.value}:{slot}",
        parts=parts,
        summary=docstring_of(parsed.module) or fallback_summary,
        symbol=f"{parsed.rel}#{kind.value}",
        follow_siblings=True,
    )
