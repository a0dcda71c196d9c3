"""What a Qdrant backend provides to the store's logic: the ``Driver`` protocol and the plain types it speaks.

Filters (``Where``), points (``StoredPoint``) and queries (``SearchPlan``) are ours; each driver
translates them to its own Qdrant client's types, so none of those types leak past a driver.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from nodeforge.model import NodeType, PatternKind, PatternStatus
from nodeforge.storage import codec
from nodeforge.storage.sparse import SparseVec

SPARSE_NAME = "identifiers"
# Qdrant's default reciprocal-rank-fusion constant (server, local mode); Edge is given it
# explicitly. A point first in both prefetches scores 2 / RRF_K.
RRF_K = 2
_POINT_NAMESPACE = uuid.UUID("6f0d3c52-5b3e-4f19-9a4e-2c1f8e7d9a10")


def point_id(pattern_id: str) -> str:
    """Qdrant wants integer or UUID point ids; ours are deterministic strings."""
    return str(uuid.uuid5(_POINT_NAMESPACE, pattern_id))


@dataclass(frozen=True)
class FieldMatch:
    """``field`` equals one of ``values`` (keywords)."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Where:
    """An exact filter in our terms; each driver translates it to its Qdrant filter."""

    matches: tuple[FieldMatch, ...] = ()
    lacks_vector: str | None = None  # only points without this named dense vector


@dataclass(frozen=True)
class StoredPoint:
    point_id: str
    payload: codec.JsonDict
    sparse: SparseVec | None = None
    dense: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchPlan:
    where: Where
    limit: int
    prefetch_limit: int
    sparse: SparseVec | None = None
    dense_name: str = ""
    dense: list[float] | None = None
    omit: tuple[str, ...] = ()  # payload fields the hits leave out


@dataclass(frozen=True)
class Hit:
    payload: codec.JsonDict
    score: float


class Driver(Protocol):
    backend: str
    location: str
    collection: str

    def has_dense(self, name: str) -> bool: ...

    def add_dense(self, name: str, dim: int) -> None: ...

    def fetch(self, point_ids: Sequence[str], *, with_vectors: bool) -> list[StoredPoint]: ...

    def scan(self, where: Where, *, with_vectors: bool) -> Iterator[StoredPoint]: ...

    def count(self, where: Where) -> int: ...

    def put(self, points: Sequence[StoredPoint]) -> None: ...

    def search(self, plan: SearchPlan) -> list[Hit]: ...

    def close(self) -> None: ...


def where_for(
    *,
    kind: PatternKind | None = None,
    node_type: NodeType | None = None,
    slot: str | None = None,
    statuses: Sequence[PatternStatus] | None = None,
) -> Where:
    matches: list[FieldMatch] = []
    if kind is not None:
        matches.append(FieldMatch("kind", (kind.value,)))
    if node_type is not None:
        matches.append(FieldMatch("node_type", (node_type.value,)))
    if slot is not None:
        matches.append(FieldMatch("slot", (slot,)))
    if statuses is not None:
        matches.append(FieldMatch("status", tuple(s.value for s in statuses)))
    return Where(tuple(matches))
