"""The pattern store's interface, in our own types. No Qdrant type crosses it."""

from __future__ import annotations

import builtins
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from nodeforge.errors import StoreError
from nodeforge.model import NodeType, Pattern, PatternKind, PatternQuery, PatternStatus, ScoredPattern

DEFAULT_COLLECTION = "code_generation_patterns"
LIVE_STATUSES = (PatternStatus.ACTIVE, PatternStatus.UNVERIFIED)

Progress = Callable[[int, int], None]


class ServerUnreachable(StoreError):
    """The server did not answer (connection refused, DNS, timeout), when connecting or later."""


class RetrievalMode(enum.StrEnum):
    """How a query found its candidates."""

    HYBRID = "hybrid"  # sparse + dense prefetches fused with reciprocal rank fusion
    SPARSE = "sparse"  # identifiers only (no embedder)
    DENSE = "dense"  # dense only (diagnostics and tests)
    FILTER = "filter"  # the query text had no identifiers: filters alone, similarity 1.0


@dataclass(frozen=True)
class UpsertReport:
    """What one ``upsert`` did. ``dense_pending``: points written without a dense vector."""

    inserted: tuple[str, ...] = ()
    merged: tuple[str, ...] = ()
    superseded: tuple[str, ...] = ()
    dense_pending: int = 0
    spooled: int = 0  # patterns written to the spool because the store was locked


@dataclass(frozen=True)
class QueryResult:
    patterns: list[ScoredPattern]
    mode: RetrievalMode


@dataclass(frozen=True)
class StoreInfo:
    backend: str  # "edge", "server" or "spool"
    location: str  # a folder or a URL
    collection: str
    counts: dict[str, int] = field(default_factory=dict)  # by PatternStatus value
    dense_pending: int = 0
    embedder: str | None = None
    unsynced: int = 0
    note: str = ""  # e.g. why a server was not used

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def dense_available(self) -> bool:
        return self.embedder is not None

    @property
    def retrieval_mode(self) -> RetrievalMode:
        return RetrievalMode.HYBRID if self.dense_available else RetrievalMode.SPARSE


class ClosedOnExit:
    """``with store:`` closes the store on the way out, whatever happened inside."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class PatternStore(Protocol):
    """Learned patterns, their vectors and their track record.

    ``upsert`` merges a pattern learned again (same id: ``source_nodes`` united, ``support`` =
    their number, counters kept) and versions a changed one (same slot and source symbol, new
    id: the old one becomes SUPERSEDED, the new one gets ``version + 1`` and ``supersedes``).

    ``record_usage`` and ``record_outcome`` count one feedback ``event`` (its id, see
    ``counters.feedback_event``) once per pattern however often it is applied; without an id each
    call is an event of its own.
    """

    def upsert(self, patterns: Sequence[Pattern], *, embed: bool = True) -> UpsertReport: ...

    def query(self, q: PatternQuery) -> builtins.list[ScoredPattern]: ...

    def prepare_queries(self, texts: Sequence[str]) -> None:
        """Embed these query texts now, in one batch, for the searches that follow."""
        ...

    def search(self, q: PatternQuery, *, mode: RetrievalMode | None = None) -> QueryResult: ...

    def get(self, pattern_id: str) -> Pattern | None: ...

    def list(
        self,
        *,
        kind: PatternKind | None = None,
        node_type: NodeType | None = None,
        slot: str | None = None,
        statuses: Sequence[PatternStatus] | None = None,
    ) -> builtins.list[Pattern]: ...

    def history(self, pattern_id: str) -> builtins.list[Pattern]: ...

    def record_usage(self, ids: Sequence[str], *, event: str = "") -> None: ...

    def record_outcome(self, ids: Sequence[str], passed: bool, *, event: str = "") -> None: ...

    def set_status(self, ids: Sequence[str], status: PatternStatus) -> None: ...

    def prune(self, min_success: float, min_uses: int, dry_run: bool) -> builtins.list[Pattern]: ...

    def embed_pending(self, progress: Progress | None = None) -> int: ...

    def info(self) -> StoreInfo: ...

    def export_jsonl(self, path: Path) -> int: ...

    def import_jsonl(self, path: Path) -> UpsertReport: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
