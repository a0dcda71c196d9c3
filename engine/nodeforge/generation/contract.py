"""Node contracts: YAML in, a frozen ``Contract`` out.

pydantic validates the user's YAML at the edge (``contract_schema``), handlers and operations are
gathered from every section that declares them (``contract_handlers``); everything past
``load_contract`` works on frozen dataclasses. Every error is one line naming the file, the field
path (``handler_routing.handlers[1].operation``) and what was expected.

Names are kept as written (``chain.replay``); ``Operation.python_name`` is what generated code
uses. Names that become file, module or class names may not escape a folder: no ``..``, ``/``,
``\\`` or absolute paths.
"""

from __future__ import annotations

import copy
import dataclasses
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from nodeforge.errors import InputError
from nodeforge.generation.contract_handlers import collect, is_declared_in_routing
from nodeforge.generation.contract_schema import (
    ContractIn,
    ModelRefIn,
    describe_errors,
    is_handler_requirements,
    kind,
)
from nodeforge.generation.contract_types import (
    Capability,
    DependencyRef,
    HandlerRef,
    ModelRef,
    Operation,
    python_identifier,
)
from nodeforge.model import NodeType
from nodeforge.naming import NodeNames, entity_words
from nodeforge.yamlload import load_contract_yaml

__all__ = [
    "MAX_CONTRACT_BYTES",
    "Capability",
    "Contract",
    "DependencyRef",
    "HandlerRef",
    "ModelRef",
    "Operation",
    "contract_to_data",
    "dump_contract",
    "load_contract",
    "parse_contract",
    "python_identifier",
]

MAX_CONTRACT_BYTES = 1024 * 1024
# Anchors and aliases can make a small file expand enormously ("billion laughs"); this caps the
# number of values after expansion, far above any real contract.
MAX_EXPANDED_VALUES = 200_000
DEFAULT_VERSION = "1.0.0"
# Where a contract without ``name`` names its node (omnibase_core's runtime contracts do).
_NAME_FALLBACKS = ("node_name", "contract_name")


@dataclass(frozen=True)
class Contract:
    """A validated contract. Mapping fields hold plain YAML values; treat them as read-only.

    ``version`` is the ``contract_version`` (``node_version`` when only that is given, else
    ``1.0.0``); ``node_version`` is kept separately when the contract gives both. ``node_type_raw``
    is the spelling the contract used (``workflow``, ``EFFECT_GENERIC``). ``handlers`` holds every
    handler the contract declares, in any section; ``extra`` every section nodeforge does not parse,
    as written. ``dependencies`` holds the entries as written (a grouped mapping becomes one entry
    per item with its group as ``dependency_type``); ``dependency_refs`` reads them.
    """

    name: str
    node_type: NodeType
    description: str = ""
    version: str = DEFAULT_VERSION
    input_model: ModelRef | None = None
    output_model: ModelRef | None = None
    operations: tuple[Operation, ...] = ()
    capabilities: tuple[Capability, ...] = ()
    io_operations: tuple[str, ...] = ()
    dependencies: tuple[object, ...] = field(default=(), hash=False)
    error_handling: Mapping[str, object] = field(default_factory=dict, hash=False)
    event_bus: Mapping[str, object] = field(default_factory=dict, hash=False)
    extra: Mapping[str, object] = field(default_factory=dict, hash=False)
    source: Path | None = field(default=None, compare=False)
    node_version: str = ""
    routing_strategy: str = ""
    routing_extra: Mapping[str, object] = field(default_factory=dict, hash=False)
    node_type_raw: str = ""
    handlers: tuple[HandlerRef, ...] = ()
    text: str = field(default="", compare=False, hash=False, repr=False)  # the YAML as written

    @property
    def entity(self) -> str:
        """The entity in snake case: ``node_order_effect``, ``order`` and ``Order`` all give ``order``;
        ``OrderProcessor`` gives ``order_processor`` (a leading ``node`` and trailing node type drop)."""
        return "_".join(entity_words(self.name))

    @property
    def names(self) -> NodeNames:
        return NodeNames(entity_words(self.name), self.node_type)

    @property
    def python_names(self) -> tuple[str, ...]:
        return tuple(op.python_name for op in self.operations)

    @property
    def subscribe_topics(self) -> tuple[str, ...]:
        return _topics(self.event_bus, "subscribe_topics", "subscribe")

    @property
    def publish_topics(self) -> tuple[str, ...]:
        return _topics(self.event_bus, "publish_topics", "publish")

    @property
    def terminal_event(self) -> str:
        value = self.extra.get("terminal_event")
        return value if isinstance(value, str) else ""

    @property
    def dependency_refs(self) -> tuple[DependencyRef, ...]:
        return tuple(ref for ref in map(_dependency_ref, self.dependencies) if ref is not None)

    def section(self, key: str) -> Mapping[str, object]:
        """An unparsed mapping section (``descriptor``, ``metadata``, ``inputs``, ``outputs``...)."""
        value = self.extra.get(key)
        return value if isinstance(value, dict) else {}


