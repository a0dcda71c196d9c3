"""Which patterns a contract needs: a catalogue of kinds matched by whole words, scored by evidence.

The system this replaces matched substrings ("add" fired on "address") and ignored capabilities
given as strings, so it never fired on real contracts. Here every identifier and description is
split into words (``create_order``, ``CreateOrder`` and ``create-order`` all give ``create``), and a
word only counts when it is a whole word of the catalogue.

Confidence combines evidence as a noisy-OR over *independent* sources: each source (one
operation with its handler and any io_operation of the same name, a capability's name, a
capability's description, a dependency, a structural feature such as ``event_bus``, the node
type's prior) contributes its strongest piece of evidence, ``1 - prod(1 - strength)``. A strong
word in an operation or capability name is enough on its own; a weak synonym, a description or a
node type prior alone stays under the threshold and needs a second, independent source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from nodeforge import defaults
from nodeforge.generation.contract import Contract
from nodeforge.model import NodeType
from nodeforge.naming import split_identifier

# How much one piece of evidence says, by where it was found (multiplied by the word's strength).
OPERATION_WEIGHT = 0.8  # handler_routing / operations / io_operations names
HANDLER_WEIGHT = 0.6  # the handler class or module routed to an operation
CAPABILITY_WEIGHT = 0.8  # a capability's name
DESCRIPTION_WEIGHT = 0.5  # a capability's description, a dependency's name: prose, weaker
STRUCTURE_WEIGHT = 0.85  # keys of extra contract sections (fsm:, workflow_coordination:, ...)
PRIOR_WEIGHT = 0.45  # the node type makes a kind likely, never certain (alone < threshold)
WEAK_WORD = 0.6  # a synonym that only hints (``set`` for update, ``check`` for validation)

# event_bus keys that say the node publishes, and keys that say it only listens.
_PUBLISH_WORDS = frozenset(
    {"publish", "publishes", "produce", "produces", "emit", "emits", "outbound", "output"}
)
_SUBSCRIBE_WORDS = frozenset({"subscribe", "subscribes", "consume", "consumes", "inbound", "input", "listen"})
_OFF = (None, False, 0, "false", "off", "disabled", "none")


# --------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class ContractNeed:
    """A need a contract can express (one catalogue entry): the words that name it, strongly or as a hint."""

    kind: str
    subkind: str
    strong: frozenset[str]
    weak: frozenset[str] = frozenset()
    phrases: tuple[tuple[str, ...], ...] = ()  # word sequences that count as strong
    priors: tuple[NodeType, ...] = ()  # node types where this kind is typical
    blocked_by: tuple[tuple[str, ...], ...] = ()  # phrases that mean another entry (``get all``)

    @property
    def label(self) -> str:
        return f"{self.kind}.{self.subkind}" if self.subkind else self.kind

    def match(self, words: Sequence[str]) -> tuple[str, bool] | None:
        """The first matching word (or phrase) and whether it is strong; ``None`` when nothing matches."""
        if any(_contains(words, phrase) for phrase in self.blocked_by):
            return None
        for phrase in self.phrases:
            if _contains(words, phrase):
                return " ".join(phrase), True
        for strong, vocabulary in ((True, self.strong), (False, self.weak)):
            for word in words:
                if word in vocabulary:
                    return word, strong
        return None


def _contains(words: Sequence[str], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(tuple(words[i : i + size]) == phrase for i in range(len(words) - size + 1))


def _verbs(bases: str, extra: str = "") -> frozenset[str]:
    """Each verb with its regular inflections (``create``, ``creates``, ``created``, ``creating``)
    plus ``extra`` words taken as they are (nouns, irregular forms)."""
    forms: set[str] = set(extra.split())
    for base in bases.split():
        forms.add(base)
        consonant_y = base.endswith("y") and base[-2:-1] not in "aeiou"
        if base.endswith(("s", "x", "z", "ch", "sh")):
            forms.add(base + "es")
        else:
            forms.add(base[:-1] + "ies" if consonant_y else base + "s")
        if base.endswith("ee"):
            forms.update({base + "d", base + "ing"})
        elif base.endswith("e"):
            forms.update({base + "d", base[:-1] + "ing"})
        else:
            forms.update({base[:-1] + "ied" if consonant_y else base + "ed", base + "ing"})
    return frozenset(forms)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _phrases(*texts: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(text.split()) for text in texts)


# Order here is the order of ``detect``'s result. Words are whole words after splitting identifiers.
CATALOGUE: tuple[ContractNeed, ...] = (
    ContractNeed(
        "crud", "create",
        strong=_verbs("create add insert append register upsert upload", extra="creation"),
        weak=_verbs("save persist store put post submit ingest write", extra="new"),
    ),
    ContractNeed(
        "crud", "read",
        strong=_verbs("get read fetch retrieve lookup download", extra="getting retrieval"),
        weak=_verbs("find load show view describe resolve"),
        phrases=_phrases("look up"),
        blocked_by=_phrases("get all", "find all", "get many"),
    ),
    ContractNeed(
        "crud", "update",
        strong=_verbs("update modify edit patch upsert rename"),
        weak=_verbs("set change replace adjust amend save put", extra="setting"),
    ),
    ContractNeed(
        "crud", "delete",
        strong=_verbs("delete remove destroy purge erase", extra="deletion removal"),
        weak=_verbs("archive revoke clear drop", extra="dropped dropping"),
    ),
    ContractNeed(
        "crud", "list",
        strong=_verbs("list search query browse paginate enumerate", extra="pagination"),
        weak=_verbs("scan filter", extra="all"),
        phrases=_phrases("find all", "get all", "get many"),
    ),
    ContractNeed(
        "transformation", "",
        strong=_verbs(
            "transform convert normalize normalise enrich parse format reformat serialize deserialize "
            "translate flatten encode decode reshape canonicalize render transcode",
            extra="map mapped mapping mapper transformation transformer conversion converter normalization "
            "normalisation enrichment parser serialization deserialization translation",
        ),
        weak=_verbs("clean cleanse extract project sanitize redact mask"),
        priors=(NodeType.COMPUTE,),
    ),
    ContractNeed(
        "aggregation", "",
        strong=_verbs(
            "aggregate sum total average accumulate tally rollup count",
            extra="aggregation aggregator totals avg mean median percentile percentiles histogram "
            "summed summing",
        ),
        weak=_verbs("reduce combine collect merge", extra="min max stats statistics metrics"),
        phrases=_phrases("group by", "roll up"),
        priors=(NodeType.REDUCER,),
    ),
    ContractNeed(
        "aggregation", "windowed_aggregation",
        strong=_words("window windows windowed windowing tumbling sliding hopping"),
        weak=_words("hourly daily minutely interval intervals bucket buckets bucketed rolling"),
        phrases=_phrases("rolling average", "moving average", "rolling sum", "time series"),
    ),
    ContractNeed(
        "orchestration", "saga",
        strong=_verbs("compensate rollback", extra="saga sagas compensation compensations"),
        weak=_verbs("revert undo unwind"),
        phrases=_phrases("roll back"),
    ),
    ContractNeed(
        "orchestration", "workflow",
        strong=_verbs(
            "orchestrate coordinate",
            extra="workflow workflows orchestration orchestrator pipeline pipelines coordination",
        ),
        weak=_words("step steps stage stages sequence chain dag process"),
        priors=(NodeType.ORCHESTRATOR,),
    ),
    ContractNeed(
        "orchestration", "fan_out",
        strong=_verbs("parallelize scatter", extra="fanout parallel"),
        weak=_verbs("batch dispatch distribute gather split multicast", extra="concurrent concurrently"),
        phrases=_phrases("fan out", "scatter gather"),
    ),
    ContractNeed(
        "event_publishing", "",
        strong=_verbs(
            "publish emit notify", extra="emitted emitting emitter publisher emission notification outbox"
        ),
        weak=_verbs("send produce broadcast announce signal", extra="producer"),
    ),
    ContractNeed(
        "caching", "",
        strong=_verbs("cache memoize evict", extra="caching memoization eviction"),
        weak=_words("ttl lru memo warm warmup"),
    ),
    ContractNeed(
        "retry", "",
        strong=_verbs("retry reattempt", extra="retries backoff"),
        weak=_words("resilient resilience attempts transient"),
        phrases=_phrases("back off"),
    ),
    ContractNeed(
        "validation", "",
        strong=_verbs("validate verify", extra="validation validator validators verification"),
        weak=_verbs("check ensure guard assert lint", extra="valid invalid schema"),
    ),
    ContractNeed(
        "state_machine", "",
        strong=_verbs("transition", extra="fsm statechart"),
        weak=_words("state states status lifecycle advance phase"),
        phrases=_phrases("state machine"),
        priors=(NodeType.REDUCER,),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Detection:
    """A pattern the contract needs: ``kind``/``subkind`` from the catalogue, with its evidence."""

    kind: str
    subkind: str
    confidence: float
    evidence: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.kind}.{self.subkind}" if self.subkind else self.kind


@dataclass(frozen=True)
class _Evidence:
    spec: ContractNeed
    group: str  # evidence within one group is not independent: only the strongest counts
    strength: float
    text: str


@dataclass(frozen=True)
class _Text:
    """A piece of the contract whose words are matched against the catalogue."""

    group: str
    path: str
    value: str
    weight: float


def detect(contract: Contract, threshold: float = defaults.DETECTION_THRESHOLD) -> list[Detection]:
    """The catalogue entries this contract needs, in catalogue order, each with confidence >= threshold."""
    evidence = [*_word_evidence(contract), *_structural_evidence(contract), *_prior_evidence(contract)]
    detections: list[Detection] = []
    for spec in CATALOGUE:
        mine = [e for e in evidence if e.spec is spec]
        confidence = _combine(mine)
        if mine and confidence >= threshold:
            texts = tuple(dict.fromkeys(e.text for e in sorted(mine, key=lambda e: -e.strength)))
            detections.append(Detection(spec.kind, spec.subkind, confidence, texts))
    return detections


def explain(detections: Iterable[Detection]) -> list[str]:
    """Lines for ``generate --explain``: each detection, its confidence, and what produced it."""
    lines: list[str] = []
    for detection in detections:
        lines.append(f"{detection.label} (confidence {detection.confidence:.2f})")
        lines.extend(f"  - {text}" for text in detection.evidence)
    return lines or [
        "no patterns detected: the contract names no operation, capability or feature the catalogue knows"
    ]


def _combine(evidence: list[_Evidence]) -> float:
    strongest: dict[str, float] = {}
    for item in evidence:
        strongest[item.group] = max(strongest.get(item.group, 0.0), item.strength)
    doubt = 1.0
    for strength in strongest.values():
        doubt *= 1.0 - strength
    return round(1.0 - doubt, 3)


# --------------------------------------------------------------------------- word evidence


def _texts(contract: Contract) -> Iterator[_Text]:
    for op in contract.operations:
        group = f"operation:{op.name}"
        yield _Text(group, op.field_path or "operations", op.name, OPERATION_WEIGHT)
        base = op.field_path.removesuffix(".operation")
        if op.handler_name:
            yield _Text(group, f"{base}.handler.name", op.handler_name, HANDLER_WEIGHT)
        if op.handler_module:
            yield _Text(group, f"{base}.handler.module", op.handler_module.rsplit(".", 1)[-1], HANDLER_WEIGHT)
    for index, name in enumerate(contract.io_operations):
        # The same name in handler_routing and io_operations is one source, not two.
        yield _Text(f"operation:{name}", f"io_operations[{index}]", name, OPERATION_WEIGHT)
    for index, capability in enumerate(contract.capabilities):
        # A capability's name and its prose description are written separately: two sources.
        name_path = f"capabilities[{index}].name"
        yield _Text(name_path, name_path, capability.name, CAPABILITY_WEIGHT)
        if capability.description:
            path = f"capabilities[{index}].description"
            yield _Text(path, path, capability.description, DESCRIPTION_WEIGHT)
    for index, dependency in enumerate(contract.dependencies):
        for key, value in _dependency_names(dependency):
            yield _Text(f"dependency:{index}", f"dependencies[{index}]{key}", value, DESCRIPTION_WEIGHT)


def _dependency_names(dependency: object) -> Iterator[tuple[str, str]]:
    if isinstance(dependency, str):
        yield "", dependency
    elif isinstance(dependency, Mapping):
        for key in ("name", "class_name", "protocol"):
            value = dependency.get(key)
            if isinstance(value, str):
                yield f".{key}", value


def _word_evidence(contract: Contract) -> Iterator[_Evidence]:
    for text in _texts(contract):
        words = split_identifier(text.value)
        for spec in CATALOGUE:
            match = spec.match(words)
            if match is None:
                continue
            word, strong = match
            strength = text.weight * (1.0 if strong else WEAK_WORD)
            yield _Evidence(spec, text.group, strength, f"{text.path}={_shown(text.value)} ({word})")


def _shown(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


# --------------------------------------------------------------------------- structural evidence


def _structural_evidence(contract: Contract) -> Iterator[_Evidence]:
    yield from _event_bus_evidence(contract.event_bus)
    yield from _retry_evidence(contract.error_handling)
    for path, key in _keys(contract.extra, depth=2):
        words = split_identifier(key)
        for spec in CATALOGUE:
            match = spec.match(words)
            if match is not None:
                word, strong = match
                strength = STRUCTURE_WEIGHT * (1.0 if strong else WEAK_WORD)
                yield _Evidence(spec, f"section:{path.split('.')[0]}", strength, f"{path} section ({word})")


def _event_bus_evidence(event_bus: Mapping[str, object]) -> Iterator[_Evidence]:
    """``event_bus`` with publish topics means publishing; with only subscribe topics it does not."""
    spec = _spec("event_publishing", "")
    filled = {key: value for key, value in event_bus.items() if value not in (None, "", [], {})}
    if not filled:
        return
    words_by_key = {key: set(split_identifier(key)) for key in filled}
    publish = [key for key, words in words_by_key.items() if words & _PUBLISH_WORDS]
    if publish:
        yield _Evidence(spec, "event_bus", 0.9, f"event_bus.{publish[0]} (publishes)")
    elif all(words & _SUBSCRIBE_WORDS for words in words_by_key.values()):
        return
    else:
        yield _Evidence(spec, "event_bus", 0.75, f"event_bus present ({', '.join(sorted(filled))})")


def _retry_evidence(error_handling: Mapping[str, object]) -> Iterator[_Evidence]:
    spec = _spec("retry", "")
    for path, key in _keys(error_handling, depth=3):
        if spec.match(split_identifier(key)) is None or _switched_off(error_handling, path):
            continue
        yield _Evidence(spec, "error_handling", 0.9, f"error_handling.{path}")
        return


def _switched_off(root: Mapping[str, object], path: str) -> bool:
    """Whether ``path`` or a section holding it is turned off: ``retry_policy: {enabled: false}``,
    ``max_retries: 0``, ``retry: off``."""
    value: object = root
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
        if isinstance(value, Mapping):
            if value.get("enabled", True) in _OFF or value.get("max_retries", 1) in _OFF:
                return True
        elif value in _OFF:
            return True
    return False


def _keys(mapping: Mapping[str, object], depth: int, prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in mapping.items():
        path = f"{prefix}{key}"
        yield path, str(key)
        if depth > 1 and isinstance(value, Mapping):
            yield from _keys(value, depth - 1, f"{path}.")


def _prior_evidence(contract: Contract) -> Iterator[_Evidence]:
    for spec in CATALOGUE:
        if contract.node_type in spec.priors:
            yield _Evidence(
                spec, "node_type", PRIOR_WEIGHT, f"node_type={contract.node_type.value} (typical)"
            )


def _spec(kind: str, subkind: str) -> ContractNeed:
    return next(s for s in CATALOGUE if s.kind == kind and s.subkind == subkind)


# Cross-cutting needs a handler's code shows by its words (``with_retry``, ``publish_event``); the
# CRUD, transformation, aggregation and orchestration kinds are met by the operations themselves.
FEATURE_KINDS = frozenset({"event_publishing", "retry", "caching", "validation"})


def _spec_of(detection: Detection) -> ContractNeed | None:
    return next((s for s in CATALOGUE if s.kind == detection.kind and s.subkind == detection.subkind), None)


def feature_evidence(detection: Detection, code_words: Sequence[str]) -> str | None:
    """The word of ``code_words`` (split identifiers of some code) that shows ``detection``'s need met."""
    spec = _spec_of(detection)
    if spec is None:
        return None
    match = spec.match(code_words)
    return match[0] if match else None
