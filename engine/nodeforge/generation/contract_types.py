"""The frozen pieces of a contract: model and handler references, operations, capabilities.

Names are kept as the contract spells them (``chain.replay``, ``rrh-emit``); ``python_name`` is the
identifier generated code uses for them (``chain_replay``, ``rrh_emit``).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_NOT_IDENTIFIER = re.compile(r"[^0-9A-Za-z_]+")


def python_identifier(name: str) -> str:
    """A valid, non-keyword Python identifier for a name as written.

    Every run of characters that cannot appear in an identifier becomes one ``_``
    (``chain.replay`` -> ``chain_replay``); a leading digit gets an ``op_`` prefix and a keyword a
    trailing ``_`` (``import`` -> ``import_``), the usual Python spelling for both.
    """
    text = _NOT_IDENTIFIER.sub("_", name.strip()).strip("_") or "op"
    if text[0].isdigit():
        text = "op_" + text
    return text + "_" if keyword.iskeyword(text) else text


@dataclass(frozen=True)
class ModelRef:
    """A model class; ``module`` is ``None`` when the contract gives only the class name."""

    name: str
    module: str | None = None


@dataclass(frozen=True)
class Operation:
    """One operation the node offers; ``field_path`` says where the contract declared it."""

    name: str
    handler_name: str | None = None
    handler_module: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict, hash=False)
    field_path: str = field(default="", compare=False)

    @property
    def python_name(self) -> str:
        """The name generated modules, classes and functions use (``chain.replay`` -> ``chain_replay``)."""
        return python_identifier(self.name)


@dataclass(frozen=True)
class HandlerRef:
    """A handler the contract declares, wherever it declares it.

    ``name`` is the class (or, for a bare ``handler_key``, the function) name; ``method`` the method
    a ``Class.method`` key names; ``operations`` the ``Operation.name`` values it serves;
    ``event_model`` the payload it is routed on (``payload_type_match``) and ``input_model`` the
    model it takes, when the contract says. ``field_path`` is its first declaration.
    """

    name: str
    module: str | None = None
    operations: tuple[str, ...] = ()
    event_model: ModelRef | None = None
    input_model: ModelRef | None = None
    method: str | None = None
    field_path: str = field(default="", compare=False)


@dataclass(frozen=True)
class DependencyRef:
    """One entry of ``dependencies``: ``kind`` is its ``dependency_type``/``type`` or its group
    (``packages``, ``nodes``) when the contract groups dependencies in a mapping."""

    name: str
    kind: str = ""
    module: str | None = None


@dataclass(frozen=True)
class Capability:
    name: str
    description: str = ""
