"""The pydantic edge of contract loading: what a contract's YAML may look like.

It follows omnibase_core's ``ModelContract*`` and ``ModelHandlerRoutingSubcontract`` shapes and the
variants real teams write: model refs as ``{name, module}``, a class name or ``pkg.mod.ClassName``;
handler entries as ``{operation, handler: {name, module}}``, ``{handler, event_model}``,
``{handler_class, handler_module}``, ``{routing_key, handler_key}`` or a plain string; handler
lists as mappings. ``normalize_*`` functions turn each variant into one canonical shape before
validation. Names that become file, module or class names are checked for path escapes here.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr
from pydantic_core import ErrorDetails

MAX_NAME_LENGTH = 100

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
# A name as written (contract, operation or io names): dots, dashes and colons are fine, path
# separators and '..' are not.
_WRITTEN_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:\-]*$")
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")

# Keys of a handler-routing entry that name its handler; everything else stays in ``extra``.
HANDLER_KEYS = ("handler", "handler_class", "handler_module", "handler_name")


# --------------------------------------------------------------------------- field validators


def safe_identifier(value: str) -> str:
    if not _IDENTIFIER.match(value) or len(value) > MAX_NAME_LENGTH:
        raise ValueError(
            f"expected a safe identifier (letters, digits and '_', not starting with a digit, at most "
            f"{MAX_NAME_LENGTH} characters; no '/', '\\' or '..'), got {value!r}"
        )
    return value


def class_name(value: str) -> str:
    """A model or handler class name: written into generated code as is, so never a keyword."""
    safe_identifier(value)
    if keyword.iskeyword(value):
        raise ValueError(f"expected a class name that is not a Python keyword, got {value!r}")
    return value


def module_path(value: str) -> str:
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


def written_name(value: str) -> str:
    """An operation or node name as the team writes it (``chain.replay``, ``rrh-emit``)."""
    if not _WRITTEN_NAME.match(value) or ".." in value or len(value) > MAX_NAME_LENGTH:
        raise ValueError(
            f"expected a safe identifier (letters, digits, '_', '.', '-' or ':', at most "
            f"{MAX_NAME_LENGTH} characters; no '/', '\\' or '..'), got {value!r}"
        )
    return value


def node_name(value: str) -> str:
    """The contract's ``name``: a written name that does not start with a digit."""
    if value[:1].isdigit():
        raise ValueError(f"expected a safe identifier (not starting with a digit), got {value!r}")
    return written_name(value)


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("expected a non-empty string")
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
        f"expected a version string like '1.0.0' or a mapping {{major, minor, patch}}, got {kind(value)}"
    )


def _capability_mapping(value: object) -> object:
    if isinstance(value, str):
        return {"name": value}
    if isinstance(value, dict):
        return value
    raise ValueError(f"expected a string or a mapping with 'name' and 'description', got {kind(value)}")


def _io_operation_name(value: object) -> object:
    """io operations name themselves by ``operation``, ``name`` or (omnibase_core's
    ``ModelIOOperationConfig``) ``operation_type``."""
    if isinstance(value, dict):
        for key in ("operation", "name", "operation_type"):
            if key in value:
                return value[key]
        raise ValueError("expected a mapping with 'operation', 'name' or 'operation_type'")
    return value


