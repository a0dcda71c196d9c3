"""An engine's scores as similarities in [0, 1], the same on every backend."""

from __future__ import annotations

import math
from collections.abc import Sequence

from nodeforge.storage.driver import RRF_K
from nodeforge.storage.protocol import RetrievalMode


def tied_positions(scores: Sequence[float]) -> list[int]:
    """Competition ranks (1, 2, 2, 4 -> positions 0, 1, 1, 3) of scores sorted best first.

    Engines order equal scores differently; giving ties one position makes the similarity, and
    so the final ranking (which breaks ties by support and id), the same on every backend.
    """
    positions: list[int] = []
    for index, value in enumerate(scores):
        tied = index > 0 and math.isclose(value, scores[index - 1], rel_tol=1e-6, abs_tol=1e-9)
        positions.append(positions[-1] if tied else index)
    return positions


def similarity(score: float, position: int, mode: RetrievalMode) -> float:
    """[0, 1]: the fused RRF score over its maximum, or the reciprocal rank of a single retriever."""
    if mode == RetrievalMode.HYBRID:
        return min(1.0, max(0.0, score * RRF_K / 2))
    return RRF_K / (RRF_K + position)
