"""Node contracts: YAML in, a frozen ``Contract`` out.

pydantic validates the user's YAML at the edge (``_ContractIn`` and friends); everything past
``load_contract`` works on frozen dataclasses. Every error is one line naming the file, the field
path (``handler_routing.handlers[1].operation``) and what was expected.

Names that later become file, module or class names (the contract ``name``, operations, handler
names and modules, model refs) must be safe identifiers: no ``..``, ``/``, ``\\``, no absolute paths.
"""

from __future__ import annotations

import copy
import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
)
from pydantic_core import ErrorDetails

from nodeforge.errors import InputError
from nodeforge.model import NodeType
from nodeforge.naming import NodeNames, entity_words, snake_case
from nodeforge.yamlload import load_yaml

MAX_CONTRACT_BYTES = 1024 * 1024
# Anchors and aliases can make a small file expand enormously ("billion laughs"); this caps the
# number of values after expansion, far above any real contract.
MAX_EXPANDED_VALUES = 200_000
MAX_NAME_LENGTH = 100
DEFAULT_VERSION = "1.0.0"

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_IO_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


# --------------------------------------------------------------------------- domain types


@dataclass(frozen=True)
class ModelRef:
    name: str
    module: str


@dataclass(frozen=True)
class Operation:
    """One operation the node offers; ``field_path`` says where the contract declared it."""

    name: str
    handler_name: str | None = None
    handler_module: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict, hash=False)
    field_path: str = field(default="", compare=False)


@dataclass(frozen=True)
class Capability:
    name: str
    description: str = ""