def _topics(event_bus: Mapping[str, object], list_key: str, block_key: str) -> tuple[str, ...]:
    """``{subscribe_topics: [...]}`` or ``{subscribe: {topic: ...}}`` (any ``*topic`` key)."""
    listed = event_bus.get(list_key)
    topics = [t for t in listed if isinstance(t, str)] if isinstance(listed, list) else []
    block = event_bus.get(block_key)
    if isinstance(block, dict):
        topics += [v for k, v in block.items() if str(k).endswith("topic") and isinstance(v, str)]
    return tuple(topics)


def _dependency_ref(entry: object) -> DependencyRef | None:
    if isinstance(entry, str):
        return DependencyRef(entry)
    if not isinstance(entry, dict):
        return None
    name = entry.get("name", entry.get("key"))
    if not isinstance(name, str):
        return None
    dep_kind = entry.get("dependency_type", entry.get("type", ""))
    module = entry.get("module")
    return DependencyRef(name, str(dep_kind or ""), module if isinstance(module, str) else None)


def _dependency_entries(value: list[Any] | dict[str, Any]) -> tuple[object, ...]:
    """A list as written; ``{packages: [a], nodes: [{name: b}]}`` -> one entry per item."""
    if isinstance(value, list):
        return tuple(copy.deepcopy(value))
    entries: list[object] = []
    for group, items in value.items():
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, dict):
                entries.append({"dependency_type": group, **copy.deepcopy(item)})
            else:
                entries.append({"name": item, "dependency_type": group})
    return tuple(entries)


# --------------------------------------------------------------------------- loading


def load_contract(path: Path) -> Contract:
    """Read, parse and validate one contract file; every failure is an ``InputError`` of one line."""
    text = _read_text(path)
    return parse_contract(text, source=path)


