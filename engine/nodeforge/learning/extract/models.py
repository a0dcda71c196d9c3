"""Model classes: the pydantic models a node declares (its input, output, state, events...), and enums.

A model is kept whole (fields, validators, ``model_config``) with what it needs (the imports, enums
and other models it uses, followed into sibling modules), so generation can write the team's own
models instead of re-creating them. Slot ``<type>:model:<role>``, the role read off the class name
(``ModelOrderInput`` -> ``input``); ``<type>:model`` when the name names none; ``<type>:model:enum``
for an enum (``models/`` holds the enums the models use).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from nodeforge.learning.extract.build import Mining, add_definitions
from nodeforge.learning.extract.conventions import model_role
from nodeforge.learning.extract.handlers import docstring_of
from nodeforge.learning.extract.source import ParsedFile
from nodeforge.model import PatternKind

PYDANTIC_BASES = frozenset({"BaseModel", "RootModel"})
ENUM_BASES = frozenset({"Enum", "StrEnum", "IntEnum", "Flag", "IntFlag"})


def base_tail(node: cst.BaseExpression) -> str:
    """``BaseModel`` for ``BaseModel``, ``pydantic.BaseModel`` and ``RootModel[int]``."""
    if isinstance(node, cst.Subscript):
        node = node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node.value if isinstance(node, cst.Name) else ""


def is_model_class(cls: cst.ClassDef, local_models: frozenset[str] = frozenset()) -> bool:
    """A pydantic model: derives from ``BaseModel`` / ``RootModel`` or from a model of the same file."""
    return any(base_tail(base.value) in PYDANTIC_BASES | local_models for base in cls.bases)


def is_enum_class(cls: cst.ClassDef) -> bool:
    return any(base_tail(base.value) in ENUM_BASES for base in cls.bases)


@dataclass
class GatherModelClassesVisitor(cst.CSTVisitor):
    """Module-level pydantic models and enums, in source order (subclasses of earlier models too)."""

    classes: list[cst.ClassDef] = field(default_factory=list)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        return False  # nothing to find inside expressions

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if is_enum_class(node) or is_model_class(node, frozenset(cls.name.value for cls in self.classes)):
            self.classes.append(node)
        return False  # nested classes (a model's Config) belong to their model


def model_slot(node_type: str, cls: cst.ClassDef) -> str:
    if is_enum_class(cls):
        return f"{node_type}:model:enum"
    role = model_role(cls.name.value)
    return f"{node_type}:model:{role.removesuffix('_model')}" if role else f"{node_type}:model"


def mine_models(mining: Mining, parsed: ParsedFile) -> None:
    """One pattern per model class, whole, with what it needs."""
    node_type = mining.ctx.node.node_type.value
    for cls in parsed.visit(GatherModelClassesVisitor()).classes:
        fields = sum(1 for s in cls.body.body if isinstance(s, cst.SimpleStatementLine))
        add_definitions(
            mining,
            parsed,
            kind=PatternKind.MODEL,
            slot=model_slot(node_type, cls),
            parts=[cls],
            summary=docstring_of(cls) or f"model {cls.name.value} ({fields} field line(s))",
            class_name=cls.name.value,
            follow_siblings=True,
            boilerplate_of=cls,
        )
