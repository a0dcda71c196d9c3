"""How close two contracts are, facet by facet: what exemplar retrieval re-ranks by.

Each facet scores in [0, 1]; the similarity is their weighted mean over the facets at least one of
the two contracts has (two contracts that both lack events neither agree nor differ on events).
The node type and the operations weigh most: they decide the structure a node needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nodeforge.generation.features import ContractFeatures

WEIGHTS = {
    "node_type": 3.0,
    "routing": 1.0,
    "operations": 3.0,
    "description": 1.0,
    "io": 1.5,
    "events": 1.0,
    "dependencies": 1.0,
    "models": 0.5,
    # Every word of the two contracts, names generalized: what copying the nearest node ranks by,
    # and the facet that finds a node's siblings (same family of topics, models, settings).
    "words": 3.0,
}


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    left, right = set(a), set(b)
    if not left and not right:
        return 0.0
    return len(left & right) / len(left | right)


@dataclass(frozen=True)
class Similarity:
    score: float
    facets: dict[str, float]

    def describe(self) -> str:
        shown = ", ".join(f"{name} {value:.2f}" for name, value in self.facets.items())
        return f"{self.score:.2f} ({shown})"


def _routing(a: ContractFeatures, b: ContractFeatures) -> float:
    same_strategy = 1.0 if a.routing_strategy == b.routing_strategy else 0.0
    count_a, count_b = len(a.handlers), len(b.handlers)
    counts = min(count_a, count_b) / max(count_a, count_b) if max(count_a, count_b) else 1.0
    return (same_strategy + counts) / 2


def _models(a: ContractFeatures, b: ContractFeatures) -> float:
    """Whether both keep their models in the same kind of place: their own node, or a shared package."""

    def shared(module: str) -> bool:
        return bool(module) and ".models." in module and ".nodes." not in module

    pairs = [(a.input_model[1], b.input_model[1]), (a.output_model[1], b.output_model[1])]
    return sum(1.0 if shared(x) == shared(y) else 0.0 for x, y in pairs) / len(pairs)


def compare(a: ContractFeatures, b: ContractFeatures) -> Similarity:
    facets: dict[str, float] = {"node_type": 1.0 if a.node_type == b.node_type else 0.0}
    facets["routing"] = _routing(a, b)
    optional = {
        "operations": (a.operation_words(), b.operation_words()),
        "description": (a.description_words, b.description_words),
        "io": (a.io_operations, b.io_operations),
        "events": (a.topics, b.topics),
        "dependencies": (a.dependencies, b.dependencies),
    }
    for name, (left, right) in optional.items():
        if left or right:
            facets[name] = jaccard(left, right)
    if any((a.input_model[0], a.output_model[0], b.input_model[0], b.output_model[0])):
        facets["models"] = _models(a, b)
    if a.words and b.words:  # an exemplar learned before words were kept has none: not compared
        facets["words"] = jaccard(a.words, b.words)
    total = sum(WEIGHTS[name] for name in facets)
    score = sum(WEIGHTS[name] * value for name, value in facets.items()) / total
    return Similarity(round(score, 4), {k: round(v, 3) for k, v in facets.items()})
