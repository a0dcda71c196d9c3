"""Naming conventions of a node type: how handler modules and classes, models and tests are named.

Each name the node uses is matched against its entity and operation; a name that spells both (or
the entity alone, for per-node names) becomes a scheme such as ``Handler{Entity}{Operation}``. A
role whose names disagree inside one node, or that do not mention the entity, has no scheme. The
pattern's code is a small, entity-free mapping, so every node following the same convention yields
the same pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from nodeforge.learning.extract.build import Mining, add_pattern
from nodeforge.learning.extract.source import ParsedFile
from nodeforge.learning.nodes import DIRECTORY
from nodeforge.model import PatternKind
from nodeforge.naming import NodeNames, pascal_case, snake_case

_MODEL_ROLE = re.compile(r"^Model\w*?(Input|Output|Request|Response|Result|State|Event)$")
_NODE_CLASS_NAME = re.compile(r"^Node[A-Z]\w*?(Effect|Compute|Reducer|Orchestrator)$")


def is_node_class_name(name: str) -> bool:
    return bool(_NODE_CLASS_NAME.match(name))


@dataclass
class GatherNamingVisitor(cst.CSTVisitor):
    """Names of the module-level classes of one file."""

    classes: list[str] = field(default_factory=list)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return False  # nothing to find inside expressions

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.classes.append(node.name.value)
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False


@dataclass
class NamingEvidence:
    """Names seen across one node, by role; schemes derived from them."""

    names: NodeNames
    seen: dict[str, set[str]] = field(default_factory=dict)

    def add(self, role: str, scheme: str | None) -> None:
        self.seen.setdefault(role, set()).add(scheme or "")

    def add_operation_name(self, role: str, name: str, operation: str, *, pascal: bool) -> None:
        entity = self.names.pascal if pascal else self.names.snake
        op = pascal_case(operation) if pascal else snake_case(operation)
        marker_entity, marker_op = ("{Entity}", "{Operation}") if pascal else ("{entity}", "{operation}")
        scheme = _replace_once(name, entity, marker_entity)
        if scheme is not None and op:
            scheme = _replace_once(scheme, op, marker_op) or scheme
        self.add(role, scheme)

    def add_entity_name(self, role: str, name: str, *, pascal: bool) -> None:
        entity = self.names.pascal if pascal else self.names.snake
        self.add(role, _replace_once(name, entity, "{Entity}" if pascal else "{entity}"))

    def schemes(self) -> dict[str, str]:
        """Role -> scheme, for roles whose names all follow one scheme."""
        found: dict[str, str] = {}
        for role, schemes in sorted(self.seen.items()):
            if len(schemes) == 1 and "" not in schemes:
                found[role] = next(iter(schemes))
        return found


def _replace_once(name: str, form: str, marker: str) -> str | None:
    """``name`` with its first whole-word ``form`` replaced by ``marker``; None when it has none."""
    if not form:
        return None
    if form[:1].isupper():
        pattern = rf"(?<![A-Z]){re.escape(form)}(?![a-z])"
    else:
        pattern = rf"(?<![a-z0-9]){re.escape(form)}(?![a-z0-9])"
    replaced, count = re.subn(pattern, marker.replace("\\", "\\\\"), name, count=1)
    return replaced if count else None


def model_role(name: str) -> str | None:
    match = _MODEL_ROLE.match(name)
    return f"{match.group(1).lower()}_model" if match else None


def naming_code(node_type: str, schemes: dict[str, str]) -> str:
    entries = "\n".join(f'    "{role}": "{scheme}",' for role, scheme in sorted(schemes.items()))
    return (
        f'"""How the team names the parts of its {node_type} nodes."""\n\nNAMING_SCHEME = {{\n{entries}\n}}\n'
    )


def note_class_names(parsed: ParsedFile, naming: NamingEvidence) -> None:
    """Record how the file's model and node classes are named, for the node's naming scheme."""
    for name in parsed.visit(GatherNamingVisitor()).classes:
        role = model_role(name)
        if role is not None:
            naming.add_entity_name(role, name, pascal=True)
        elif is_node_class_name(name):
            naming.add_entity_name("node_class", name, pascal=True)


def mine_naming(mining: Mining, naming: NamingEvidence, files: list[ParsedFile]) -> None:
    schemes = naming.schemes()
    if len(schemes) < 2 or not files:
        return
    anchor = next(
        (f for f in files if f.rel in ("node.py",) or mining.ctx.node.layout != DIRECTORY), files[0]
    )
    node_type = mining.ctx.node.node_type.value
    code = naming_code(node_type, schemes)
    add_pattern(
        mining,
        anchor,
        kind=PatternKind.NAMING,
        slot=f"{node_type}:naming",
        operation="",
        node=cst.parse_module(code),
        code=code,
        dependencies=(),
        symbol="#naming",
        summary=f"naming scheme of {node_type} nodes: " + ", ".join(f"{k}={v}" for k, v in schemes.items()),
        lines_of=None,
        references_of=None,
        tested=None,
        extra=dict(schemes),
    )
