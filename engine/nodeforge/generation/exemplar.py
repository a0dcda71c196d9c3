"""Find the learned nodes nearest a contract, and the handler code nearest each operation by meaning.

Retrieval asks the store for exemplars of the contract's node type (its vectors over the contract's
words), then re-ranks them by ``similarity.compare`` on the features stored in each payload (no file
is read). Handler candidates are scored by meaning: the operation's words, its io type and the
contract's description against each candidate's, never by an exact slot string.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nodeforge.generation.contract import Contract, ModelRef
from nodeforge.generation.fanout import HandlerRef
from nodeforge.generation.features import ContractFeatures, HandlerFeature, features_of_contract
from nodeforge.generation.placement import node_folder
from nodeforge.generation.similarity import Similarity, compare, jaccard
from nodeforge.learning.extract.exemplar import exemplar_features, exemplar_files
from nodeforge.learning.vocabulary import contract_names
from nodeforge.model import NodeType, Pattern, PatternKind, PatternQuery, ScoredPattern
from nodeforge.naming import ENTITY_PASCAL, ENTITY_SNAKE, pascal_case, snake_case, split_identifier
from nodeforge.storage.protocol import PatternStore
from nodeforge.storage.rank import bayes_success

# Exemplars fetched from the store before re-ranking, and the least similarity worth starting from:
# the node type alone (its weight over all facets) stays below it, so a node that shares nothing
# but its type leaves generation to the template.
RERANK_POOL = 20
MIN_SIMILARITY = 0.35
_NO_MEANING = frozenset({*(t.value for t in NodeType), "node", "handler", "handle", "generic"})


@dataclass(frozen=True)
class NearExemplar:
    pattern: Pattern
    similarity: Similarity
    score: float  # similarity x Bayesian success of the nodes generated from it

    def describe(self) -> str:
        node = self.pattern.provenance.node_name
        return f"{node} ({self.pattern.id[:12]}): similarity {self.similarity.describe()}"


def query_text(contract: Contract, features: ContractFeatures) -> str:
    words = [contract.node_type.value, contract.description, *features.operations, *features.tokens()]
    return " ".join(word for word in words if word)


def nearest_exemplars(
    store: PatternStore, contract: Contract, limit: int = RERANK_POOL
) -> list[NearExemplar]:
    """Exemplars of the contract's node type, most similar first; those under MIN_SIMILARITY dropped."""
    features = features_of_contract(contract)
    query = PatternQuery(
        text=query_text(contract, features),
        node_type=contract.node_type,
        kind=PatternKind.EXEMPLAR,
        limit=limit,
    )
    near = []
    for hit in store.query(query):
        similarity = compare(features, exemplar_features(hit.pattern))
        if similarity.score >= MIN_SIMILARITY:
            near.append(NearExemplar(hit.pattern, similarity, similarity.score * bayes_success(hit.pattern)))
    return sorted(near, key=lambda n: (-n.score, -n.pattern.support, n.pattern.id))


def shared_module(ref: ModelRef | None, node_dir: str) -> str:
    """The dotted module of a model the contract places outside the node (a shared package), else ""."""
    module = ref.module if ref is not None else None
    if not module or "." not in module or node_dir in module.split("."):
        return ""
    return module


def shared_model_paths(contract: Contract) -> dict[str, str]:
    """Node-relative path the model would have had -> the shared module it is imported from."""
    node_dir = node_folder(contract, contract_names(contract))  # where the contract places the node
    found = {}
    for ref in (contract.input_model, contract.output_model):
        module = shared_module(ref, node_dir)
        if module:
            found[f"models/{module.rsplit('.', 1)[-1]}.py"] = module
    return found


def targets(contract: Contract) -> list[HandlerRef]:
    """The handlers the new node must have: one per operation (the contract's names, else the naming
    convention), then every handler the contract declares without an operation."""
    names = contract_names(contract)
    found = []
    for operation in contract.operations:
        op = snake_case(operation.python_name)
        module = (operation.handler_module or names.handler_module(op)).rsplit(".", 1)[-1]
        found.append(HandlerRef(op, operation.handler_name or names.handler_class(op), module))
    classes = {t.class_name for t in found}
    for handler in contract.handlers:
        if handler.operations or handler.name in classes or not handler.name[:1].isupper():
            continue
        op = snake_case(handler.name.removeprefix("Handler")) or snake_case(handler.name)
        module = (handler.module or names.handler_module(op)).rsplit(".", 1)[-1]
        found.append(HandlerRef(op, handler.name, module))
        classes.add(handler.name)
    return found


def sources(pattern: Pattern) -> list[HandlerRef]:
    """The exemplar's handlers (generalized names) that a handlers module of it defines."""
    files = exemplar_files(pattern)
    found = []
    for handler in exemplar_features(pattern).handlers:
        ref = _source_ref(handler)
        if (
            f"handlers/{ref.module}.py" in files
            and f"class {ref.class_name}" in files[f"handlers/{ref.module}.py"]
        ):
            found.append(ref)
    return found


def _source_ref(handler: HandlerFeature) -> HandlerRef:
    op = snake_case(handler.operation)
    return HandlerRef(
        op,
        handler.class_name or f"Handler{ENTITY_PASCAL}{pascal_case(op)}",
        handler.module or f"handler_{ENTITY_SNAKE}_{op}",
    )


@dataclass(frozen=True)
class Need:
    """What one new handler is for, in words."""

    target: HandlerRef
    words: frozenset[str]
    io: str
    description: frozenset[str]


def operation_words(operation: str) -> frozenset[str]:
    """The words of an operation name that say what it does: a node type or "handler" in it
    (``handoff_effect``, ``handler_reduce``) says nothing that every node of the type would not."""
    return frozenset(split_identifier(operation)) - _NO_MEANING


def needs(contract: Contract) -> list[Need]:
    features = features_of_contract(contract)
    io = dict(item.split(":", 1) for item in features.io_operations)
    description = frozenset(features.description_words)
    return [
        Need(t, operation_words(t.operation), io.get(t.operation, ""), description) for t in targets(contract)
    ]


def meaning(need: Need, operation: str, io: str, words: Sequence[str]) -> float:
    """How well a candidate implementing ``operation`` (io type ``io``, described by ``words``) fits."""
    score = 0.6 * jaccard(need.words, operation_words(operation))
    # The io type counts only when the contract gives it; otherwise every candidate gets the same half.
    score += 0.25 * (1.0 if need.io == io else 0.0) if need.io else 0.125
    return score + 0.15 * jaccard(need.description, words)


def io_of(features: ContractFeatures, operation: str) -> str:
    io = dict(item.split(":", 1) for item in features.io_operations)
    return io.get(operation, "")


def operation_patterns(
    store: PatternStore, contract: Contract, need: Need, limit: int = 5
) -> list[ScoredPattern]:
    """Learned handler implementations near the need's words, of any slot."""
    text = " ".join([contract.node_type.value, need.target.operation, need.io, *sorted(need.description)])
    query = PatternQuery(
        text=text,
        node_type=contract.node_type,
        kind=PatternKind.OPERATION,
        limit=limit,
    )
    return store.query(query)
