"""Ranking retrieved patterns: similarity x quality x Bayesian success.

``similarity`` comes from the store (its fused rank, normalised to [0, 1]); ``quality`` from the
quality analyzer at learn time; success from the verdicts of nodes generated with the pattern,
smoothed with a uniform prior so a new pattern starts at 0.5 rather than 0 or 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from nodeforge.model import Pattern, ScoredPattern

# Below this score generation uses the template code for a slot instead of a learned pattern.
# A fresh pattern (success 0.5) of quality 0.6 found first by one of the two retrievers
# (similarity 0.5) scores 0.15; one that failed in 6 of 6 uses (success 0.125) at quality 0.7
# and similarity 1.0 scores under 0.09 and is left out.
MIN_SCORE = 0.1


def _laplace(successes: int, failures: int) -> float:
    return (successes + 1) / (successes + failures + 2)


def bayes_success(pattern: Pattern) -> float:
    """``(success + 1) / (success + failure + 2)``: Laplace's rule of succession."""
    return _laplace(pattern.success_count, pattern.failure_count)


def score(pattern: Pattern, similarity: float) -> float:
    return similarity * pattern.quality * bayes_success(pattern)


def best_payloads(
    candidates: Iterable[tuple[float, Mapping[str, Any]]], limit: int
) -> list[tuple[float, float, Mapping[str, Any]]]:
    """``rank`` over stored payloads (``store.codec`` dicts): the best ``limit`` as (score, similarity,
    payload), with the same score and the same tie-breaks, without decoding every candidate."""
    scored = [
        (
            similarity * float(p["quality"]) * _laplace(int(p["success_count"]), int(p["failure_count"])),
            similarity,
            p,
        )
        for similarity, p in candidates
    ]
    scored.sort(key=lambda item: (-item[0], -int(item[2]["support"]), str(item[2]["id"])))
    return scored[:limit]


def rank(candidates: Iterable[ScoredPattern]) -> list[ScoredPattern]:
    """Candidates with ``score`` recomputed, best first; ties by support, then id (deterministic)."""
    scored = [replace(c, score=score(c.pattern, c.similarity)) for c in candidates]
    return sorted(scored, key=lambda c: (-c.score, -c.pattern.support, c.pattern.id))


def usable(ranked: Iterable[ScoredPattern], min_score: float = MIN_SCORE) -> list[ScoredPattern]:
    """The ranked patterns good enough to generate from."""
    return [c for c in ranked if c.score >= min_score]
