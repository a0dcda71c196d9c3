"""Operations and handlers from every section where real contracts declare them.

Read in this fixed order (so a contract and its dump give the same tuples):

1. ``handler_routing.handlers`` and top-level ``handlers`` (canonical entries, see
   ``contract_schema.normalize_handler_entry``): each entry is one operation;
2. ``operations:`` (names, or mappings with a ``name``);
3. every other section, walked in document order: any mapping holding ``handler``,
   ``handler_class`` or ``handler_name`` declares a handler (top-level ``handler: {module, class}``,
   ``handler_config``, ``state_machine`` transitions and actions, ``effect_operations``...); a
   sibling ``operation``/``operation_name`` is the operation it serves.

A handler that serves no operation still gives one, derived from its name: the method of a
``Class.method`` key, else the class name without ``Handler`` in snake case
(``HandlerAbCompare`` -> ``ab_compare``); a routing entry whose derived name is taken is named after
its event model instead (``ModelUserCreated`` -> ``user_created``). Such derived operations
carry the declaring section in ``field_path``; ``is_declared_in_routing`` tells dumping which ones
the contract wrote in its routing.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from nodeforge.errors import InputError
from nodeforge.generation.contract_schema import (
    ContractIn,
    HandlerEntryIn,
    HandlerRefIn,
    ModelRefIn,
    describe_errors,
    field_path,
    normalize_handler_entry,
    normalize_ref,
    written_name,
)
from nodeforge.generation.contract_types import HandlerRef, ModelRef, Operation, python_identifier
from nodeforge.naming import snake_case

ROUTED_SECTIONS = ("handler_routing.handlers", "handlers", "operations")
# Sections read by name above; the walk skips them.
_PARSED_KEYS = frozenset({"handler_routing", "handlers", "operations"})
_HANDLER_KEYS = ("handler", "handler_class", "handler_name")
_M = TypeVar("_M", bound=BaseModel)


def is_declared_in_routing(op: Operation) -> bool:
    """True unless the operation was derived from a handler declared outside the routing."""
    return not op.field_path or op.field_path.startswith(ROUTED_SECTIONS)


@dataclass
class _Handler:
    name: str
    module: str | None
    field_path: str
    operations: list[str] = field(default_factory=list)
    event_model: ModelRef | None = None
    input_model: ModelRef | None = None
    method: str | None = None

    def freeze(self) -> HandlerRef:
        return HandlerRef(
            self.name,
            self.module,
            tuple(self.operations),
            self.event_model,
            self.input_model,
            self.method,
            self.field_path,
        )


@dataclass
class _Collector:
    label: str
    operations: list[Operation] = field(default_factory=list)
    handlers: list[_Handler] = field(default_factory=list)

    def names(self) -> set[str]:
        return {op.name for op in self.operations}

    def handler(self, ref: HandlerRefIn, path: str) -> _Handler:
        """The registered handler ``ref`` names (merged by class name and module), or a new one."""
        for known in self.handlers:
            if known.name == ref.name and (
                known.module is None or ref.module is None or known.module == ref.module
            ):
                known.module = known.module or ref.module
                known.method = known.method or ref.function
                return known
        created = _Handler(ref.name, ref.module, path, method=ref.function)
        self.handlers.append(created)
        return created

    def add_or_merge(self, op: Operation) -> None:
        """An ``operations:`` item that the routing already declares describes that operation."""
        for index, known in enumerate(self.operations):
            if known.name == op.name and known.field_path.startswith("handler"):
                self.operations[index] = replace(known, extra={**op.extra, **known.extra})
                return
        self.add(op, None)

    def add(self, op: Operation, handler: _Handler | None) -> None:
        for known in self.operations:
            if known.name == op.name:
                raise InputError(
                    f"{self.label}: {op.field_path}: expected unique operation names, {op.name!r} repeats"
                )
        self.operations.append(op)
        if handler is not None and op.name not in handler.operations:
            handler.operations.append(op.name)


def collect(
    parsed: ContractIn, data: dict[str, Any], label: str
) -> tuple[tuple[Operation, ...], tuple[HandlerRef, ...]]:
    """The contract's operations and handlers, checked for repeats and Python-name clashes."""
    found = _Collector(label)
    routing = parsed.handler_routing.handlers if parsed.handler_routing else []
    for section, entries in (("handler_routing.handlers", routing), ("handlers", parsed.handlers)):
        for index, entry in enumerate(entries):
            _routed_entry(found, entry, f"{section}[{index}]")
    for index, item in enumerate(parsed.operations or []):
        extra = copy.deepcopy(dict(item.model_extra or {}))
        found.add_or_merge(Operation(name=item.name, extra=extra, field_path=f"operations[{index}]"))
    rest = {key: value for key, value in data.items() if key not in _PARSED_KEYS}
    for mapping, path in _handler_mappings(rest, ""):
        _walked_handler(found, mapping, path)
    _check_python_names(found.operations, label)
    return tuple(found.operations), tuple(h.freeze() for h in found.handlers)


