"""Sparse vectors over code identifiers and keywords, for Qdrant's sparse index.

Identifiers are split on camelCase and snake_case (``HandlerUserCreate`` -> handler, user, create),
lowercased and hashed to a 31-bit index with CRC-32, which is stable across processes and
machines (Python's ``hash()`` is salted per process and would scatter a team's vectors).
Weights are sublinear term frequencies, ``1 + ln(tf)``; the collections enable Qdrant's IDF
modifier, so rare identifiers weigh more at query time without us keeping corpus statistics.
"""

from __future__ import annotations

import functools
import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass

from nodeforge.model import Pattern
from nodeforge.naming import split_identifier

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INDEX_MASK = 0x7FFFFFFF
# Single letters (loop variables, ``e`` in ``except ... as e``) say nothing about what code does.
_MIN_TOKEN_LENGTH = 2


@dataclass(frozen=True)
class SparseVec:
    """Sorted, unique indices and their weights."""

    indices: tuple[int, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.indices) != len(self.values):
            raise ValueError("a sparse vector needs one value per index")

    @property
    def is_empty(self) -> bool:
        return not self.indices


def tokens(text: str) -> list[str]:
    """The lowercased words of every identifier or keyword in ``text``, in order.

    A compound identifier also contributes itself, lowercased and joined, so an exact name
    (``get_user_by_id``) outweighs text that merely shares its words.
    """
    found: list[str] = []
    for match in _WORD.finditer(text):
        found.extend(_identifier_tokens(match.group()))
    return found


@functools.lru_cache(maxsize=1 << 16)
def _identifier_tokens(identifier: str) -> tuple[str, ...]:
    """A pure memo: code repeats its identifiers, and splitting them was most of a vector's cost."""
    words = [w for w in split_identifier(identifier) if len(w) >= _MIN_TOKEN_LENGTH]
    return (*words, "_".join(words)) if len(words) > 1 else tuple(words)


def token_index(token: str) -> int:
    return zlib.crc32(token.encode("utf-8")) & _INDEX_MASK


def sparse_vector(text: str) -> SparseVec:
    """The sparse vector of ``text``; empty when it holds no identifiers."""
    weights: dict[int, float] = {}
    for token, count in Counter(tokens(text)).items():
        index = token_index(token)
        # Two tokens hashing to one index (rare at 2**31) simply share it.
        weights[index] = weights.get(index, 0.0) + 1.0 + math.log(count)
    ordered = sorted(weights)
    return SparseVec(tuple(ordered), tuple(weights[i] for i in ordered))


def pattern_sparse_text(pattern: Pattern) -> str:
    """What a pattern's sparse vector is made of: its code and the words that describe it."""
    return "\n".join(
        (
            pattern.kind.value,
            pattern.node_type.value,
            pattern.slot,
            pattern.operation,
            pattern.summary,
            pattern.code,
            " ".join(pattern.identifiers),
        )
    )


def pattern_sparse_vector(pattern: Pattern) -> SparseVec:
    return sparse_vector(pattern_sparse_text(pattern))