def _refuse_special_file(path: Path) -> None:
    """A FIFO, socket or device is refused before it is opened: opening a FIFO blocks forever."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # missing or unreadable: the read below says which, in its own words
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise InputError(f"{path}: expected a contract file, got a FIFO, socket or device; not opened")


def parse_contract(text: str, *, source: Path | None = None) -> Contract:
    """Validate contract YAML given as text; ``source`` names the file in messages."""
    label = str(source) if source is not None else "<contract>"
    data = _parse_yaml(text, label)
    if not isinstance(data, dict):
        raise InputError(f"{label}: expected a mapping at the top level, got {kind(data)}")
    for key in data:
        if not isinstance(key, str):
            raise InputError(f"{label}: {key!r}: expected string keys at the top level")
    try:
        parsed = ContractIn.model_validate(_with_name(data, source))
    except ValidationError as exc:
        raise InputError(f"{label}: {describe_errors(exc.errors(include_url=False))}") from None
    return dataclasses.replace(_to_contract(parsed, data, label, source), text=text)


def _with_name(data: dict[str, Any], source: Path | None) -> dict[str, Any]:
    """omnibase_core's runtime contracts name the node by ``node_name`` or by the file; the name
    then comes from there (``contract.yaml`` is named after its folder)."""
    if "name" in data:
        return data
    for key in _NAME_FALLBACKS:
        if isinstance(data.get(key), str):
            return {**data, "name": data[key]}
    if source is not None:
        stem = source.parent.name if source.stem == "contract" else source.stem
        return {**data, "name": stem}
    return data


def _read_text(path: Path) -> str:
    _refuse_special_file(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONTRACT_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: contract file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: expected a contract file, got a directory") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read contract: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONTRACT_BYTES:
        raise InputError(
            f"{path}: contract is larger than {MAX_CONTRACT_BYTES // 1024} KiB; refusing to read it"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path}: line {line}: expected UTF-8 text, found byte 0x{raw[exc.start]:02x}"
        ) from None


def _parse_yaml(text: str, label: str) -> object:
    if len(text.encode("utf-8", errors="replace")) > MAX_CONTRACT_BYTES:
        raise InputError(
            f"{label}: contract is larger than {MAX_CONTRACT_BYTES // 1024} KiB; refusing to read it"
        )
    try:
        data: object = load_contract_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "malformed YAML").split())
        raise InputError(f"{label}: {where}malformed YAML: {problem}") from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise InputError(
            f"{label}: line {line}: malformed YAML: character #x{exc.character:04x} is not allowed"
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"{label}: malformed YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise InputError(f"{label}: YAML is nested too deeply") from None
    if _expanded_size(data, MAX_EXPANDED_VALUES) > MAX_EXPANDED_VALUES:
        raise InputError(f"{label}: YAML expands to more than {MAX_EXPANDED_VALUES} values (alias bomb?)")
    return data


def _expanded_size(data: object, limit: int) -> int:
    """Count values as if aliases were copied, stopping as soon as ``limit`` is passed."""
    count = 0
    stack: list[object] = [data]
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _to_contract(parsed: ContractIn, data: dict[str, Any], label: str, source: Path | None) -> Contract:
    try:
        entity_words(parsed.name)
    except ValueError:
        raise InputError(
            f"{label}: name: expected a name holding at least one word, got {parsed.name!r}"
        ) from None
    try:
        node_type = NodeType.parse(parsed.node_type)
    except ValueError as exc:
        raise InputError(f"{label}: node_type: {exc}") from None
    versions = [v.text() for v in (parsed.contract_version, parsed.node_version) if v is not None]
    version = versions[0] if versions else DEFAULT_VERSION
    node_version = parsed.node_version.text() if parsed.contract_version and parsed.node_version else ""
    routing = parsed.handler_routing
    operations, handlers = collect(parsed, data, label)
    return Contract(
        name=parsed.name,
        node_type=node_type,
        node_type_raw=parsed.node_type,
        description=parsed.description.strip(),
        version=version,
        node_version=node_version,
        input_model=_model_ref(parsed.input_model),
        output_model=_model_ref(parsed.output_model),
        operations=operations,
        handlers=handlers,
        capabilities=tuple(Capability(c.name.strip(), c.description.strip()) for c in parsed.capabilities),
        io_operations=tuple(parsed.io_operations),
        dependencies=_dependency_entries(parsed.dependencies),
        error_handling=copy.deepcopy(parsed.error_handling),
        event_bus=copy.deepcopy(parsed.event_bus),
        extra=_extra(parsed, data),
        source=source,
        routing_strategy=routing.routing_strategy if routing else "",
        routing_extra=copy.deepcopy(dict(routing.model_extra or {})) if routing else {},
    )


def _extra(parsed: ContractIn, data: dict[str, Any]) -> dict[str, object]:
    extra = copy.deepcopy(dict(parsed.model_extra or {}))
    if is_handler_requirements(data.get("handlers")):
        extra["handlers"] = copy.deepcopy(data["handlers"])
    return extra


def _model_ref(ref: ModelRefIn | None) -> ModelRef | None:
    return ModelRef(ref.name, ref.module) if ref else None


# --------------------------------------------------------------------------- dumping


def dump_contract(contract: Contract) -> str:
    """YAML for ``contract``; ``parse_contract(dump_contract(c)) == c``."""
    text: str = yaml.safe_dump(contract_to_data(contract), sort_keys=False, allow_unicode=True, width=100)
    return text


def contract_to_data(contract: Contract) -> dict[str, object]:
    data: dict[str, object] = {
        "name": contract.name,
        "node_type": contract.node_type_raw or f"{contract.node_type.value.upper()}_GENERIC",
    }
    if contract.description:
        data["description"] = contract.description
    data["contract_version"] = contract.version
    if contract.node_version:
        data["node_version"] = contract.node_version
    for key, ref in (("input_model", contract.input_model), ("output_model", contract.output_model)):
        if ref is not None:
            data[key] = {"name": ref.name, "module": ref.module} if ref.module else {"name": ref.name}
    data.update(_operations_data(contract))
    if contract.capabilities:
        data["capabilities"] = [
            {"name": c.name, "description": c.description} if c.description else c.name
            for c in contract.capabilities
        ]
    if contract.io_operations:
        data["io_operations"] = list(contract.io_operations)
    if contract.dependencies:
        data["dependencies"] = copy.deepcopy(list(contract.dependencies))
    for key, section in (("error_handling", contract.error_handling), ("event_bus", contract.event_bus)):
        if section:
            data[key] = copy.deepcopy(dict(section))
    for key, value in contract.extra.items():
        data[key] = copy.deepcopy(value)
    return data


def _operations_data(contract: Contract) -> dict[str, object]:
    """Operations the routing declared; those derived from other sections (kept in ``extra``)
    come back from there."""
    declared = [op for op in contract.operations if is_declared_in_routing(op)]
    routed = (
        contract.routing_strategy
        or contract.routing_extra
        or any(op.handler_name or op.handler_module or op.extra for op in declared)
    )
    if not routed:
        return {"operations": [op.name for op in declared]} if declared else {}
    handlers: list[dict[str, object]] = []
    for op in declared:
        entry: dict[str, object] = {"operation": op.name}
        if op.handler_name:
            handler: dict[str, object] = {"name": op.handler_name}
            if op.handler_module:
                handler["module"] = op.handler_module
            method = _handler_method(contract, op)
            if method and "handler_key" not in op.extra:
                handler["function"] = method
            entry["handler"] = handler
        entry.update(copy.deepcopy(dict(op.extra)))
        handlers.append(entry)
    routing: dict[str, object] = {}
    if contract.routing_strategy:
        routing["routing_strategy"] = contract.routing_strategy
    if handlers:
        routing["handlers"] = handlers
    routing.update(copy.deepcopy(dict(contract.routing_extra)))
    return {"handler_routing": routing}


def _handler_method(contract: Contract, op: Operation) -> str | None:
    for ref in contract.handlers:
        if ref.name == op.handler_name and ref.module == op.handler_module:
            return ref.method
    return None