def _routed_entry(found: _Collector, entry: HandlerEntryIn, path: str) -> None:
    handler = found.handler(entry.handler, path) if entry.handler else None
    if handler is not None:
        handler.event_model = handler.event_model or _model_ref(entry.event_model) or _routing_key(entry)
        handler.input_model = handler.input_model or _model_ref(entry.input_model)
    extra = copy.deepcopy(dict(entry.model_extra or {}))
    for key in ("event_model", "input_model"):
        ref = getattr(entry, key)
        if ref is not None:
            extra[key] = ref.model_dump(exclude_none=True)
    name = entry.operation or _derived_name(found, entry, path)
    found.add(
        Operation(
            name=name,
            handler_name=entry.handler.name if entry.handler else None,
            handler_module=entry.handler.module if entry.handler else None,
            extra=extra,
            field_path=f"{path}.operation",
        ),
        handler,
    )


def _routing_key(entry: HandlerEntryIn) -> ModelRef | None:
    """The older shape routes on ``routing_key: ModelX``, the payload's class name."""
    key = (entry.model_extra or {}).get("routing_key")
    return ModelRef(key) if isinstance(key, str) and key[:1].isupper() and key.isidentifier() else None


def _derived_name(found: _Collector, entry: HandlerEntryIn, path: str) -> str:
    """The operation of an entry that names only its handler (see the module docstring)."""
    extra = entry.model_extra or {}
    candidates: list[str] = []
    key = extra.get("handler_key")
    if isinstance(key, str) and not key[:1].isupper():
        candidates.append(snake_case(key))
    if entry.handler:
        candidates.append(_handler_operation(entry.handler))
    for model in (entry.event_model, entry.input_model):
        if model is not None:
            candidates.append(snake_case(model.name.removeprefix("Model")))
    routing_key = extra.get("routing_key")
    if isinstance(routing_key, str):
        candidates.append(snake_case(routing_key.removeprefix("Model")))
    usable = [c for c in candidates if c and python_identifier(c) == c]
    taken = found.names()
    for candidate in usable:
        if candidate not in taken:
            return candidate
    if usable:
        return usable[0]  # repeats: ``add`` reports it
    raise InputError(
        f"{found.label}: {path}.operation: required field missing "
        "(no 'handler_key' or 'handler.name' to derive it from)"
    )


def _handler_operation(ref: HandlerRefIn) -> str:
    return snake_case(ref.function) if ref.function else snake_case(ref.name.removeprefix("Handler"))


def _handler_mappings(value: object, path: str) -> Iterator[tuple[dict[str, Any], str]]:
    """Every mapping under ``value`` that declares a handler, with its field path."""
    if isinstance(value, dict):
        if any(key in value for key in _HANDLER_KEYS):
            yield value, path
        for key, item in value.items():
            if key != "handler":
                yield from _handler_mappings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _handler_mappings(item, f"{path}[{index}]")


def _walked_handler(found: _Collector, mapping: dict[str, Any], where: str) -> None:
    key = next(k for k in _HANDLER_KEYS if k in mapping)
    path = f"{where}." if where else ""
    raw = normalize_handler_entry(mapping)
    assert isinstance(raw, dict)  # a mapping stays a mapping
    source = raw.get("handler")
    if not isinstance(source, dict):  # ``handler: true`` and the like declare no class
        return
    ref = _validate(HandlerRefIn, source, f"{path}{key}", found.label)
    handler = found.handler(ref, f"{path}{key}")
    model = source.get("input_model")
    if model is not None and handler.input_model is None:
        handler.input_model = _model_ref(
            _validate(ModelRefIn, normalize_ref(model), f"{path}{key}.input_model", found.label)
        )
    written = next(
        (mapping[k] for k in ("operation", "operation_name") if isinstance(mapping.get(k), str)), None
    )
    if written is not None:
        try:
            name = written_name(written)
        except ValueError as exc:
            raise InputError(f"{found.label}: {path}operation: {exc}") from None
        if name not in found.names():
            found.add(Operation(name, ref.name, handler.module, field_path=f"{path}operation"), handler)
        elif name not in handler.operations:
            handler.operations.append(name)
    elif not handler.operations:
        name = _handler_operation(ref)
        if name and name not in found.names():
            found.add(Operation(name, ref.name, handler.module, field_path=f"{path}{key}"), handler)


def _validate(model: type[_M], value: object, path: str, label: str) -> _M:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        joint = "." if field_path(errors[0]["loc"]) else ": "
        raise InputError(f"{label}: {path}{joint}{describe_errors(errors)}") from None


def _model_ref(ref: ModelRefIn | None) -> ModelRef | None:
    return ModelRef(ref.name, ref.module) if ref else None


def _check_python_names(operations: Sequence[Operation], label: str) -> None:
    """Two spellings of one Python name (``chain.replay`` and ``chain_replay``) would write one
    module twice; the contract must say which it means."""
    seen: dict[str, Operation] = {}
    for op in operations:
        first = seen.setdefault(op.python_name, op)
        if first is not op:
            raise InputError(
                f"{label}: {op.field_path}: operations {first.name!r} ({first.field_path}) and "
                f"{op.name!r} both become the Python name {op.python_name!r}; expected distinct names"
            )
