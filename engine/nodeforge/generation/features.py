"""A contract's features for comparing nodes: read tolerantly from contract YAML, entity-free.

Learning reads the YAML of nodes it never validated (a real repository's ``contract.yaml``);
generation has a validated ``Contract``, turned back into the same YAML shape
(``contract.contract_to_data``) so both sides are read by one function. The node's own entity words
are dropped from every word set, so ``invoice.create`` and ``refund.create`` share ``create``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass

import yaml

from nodeforge.generation.contract import Contract, contract_to_data
from nodeforge.learning.vocabulary import contract_names
from nodeforge.model import NodeType
from nodeforge.naming import NodeNames, split_identifier
from nodeforge.yamlload import load_yaml

# Words that describe any node and so tell none apart.
_STOP_WORDS = frozenset(
    {
        *("a", "an", "and", "the", "of", "to", "in", "on", "for", "by", "with", "from", "or"),
        *("is", "are", "be", "as", "at", "it", "its", "this", "that", "node", "nodes", "handler"),
        *("handlers", "model", "models", "input", "output", "request", "response", "result"),
        *("operation", "operations"),
    }
)


@dataclass(frozen=True)
class HandlerFeature:
    """One declared handler: its operation and, when given, its class and module basename."""

    operation: str
    class_name: str = ""
    module: str = ""


@dataclass(frozen=True)
class ContractFeatures:
    node_type: str
    routing_strategy: str = ""
    handlers: tuple[HandlerFeature, ...] = ()
    description_words: tuple[str, ...] = ()
    io_operations: tuple[str, ...] = ()  # "<operation>:<io_type>"
    topics: tuple[str, ...] = ()  # event bus topic words
    dependencies: tuple[str, ...] = ()  # dependency names and module words
    input_model: tuple[str, str] = ("", "")  # (class, dotted module)
    output_model: tuple[str, str] = ("", "")
    words: tuple[str, ...] = ()  # every word of the contract, keys and values (empty: learned before)

    @property
    def operations(self) -> tuple[str, ...]:
        return tuple(h.operation for h in self.handlers)

    def operation_words(self) -> frozenset[str]:
        return frozenset(w for op in self.operations for w in _words(op))

    def tokens(self) -> list[str]:
        """Words for the sparse vector: every facet, prefixed so facets do not mix."""
        return [
            f"type_{self.node_type}",
            *(f"route_{w}" for w in _words(self.routing_strategy)),
            *(f"op_{w}" for w in sorted(self.operation_words())),  # a set: sorted, the same in every process
            *self.description_words,
            *(f"io_{item.replace(':', '_')}" for item in self.io_operations),
            *(f"topic_{w}" for w in self.topics),
            *(f"dep_{w}" for w in self.dependencies),
        ]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ContractFeatures:
        data = json.loads(text)
        return cls(
            node_type=str(data["node_type"]),
            routing_strategy=str(data.get("routing_strategy", "")),
            handlers=tuple(HandlerFeature(**h) for h in data.get("handlers", ())),
            description_words=tuple(data.get("description_words", ())),
            io_operations=tuple(data.get("io_operations", ())),
            topics=tuple(data.get("topics", ())),
            dependencies=tuple(data.get("dependencies", ())),
            input_model=_pair(data.get("input_model")),
            output_model=_pair(data.get("output_model")),
            words=tuple(data.get("words", ())),
        )


def _pair(raw: object) -> tuple[str, str]:
    if isinstance(raw, list | tuple) and len(raw) == 2:
        return str(raw[0]), str(raw[1])
    return ("", "")


def _words(text: str, drop: Iterable[str] = ()) -> list[str]:
    dropped = set(drop)
    return [w for w in split_identifier(text) if w not in dropped and w not in _STOP_WORDS and len(w) > 1]


def features_of_contract(contract: Contract) -> ContractFeatures:
    """The validated contract's features; its own YAML text when at hand, since the validated
    form keeps less (an io operation's type, for one) than features compare."""
    data: object = None
    try:
        data = load_yaml(contract.text) if contract.text else None
    except yaml.YAMLError:
        data = None
    if not isinstance(data, Mapping):
        data = contract_to_data(contract)
    return features_of_data(data, contract.node_type, contract_names(contract))


def features_of_data(data: Mapping[str, object], node_type: NodeType, names: NodeNames) -> ContractFeatures:
    """Features of contract YAML data; anything malformed is simply absent."""
    entity = names.words
    routing = data.get("handler_routing")
    routing_map = routing if isinstance(routing, Mapping) else {}
    strategy = routing_map.get("routing_strategy")
    return ContractFeatures(
        node_type=node_type.value,
        routing_strategy=strategy if isinstance(strategy, str) else "",
        handlers=_handlers(data, routing_map, entity),
        description_words=tuple(sorted(set(_words(_text(data.get("description")), entity)))),
        io_operations=_io_operations(data.get("io_operations"), entity),
        topics=_topics(data.get("event_bus"), entity),
        dependencies=_dependencies(data.get("dependencies"), entity),
        input_model=_model(data.get("input_model")),
        output_model=_model(data.get("output_model")),
        words=_all_words(data, entity),
    )


def _all_words(data: Mapping[str, object], entity: tuple[str, ...]) -> tuple[str, ...]:
    """Every word of the contract, its keys and its text values, the node's own names left out."""
    return tuple(sorted({w for text in _strings(data, keys=True) for w in _words(text, entity)}))


def _strings(raw: object, *, keys: bool = False) -> Iterator[str]:
    """Every string anywhere under ``raw`` (and the mappings' string keys, with ``keys``)."""
    stack: list[object] = [raw]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            stack.extend(item.values())
            if keys:
                stack.extend(k for k in item if isinstance(k, str))
        elif isinstance(item, list):
            stack.extend(item)


def _text(raw: object) -> str:
    return raw if isinstance(raw, str) else ""


def _model(raw: object) -> tuple[str, str]:
    if isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
        return str(raw["name"]), _text(raw.get("module"))
    return ("", "")


def _handlers(
    data: Mapping[str, object], routing: Mapping[str, object], entity: tuple[str, ...]
) -> tuple[HandlerFeature, ...]:
    """Handlers from ``handler_routing.handlers``, a top-level ``handler``/``handlers``, ``operations``."""
    entries: list[object] = []
    for raw in (routing.get("handlers"), data.get("handlers"), data.get("handler")):
        entries.extend(raw if isinstance(raw, list) else [raw] if isinstance(raw, Mapping) else [])
    found: dict[str, HandlerFeature] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        ref = entry.get("handler") if isinstance(entry.get("handler"), Mapping) else entry
        assert isinstance(ref, Mapping)
        class_name = _text(ref.get("name")) or _text(ref.get("class"))
        module = _text(ref.get("module")).rsplit(".", 1)[-1]
        operation = _text(entry.get("operation")) or _text(entry.get("handler_key"))
        if not operation and class_name:
            operation = "_".join(_words(class_name.removeprefix("Handler"), entity)) or class_name
        if operation:
            found.setdefault(operation, HandlerFeature(operation, class_name, module))
    operations = data.get("operations")
    for name in operations if isinstance(operations, list) else []:
        if isinstance(name, str):
            found.setdefault(name, HandlerFeature(name))
    return tuple(found.values())


def _io_operations(raw: object, entity: tuple[str, ...]) -> tuple[str, ...]:
    found: set[str] = set()
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, Mapping):
            operation = _text(item.get("operation")) or _text(item.get("name"))
            io_type = _text(item.get("io_type")) or _text(item.get("type"))
            found.add(f"{'_'.join(_words(operation, entity))}:{'_'.join(_words(io_type))}")
        elif isinstance(item, str):
            found.add(f"{'_'.join(_words(item, entity))}:")
    return tuple(sorted(found))


def _topics(raw: object, entity: tuple[str, ...]) -> tuple[str, ...]:
    """Words of every topic string anywhere under ``event_bus``."""
    return tuple(sorted({w for text in _strings(raw) for w in _words(text, entity)}))


def _dependencies(raw: object, entity: tuple[str, ...]) -> tuple[str, ...]:
    words: set[str] = set()
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, Mapping):
            for key in ("name", "type", "module", "class_name"):
                words.update(_words(_text(item.get(key)), entity))
        elif isinstance(item, str):
            words.update(_words(item, entity))
    return tuple(sorted(words))
