"""Ranking retrieved patterns: similarity x quality x Bayesian success (x a node-type match).

``similarity`` comes from the store (its fused rank, normalised to [0, 1]); ``quality`` from the
quality analyzer at learn time; success from the verdicts of nodes generated with the pattern,
smoothed with a uniform prior so a new pattern starts at 0.5 rather than 0 or 1. A query that
prefers a node type (``PatternQuery.prefer_node_type``) scales patterns of any other type by
``TYPE_MISMATCH``: a node's type decides its structure (an effect's handlers do I/O, a reducer's
fold state), so code of another type is worth using only when it is far more alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from nodeforge.model import NodeType, Pattern

TYPE_MISMATCH = 0.5


def _laplace(successes: int, failures: int) -> float:
    return (successes + 1) / (successes + failures + 2)


def bayes_success(pattern: Pattern) -> float:
    """``(success + 1) / (success + failure + 2)``: Laplace's rule of succession."""
    return _laplace(pattern.success_count, pattern.failure_count)


def score(similarity: float, quality: float, successes: int, failures: int) -> float:
    """The one ranking formula: similarity x quality x Laplace-smoothed success."""
    return similarity * quality * _laplace(successes, failures)


def type_fit(pattern_type: str, preferred: NodeType | None) -> float:
    """1 for the preferred node type (or no preference), ``TYPE_MISMATCH`` for any other."""
    return 1.0 if preferred is None or pattern_type == preferred.value else TYPE_MISMATCH


def _payload_score(similarity: float, p: Mapping[str, Any], preferred: NodeType | None) -> float:
    fit = type_fit(str(p["node_type"]), preferred)
    return fit * score(similarity, float(p["quality"]), int(p["success_count"]), int(p["failure_count"]))


def best_payloads(
    candidates: Iterable[tuple[float, Mapping[str, Any]]], limit: int, preferred: NodeType | None = None
) -> list[tuple[float, float, Mapping[str, Any]]]:
    """Stored payloads (``store.codec`` dicts) ranked by ``score`` (x ``type_fit`` to ``preferred``):
    the best ``limit`` as (score, similarity, payload), best first, ties by support then id
    (deterministic), without decoding every candidate."""
    scored = [(_payload_score(similarity, p, preferred), similarity, p) for similarity, p in candidates]
    scored.sort(key=lambda item: (-item[0], -int(item[2]["support"]), str(item[2]["id"])))
    return scored[:limit]