@dataclass(frozen=True)
class Contract:
    """A validated contract. Mapping fields hold plain YAML values; treat them as read-only.

    ``version`` is the ``contract_version`` (``node_version`` when only that is given, else
    ``1.0.0``); ``node_version`` is kept separately when the contract gives both.
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

    @property
    def entity(self) -> str:
        """The entity in snake case: ``node_order_effect``, ``order`` and ``Order`` all give ``order``;
        ``OrderProcessor`` gives ``order_processor`` (a leading ``node`` and trailing node type drop)."""
        return "_".join(entity_words(self.name))

    @property
    def names(self) -> NodeNames:
        return NodeNames(entity_words(self.name), self.node_type)

    @property
    def operation_names(self) -> tuple[str, ...]:
        return tuple(op.name for op in self.operations)


# --------------------------------------------------------------------------- field validators


def _safe_identifier(value: str) -> str:
    if not _IDENTIFIER.match(value) or len(value) > MAX_NAME_LENGTH:
        raise ValueError(
            f"expected a safe identifier (letters, digits and '_', not starting with a digit, at most "
            f"{MAX_NAME_LENGTH} characters; no '/', '\\' or '..'), got {value!r}"
        )
    return value


def _operation_name(value: str) -> str:
    _safe_identifier(value)
    if keyword.iskeyword(value):
        raise ValueError(f"expected an operation name that is not a Python keyword, got {value!r}")
    return value


def _class_name(value: str) -> str:
    """A model or handler class name: written into generated code as is, so never a keyword."""
    _safe_identifier(value)
    if keyword.iskeyword(value):
        raise ValueError(f"expected a class name that is not a Python keyword, got {value!r}")
    return value


def _module_path(value: str) -> str:
    if not _MODULE.match(value) or len(value) > 4 * MAX_NAME_LENGTH:
        raise ValueError(
            f"expected a dotted module path like 'pkg.handlers.handler_x' (no '/', '\\', '..' or "
            f"leading '.'), got {value!r}"
        )
    keywords = [part for part in value.split(".") if keyword.iskeyword(part)]
    if keywords:
        raise ValueError(
            f"expected a module path without Python keywords, {keywords[0]!r} is one in {value!r}"
        )
    return value


def _io_name(value: str) -> str:
    if not _IO_NAME.match(value) or ".." in value or len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"expected an operation name (letters, digits, '_', '.', '-'), got {value!r}")
    return value


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("expected a non-empty string")
    return value


def _node_type_text(value: str) -> str:
    NodeType.parse(value)  # raises ValueError with the accepted spellings
    return value


def _version_mapping(value: object) -> object:
    """``"1.2.3"`` -> ``{major: 1, minor: 2, patch: 3}``; mappings pass to the model."""
    if isinstance(value, str):
        match = _VERSION.match(value.strip())
        if not match:
            raise ValueError(f"expected a version like '1.0.0', got {value!r}")
        return dict(zip(("major", "minor", "patch"), map(int, match.groups()), strict=True))
    if isinstance(value, dict):
        return value
    raise ValueError(
        f"expected a version string like '1.0.0' or a mapping {{major, minor, patch}}, got {_kind(value)}"
    )


def _capability_mapping(value: object) -> object:
    if isinstance(value, str):
        return {"name": value}
    if isinstance(value, dict):
        return value
    raise ValueError(f"expected a string or a mapping with 'name' and 'description', got {_kind(value)}")


def _io_operation_name(value: object) -> object:
    if isinstance(value, dict):
        for key in ("operation", "name"):
            if key in value:
                return value[key]
        raise ValueError("expected a mapping with 'operation' or 'name'")
    return value


def _list_or_empty(value: object) -> object:
    return [] if value is None else value


def _text_or_empty(value: object) -> object:
    return "" if value is None else value


def _mapping_or_empty(value: object) -> object:
    return {} if value is None else value


Identifier = Annotated[StrictStr, AfterValidator(_safe_identifier)]
ClassName = Annotated[StrictStr, AfterValidator(_class_name)]
OperationName = Annotated[StrictStr, AfterValidator(_operation_name)]
ModulePath = Annotated[StrictStr, AfterValidator(_module_path)]
IoName = Annotated[StrictStr, AfterValidator(_io_name)]
NonEmptyText = Annotated[StrictStr, AfterValidator(_non_empty)]
YamlMapping = Annotated[dict[str, Any], BeforeValidator(_mapping_or_empty)]


# --------------------------------------------------------------------------- the pydantic edge


class _ModelRefIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: ClassName
    module: ModulePath


class _VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    major: Annotated[StrictInt, Field(ge=0)]
    minor: Annotated[StrictInt, Field(ge=0)]
    patch: Annotated[StrictInt, Field(ge=0)]

    def text(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


class _HandlerRefIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: ClassName
    module: ModulePath | None = None


class _HandlerEntryIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    operation: OperationName | None = None
    handler: _HandlerRefIn | None = None


class _HandlerRoutingIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    routing_strategy: StrictStr = ""
    handlers: Annotated[list[_HandlerEntryIn], BeforeValidator(_list_or_empty)] = []


class _CapabilityIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: NonEmptyText
    description: Annotated[StrictStr, BeforeValidator(_text_or_empty)] = ""


Version = Annotated[_VersionIn, BeforeValidator(_version_mapping)]
CapabilityIn = Annotated[_CapabilityIn, BeforeValidator(_capability_mapping)]
IoOperation = Annotated[IoName, BeforeValidator(_io_operation_name)]


class _ContractIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: Identifier
    node_type: Annotated[StrictStr, AfterValidator(_node_type_text)]
    description: Annotated[StrictStr, BeforeValidator(_text_or_empty)] = ""
    contract_version: Version | None = None
    node_version: Version | None = None
    input_model: _ModelRefIn | None = None
    output_model: _ModelRefIn | None = None
    handler_routing: _HandlerRoutingIn | None = None
    operations: list[OperationName] | None = None
    capabilities: Annotated[list[CapabilityIn], BeforeValidator(_list_or_empty)] = []
    io_operations: Annotated[list[IoOperation], BeforeValidator(_list_or_empty)] = []
    dependencies: Annotated[list[Any], BeforeValidator(_list_or_empty)] = []
    error_handling: YamlMapping = {}
    event_bus: YamlMapping = {}


# --------------------------------------------------------------------------- loading


def load_contract(path: Path) -> Contract:
    """Read, parse and validate one contract file; every failure is an ``InputError`` of one line."""
    text = _read_text(path)
    return parse_contract(text, source=path)


def parse_contract(text: str, *, source: Path | None = None) -> Contract:
    """Validate contract YAML given as text; ``source`` names the file in messages."""
    label = str(source) if source is not None else "<contract>"
    data = _parse_yaml(text, label)
    if not isinstance(data, dict):
        raise InputError(f"{label}: expected a mapping at the top level, got {_kind(data)}")
    for key in data:
        if not isinstance(key, str):
            raise InputError(f"{label}: {key!r}: expected string keys at the top level")
    try:
        parsed = _ContractIn.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{label}: {_describe_errors(exc)}") from None
    return _to_contract(parsed, label, source)


def _read_text(path: Path) -> str:
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
        data: object = load_yaml(text)
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


def _to_contract(parsed: _ContractIn, label: str, source: Path | None) -> Contract:
    try:
        entity_words(parsed.name)
    except ValueError:
        raise InputError(
            f"{label}: name: expected a name holding at least one word, got {parsed.name!r}"
        ) from None
    versions = [v.text() for v in (parsed.contract_version, parsed.node_version) if v is not None]
    version = versions[0] if versions else DEFAULT_VERSION
    node_version = parsed.node_version.text() if parsed.contract_version and parsed.node_version else ""
    routing = parsed.handler_routing
    return Contract(
        name=parsed.name,
        node_type=NodeType.parse(parsed.node_type),
        description=parsed.description.strip(),
        version=version,
        node_version=node_version,
        input_model=_model_ref(parsed.input_model),
        output_model=_model_ref(parsed.output_model),
        operations=_operations(parsed, label),
        capabilities=tuple(Capability(c.name.strip(), c.description.strip()) for c in parsed.capabilities),
        io_operations=tuple(parsed.io_operations),
        dependencies=tuple(copy.deepcopy(parsed.dependencies)),
        error_handling=copy.deepcopy(parsed.error_handling),
        event_bus=copy.deepcopy(parsed.event_bus),
        extra=copy.deepcopy(dict(parsed.model_extra or {})),
        source=source,
        routing_strategy=routing.routing_strategy if routing else "",
        routing_extra=copy.deepcopy(dict(routing.model_extra or {})) if routing else {},
    )


def _model_ref(ref: _ModelRefIn | None) -> ModelRef | None:
    return ModelRef(ref.name, ref.module) if ref else None


def _operations(parsed: _ContractIn, label: str) -> tuple[Operation, ...]:
    found: list[Operation] = []
    handlers = parsed.handler_routing.handlers if parsed.handler_routing else []
    for index, entry in enumerate(handlers):
        path = f"handler_routing.handlers[{index}]"
        found.append(
            Operation(
                name=_entry_operation(entry, label, path),
                handler_name=entry.handler.name if entry.handler else None,
                handler_module=entry.handler.module if entry.handler else None,
                extra=copy.deepcopy(dict(entry.model_extra or {})),
                field_path=f"{path}.operation",
            )
        )
    for index, name in enumerate(parsed.operations or []):
        found.append(Operation(name=name, field_path=f"operations[{index}]"))
    seen: set[str] = set()
    for op in found:
        if op.name in seen:
            raise InputError(
                f"{label}: {op.field_path}: expected unique operation names, {op.name!r} repeats"
            )
        seen.add(op.name)
    return tuple(found)


def _entry_operation(entry: _HandlerEntryIn, label: str, path: str) -> str:
    """The operation a handler entry routes; real contracts sometimes name only the handler."""
    if entry.operation:
        return entry.operation
    extra = entry.model_extra or {}
    key = extra.get("handler_key")
    candidates: list[str] = []
    if isinstance(key, str):
        candidates.append(snake_case(key))
    if entry.handler:
        candidates.append(snake_case(entry.handler.name.removeprefix("Handler")))
    for candidate in candidates:
        if candidate and _IDENTIFIER.match(candidate) and not keyword.iskeyword(candidate):
            return candidate
    raise InputError(
        f"{label}: {path}.operation: required field missing "
        "(no 'handler_key' or 'handler.name' to derive it from)"
    )


# --------------------------------------------------------------------------- error messages


def _describe_errors(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    first = _describe_error(errors[0])
    more = len(errors) - 1
    return first + (f" (and {more} more error{'s' if more > 1 else ''})" if more else "")


def _describe_error(error: ErrorDetails) -> str:
    location = _field_path(error["loc"])
    kind = error["type"]
    value = error.get("input")
    if kind == "missing":
        message = "required field missing"
    elif kind in {"string_type", "str_type"}:
        message = f"expected a string, got {_kind(value)}"
    elif kind in {"int_type", "int_parsing"}:
        message = f"expected an integer, got {_kind(value)}"
    elif kind in {"dict_type", "model_type", "model_attributes_type"}:
        message = f"expected a mapping, got {_kind(value)}"
    elif kind == "list_type":
        message = f"expected a list, got {_kind(value)}"
    elif kind == "extra_forbidden":
        message = "unexpected field"
    elif kind == "value_error":
        ctx = error.get("ctx") or {}
        message = str(ctx.get("error", error["msg"]))
    else:
        message = error["msg"]
    message = " ".join(message.split())
    return f"{location}: {message}" if location else message


def _field_path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]":
            path += " (key)"
        else:
            path += f".{part}" if path else part
    return path


def _kind(value: object) -> str:
    names = {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }
    if value is None:
        return "nothing (null)"
    text = names.get(type(value), type(value).__name__)
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        shown = repr(value)
        return f"{text} {shown[:40] + '...' if len(shown) > 40 else shown}"
    return text


# --------------------------------------------------------------------------- dumping


def dump_contract(contract: Contract) -> str:
    """YAML for ``contract``; ``parse_contract(dump_contract(c)) == c``."""
    text: str = yaml.safe_dump(contract_to_data(contract), sort_keys=False, allow_unicode=True, width=100)
    return text


def contract_to_data(contract: Contract) -> dict[str, object]:
    data: dict[str, object] = {
        "name": contract.name,
        "node_type": f"{contract.node_type.value.upper()}_GENERIC",
    }
    if contract.description:
        data["description"] = contract.description
    data["contract_version"] = contract.version
    if contract.node_version:
        data["node_version"] = contract.node_version
    for key, ref in (("input_model", contract.input_model), ("output_model", contract.output_model)):
        if ref is not None:
            data[key] = {"name": ref.name, "module": ref.module}
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
    routed = (
        contract.routing_strategy
        or contract.routing_extra
        or any(op.handler_name or op.handler_module or op.extra for op in contract.operations)
    )
    if not routed:
        return {"operations": [op.name for op in contract.operations]} if contract.operations else {}
    handlers: list[dict[str, object]] = []
    for op in contract.operations:
        entry: dict[str, object] = {"operation": op.name}
        if op.handler_name:
            handler: dict[str, object] = {"name": op.handler_name}
            if op.handler_module:
                handler["module"] = op.handler_module
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
