"""Choose among candidate modules for one job by consensus: the best bet on an unknown target.

Several near nodes each offer a module (a handler) for the new node; the real one is unknown. If
it resembles candidate ``j`` with probability ``p_j`` (a nearer node, or a better fit in meaning,
is likelier), the candidate with the highest expected similarity to it,
``sum_j p_j * sim(i, j)`` with ``sim(i, i) = 1``, is the best single choice: minimum Bayes risk
selection. A module that many near nodes resemble is the team's typical way of doing the job,
while the single nearest node's module may be its odd one out. ``sim`` is the mean of the
multiset Jaccard of ``ast`` node classes and the Jaccard of identifiers (``codeshape``).
"""

from __future__ import annotations

import ast
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from nodeforge.codeshape import ast_types, identifiers, jaccard, multiset_jaccard

# p_j is proportional to exp(SHARPNESS * prior_j). A handler's prior (fit in meaning + its node's
# similarity) spans about 0.5 to 1.1 over the pool, so at 2 the nearest node's handler weighs about
# e^1.2 ~ 3 far ones: a clearly nearer candidate still wins alone, but a 0.3 lead no longer outweighs
# three alike modules. Measured leave-one-out on omnimarket (benchmarks/loo_generate.py, handler AST
# of the largest handler): sharper weights (5, 10) followed the single nearest node into its odd
# handlers; 2 chose the team's typical shape more often (identifiers, more node-specific, gain less).
SHARPNESS = 2.0


@dataclass(frozen=True)
class _Shape:
    types: Counter[str]
    names: frozenset[str]


def _shape(code: str) -> _Shape | None:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    return _Shape(ast_types(tree), frozenset(identifiers(tree)))


def _similarity(a: _Shape | None, b: _Shape | None) -> float:
    if a is None or b is None:
        return 0.0
    return (multiset_jaccard(a.types, b.types) + jaccard(a.names, b.names)) / 2


def expected_similarity(modules: Sequence[str], priors: Sequence[float]) -> list[float]:
    """Each module's expected similarity to an unknown target drawn from ``modules`` with
    probabilities ``softmax(SHARPNESS * priors)``; a module that does not parse scores 0."""
    if len(modules) != len(priors):
        raise ValueError("one prior per module")
    if not modules:
        return []
    top = max(priors)
    weights = [math.exp(SHARPNESS * (p - top)) for p in priors]
    total = sum(weights)
    shapes = [_shape(code) for code in modules]
    return [
        0.0
        if shape is None
        else sum(
            w * (1.0 if i == j else _similarity(shape, other))
            for j, (w, other) in enumerate(zip(weights, shapes, strict=True))
        )
        / total
        for i, shape in enumerate(shapes)
    ]


def consensus_order(modules: Sequence[str], priors: Sequence[float]) -> list[int]:
    """Indices of ``modules``, highest expected similarity first (ties: higher prior, then input order)."""
    expected = expected_similarity(modules, priors)
    return sorted(range(len(modules)), key=lambda i: (-expected[i], -priors[i], i))