def _operation_entry(value: object) -> object:
    """``operations:`` items are names or mappings with a ``name`` (and a description, fields...)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        written_name(value)
    return {"name": value}


def _list_or_empty(value: object) -> object:
    return [] if value is None else value


def _text_or_empty(value: object) -> object:
    return "" if value is None else value


def _mapping_or_empty(value: object) -> object:
    return {} if value is None else value


# --------------------------------------------------------------------------- variants -> one shape


def split_ref(text: str) -> dict[str, str]:
    """``pkg.mod.ClassName`` -> ``{name, module}``; ``Class.method`` -> ``{name, function}``;
    ``ClassName`` -> ``{name}``. A union (``ModelA | ModelB``) keeps its first member."""
    parts = text.split("|", maxsplit=1)[0].strip().split(".")
    if len(parts) >= 2 and parts[-1][:1].islower() and parts[-2][:1].isupper():
        ref = {"name": parts[-2], "function": parts[-1]}
        if len(parts) > 2:
            ref["module"] = ".".join(parts[:-2])
        return ref
    if len(parts) == 1:
        return {"name": parts[0]}
    return {"name": parts[-1], "module": ".".join(parts[:-1])}


def normalize_ref(value: object) -> object:
    """A model or handler reference in any written form -> ``{name, module?, function?}``."""
    if isinstance(value, str):
        return split_ref(value)
    if isinstance(value, dict) and "name" not in value and "class" in value:
        return {**{k: v for k, v in value.items() if k != "class"}, "name": value["class"]}
    return value


def normalize_handler_entry(value: object) -> object:
    """One ``handler_routing.handlers`` entry in any written form -> the canonical mapping."""
    if isinstance(value, str):
        return {"handler": split_ref(value)}
    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping or a string naming the handler, got {kind(value)}")
    entry = dict(value)
    handler = entry.get("handler")
    if isinstance(handler, (str, dict)):
        handler = normalize_ref(handler)
    if handler is None and ("handler_class" in entry or "handler_name" in entry):
        handler = {"name": entry.get("handler_class", entry.get("handler_name"))}
        if "handler_module" in entry:
            handler["module"] = entry["handler_module"]
    if handler is None and _is_class_ref(entry.get("handler_key")):
        handler = split_ref(str(entry["handler_key"]))
        if "handler_module" in entry:
            handler.setdefault("module", entry["handler_module"])
    key = entry.get("handler_key")
    if isinstance(handler, dict) and "function" not in handler and _is_class_ref(key):
        method = split_ref(str(key)).get("function")
        if method and split_ref(str(key))["name"] == handler.get("name"):
            handler = {**handler, "function": method}
    for key in ("handler_class", "handler_module", "handler_name"):
        entry.pop(key, None)
    if handler is not None:
        entry["handler"] = handler
    return entry


def normalize_handler_list(value: object) -> object:
    """``handlers`` as a list, or as a mapping ``{operation: entry-or-ref}`` (key = operation)."""
    if value is None:
        return []
    if is_handler_requirements(value):
        return []
    if isinstance(value, dict):
        entries: list[object] = []
        for key, item in value.items():
            if isinstance(item, dict):
                entries.append({"operation": key, **item})
            else:
                entries.append({"operation": key, "handler": item} if isinstance(item, str) else item)
        return entries
    return value


def _dependencies(value: object) -> object:
    """A list, or omnimarket's grouped form ``{packages: [...], nodes: [...]}``."""
    if value is None:
        return []
    if isinstance(value, dict) and not all(isinstance(v, list) for v in value.values()):
        raise ValueError("expected a list, or a mapping of lists (groups like 'packages: [...]')")
    if not isinstance(value, (list, dict)):
        raise ValueError(f"expected a list, got {kind(value)}")
    return value


def is_handler_requirements(value: object) -> bool:
    """omnibase_core's runtime contracts list the handler *types* a node needs as
    ``handlers: {required: [{type: ProtocolEventBus}], optional: [...]}``: requirements, not
    handlers of the node; the section is kept as written in ``Contract.extra``."""
    return isinstance(value, dict) and bool(value) and all(isinstance(v, list) for v in value.values())


def _is_class_ref(value: object) -> bool:
    """``HandlerX`` or ``HandlerX.method`` (a class), not ``run_checkout`` (an operation key)."""
    return isinstance(value, str) and value.split(".")[0][:1].isupper()


# --------------------------------------------------------------------------- pydantic models

Identifier = Annotated[StrictStr, AfterValidator(safe_identifier)]
ClassName = Annotated[StrictStr, AfterValidator(class_name)]
WrittenName = Annotated[StrictStr, AfterValidator(written_name)]
ModulePath = Annotated[StrictStr, AfterValidator(module_path)]
NonEmptyText = Annotated[StrictStr, AfterValidator(_non_empty)]
YamlMapping = Annotated[dict[str, Any], BeforeValidator(_mapping_or_empty)]


class ModelRefIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: ClassName
    module: ModulePath | None = None


class HandlerRefIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: ClassName
    module: ModulePath | None = None
    function: Identifier | None = None


Ref = Annotated[ModelRefIn, BeforeValidator(normalize_ref)]


class VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    major: Annotated[StrictInt, Field(ge=0)]
    minor: Annotated[StrictInt, Field(ge=0)]
    patch: Annotated[StrictInt, Field(ge=0)]

    def text(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


class HandlerEntryIn(BaseModel):
    """A canonical routing entry; unknown keys (``priority``, ``event_type``...) are kept."""

    model_config = ConfigDict(extra="allow")
    operation: WrittenName | None = None
    handler: Annotated[HandlerRefIn, BeforeValidator(normalize_ref)] | None = None
    event_model: Ref | None = None
    input_model: Ref | None = None


HandlerEntry = Annotated[HandlerEntryIn, BeforeValidator(normalize_handler_entry)]
HandlerList = Annotated[list[HandlerEntry], BeforeValidator(normalize_handler_list)]


class HandlerRoutingIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    routing_strategy: StrictStr = ""
    handlers: HandlerList = []


class CapabilityIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: NonEmptyText
    description: Annotated[StrictStr, BeforeValidator(_text_or_empty)] = ""


class OperationIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: WrittenName


Version = Annotated[VersionIn, BeforeValidator(_version_mapping)]
Capability = Annotated[CapabilityIn, BeforeValidator(_capability_mapping)]
IoOperation = Annotated[WrittenName, BeforeValidator(_io_operation_name)]
OperationItem = Annotated[OperationIn, BeforeValidator(_operation_entry)]


class ContractIn(BaseModel):
    """The top level. ``node_type`` is checked by ``NodeType.parse`` after validation."""

    model_config = ConfigDict(extra="allow")
    name: Annotated[StrictStr, AfterValidator(node_name)]
    node_type: StrictStr
    description: Annotated[StrictStr, BeforeValidator(_text_or_empty)] = ""
    contract_version: Version | None = None
    node_version: Version | None = None
    input_model: Ref | None = None
    output_model: Ref | None = None
    handler_routing: HandlerRoutingIn | None = None
    handlers: HandlerList = []
    operations: list[OperationItem] | None = None
    capabilities: Annotated[list[Capability], BeforeValidator(_list_or_empty)] = []
    io_operations: Annotated[list[IoOperation], BeforeValidator(_list_or_empty)] = []
    dependencies: Annotated[list[Any] | dict[str, Any], BeforeValidator(_dependencies)] = []
    error_handling: YamlMapping = {}
    event_bus: YamlMapping = {}


# --------------------------------------------------------------------------- error messages


def describe_errors(errors: Sequence[ErrorDetails]) -> str:
    first = _describe_error(errors[0])
    more = len(errors) - 1
    return first + (f" (and {more} more error{'s' if more > 1 else ''})" if more else "")


def _describe_error(error: ErrorDetails) -> str:
    location = field_path(error["loc"])
    code = error["type"]
    value = error.get("input")
    if code == "missing":
        message = "required field missing"
    elif code in {"string_type", "str_type"}:
        message = f"expected a string, got {kind(value)}"
    elif code in {"int_type", "int_parsing"}:
        message = f"expected an integer, got {kind(value)}"
    elif code in {"dict_type", "model_type", "model_attributes_type"}:
        message = f"expected a mapping, got {kind(value)}"
    elif code == "list_type":
        message = f"expected a list, got {kind(value)}"
    elif code == "extra_forbidden":
        message = "unexpected field"
    elif code == "value_error":
        ctx = error.get("ctx") or {}
        message = str(ctx.get("error", error["msg"]))
    else:
        message = error["msg"]
    message = " ".join(message.split())
    return f"{location}: {message}" if location else message


def field_path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]":
            path += " (key)"
        elif part in {"list[any]", "dict[str,any]", "function-after[written_name(), str]"}:
            continue  # pydantic's name for a union member, not a field
        else:
            path += f".{part}" if path else part
    return path


def kind(value: object) -> str:
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
