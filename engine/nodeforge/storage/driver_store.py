"""The pattern store's logic, written once over a small ``Driver`` that each Qdrant backend provides.

A driver stores points (id, payload, sparse and dense vectors), finds them by id or by exact
filters, and runs one nearest or fused query. Everything that gives patterns their meaning --
merging, versioning, counters, ranking -- lives here, so Qdrant Edge and a Qdrant server behave
the same. Each ``upsert`` is written with a single ``put``: one batch, so a process killed in the
middle leaves either all of it or none of it.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from nodeforge.errors import StoreError
from nodeforge.model import NodeType, Pattern, PatternKind, PatternQuery, PatternStatus, ScoredPattern
from nodeforge.storage import codec, counters, jsonl
from nodeforge.storage import rank as ranking
from nodeforge.storage.counters import Counter, Tally
from nodeforge.storage.driver import (
    Driver,
    FieldMatch,
    SearchPlan,
    StoredPoint,
    Where,
    point_id,
    where_for,
)
from nodeforge.storage.embeddings import MINILM_NAME, Embedder, pattern_text
from nodeforge.storage.merge import is_live, merge_same_id, next_version
from nodeforge.storage.protocol import (
    LIVE_STATUSES,
    ClosedOnExit,
    Progress,
    QueryResult,
    RetrievalMode,
    StoreInfo,
    UpsertReport,
)
from nodeforge.storage.scores import similarity, tied_positions
from nodeforge.storage.sparse import SparseVec, pattern_sparse_vector, sparse_vector

_EMBED_BATCH = 64


class DriverStore(ClosedOnExit):
    """``PatternStore`` over a ``Driver``. ``track_unsynced`` flags every write for a later sync.

    ``writer`` is the slot this store counts feedback in (``nodeforge.storage.counters``).
    """

    def __init__(
        self,
        driver: Driver,
        *,
        embedder: Embedder | None,
        writer: str,
        track_unsynced: bool = False,
        note: str = "",
    ) -> None:
        self._driver = driver
        self.writer = writer
        self._embedder = embedder
        self._track_unsynced = track_unsynced
        self._note = note
        self._closed = False
        self._query_vectors: dict[str, builtins.list[float]] = {}  # query text -> its dense vector
        if embedder is not None and not driver.has_dense(embedder.name):
            driver.add_dense(embedder.name, embedder.dim)

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder | None:
        return self._embedder

    @property
    def _dense_name(self) -> str:
        """The dense vector this store reads and writes; MiniLM's when no embedder is loaded."""
        return self._embedder.name if self._embedder is not None else MINILM_NAME

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._driver.close()

    # -- writing ---------------------------------------------------------------------------

    def upsert(
        self,
        patterns: Sequence[Pattern],
        *,
        embed: bool = True,
        tallies: Mapping[str, Tally] | None = None,
    ) -> UpsertReport:
        """Store ``patterns``; ``tallies`` (by id) are their counters, joined with the stored ones.

        A pattern without a tally that the store already holds brings no counts, whatever its
        figures say: learning it again, or writing back a copy read from a store, never changes
        (or doubles) its counts. A new one brings its figures as the legacy writer's (zero when
        freshly mined; an idiom merged from stored patterns carries theirs).
        """
        existing = {
            codec.from_dict(p.payload).id: p
            for p in self._driver.fetch([point_id(p.id) for p in patterns], with_vectors=True)
        }
        lineages = self._stored_lineages(patterns, existing)
        writes: dict[str, tuple[Pattern, StoredPoint | None]] = {}
        inserted: list[str] = []
        merged: list[str] = []
        superseded: list[str] = []
        joined: dict[str, Tally] = {}
        for incoming in patterns:
            current = self._current(incoming.id, writes, existing)
            if current is None:
                result, was_live = incoming, False
                inserted.append(incoming.id)
            else:
                result, was_live = merge_same_id(current, incoming), is_live(current)
                if incoming.id not in merged and incoming.id not in inserted:
                    merged.append(incoming.id)
            if is_live(result):
                retired: list[Pattern] = []
                for old, old_point in self._live_rivals(result, incoming, writes, lineages):
                    others = tuple(n for n in old.source_nodes if n not in incoming.source_nodes)
                    if others:
                        # Other nodes still show the old idiom: it stays live, minus this node.
                        writes[old.id] = (replace(old, source_nodes=others, support=len(others)), old_point)
                        continue
                    writes[old.id] = (replace(old, status=PatternStatus.SUPERSEDED), old_point)
                    superseded.append(old.id)
                    retired.append(old)
                if not was_live:  # a new lineage step: new code, or old code revived
                    result = next_version(result, retired)
            writes[incoming.id] = (result, existing.get(incoming.id))
            joined[incoming.id] = self._joined_tally(incoming, tallies, joined, existing)
        points, pending = self._points(list(writes.values()), embed=embed, tallies=joined)
        self._driver.put(points)
        return UpsertReport(
            inserted=tuple(inserted),
            merged=tuple(merged),
            superseded=tuple(dict.fromkeys(superseded)),
            dense_pending=pending,
        )

    def _current(
        self,
        pattern_id: str,
        writes: dict[str, tuple[Pattern, StoredPoint | None]],
        existing: dict[str, StoredPoint],
    ) -> Pattern | None:
        if pattern_id in writes:
            return writes[pattern_id][0]
        if pattern_id in existing:
            return codec.from_dict(existing[pattern_id].payload)
        return None

    def _stored_lineages(
        self, patterns: Sequence[Pattern], existing: dict[str, StoredPoint]
    ) -> dict[tuple[str, str], dict[str, tuple[Pattern, StoredPoint | None]]]:
        """The live stored patterns sharing a slot and source symbol with ``patterns``: one scan."""
        if not patterns:
            return {}
        where = Where(
            (
                FieldMatch("slot", tuple(sorted({p.slot for p in patterns}))),
                FieldMatch(codec.SYMBOL_KEY, tuple(sorted({codec.symbol_key(p) for p in patterns}))),
                FieldMatch("status", tuple(s.value for s in LIVE_STATUSES)),
            )
        )
        lineages: dict[tuple[str, str], dict[str, tuple[Pattern, StoredPoint | None]]] = {}
        for point in self._driver.scan(where, with_vectors=True):
            pattern = codec.from_dict(point.payload)
            existing.setdefault(pattern.id, point)
            lineages.setdefault((pattern.slot, codec.symbol_key(pattern)), {})[pattern.id] = (pattern, point)
        return lineages

    @staticmethod
    def _live_rivals(
        result: Pattern,
        incoming: Pattern,
        writes: dict[str, tuple[Pattern, StoredPoint | None]],
        lineages: dict[tuple[str, str], dict[str, tuple[Pattern, StoredPoint | None]]],
    ) -> list[tuple[Pattern, StoredPoint | None]]:
        """Live patterns for the incoming one's slot and source symbol, other than itself."""
        key = codec.symbol_key(incoming)
        rivals = dict(lineages.get((incoming.slot, key), {}))
        for pattern_id, (written, written_point) in writes.items():
            # This batch's own writes override what the store holds.
            rivals.pop(pattern_id, None)
            same_lineage = written.slot == incoming.slot and codec.symbol_key(written) == key
            if same_lineage and is_live(written):
                rivals[pattern_id] = (written, written_point)
        rivals.pop(result.id, None)
        return [rivals[i] for i in sorted(rivals)]

    @staticmethod
    def _joined_tally(
        incoming: Pattern,
        tallies: Mapping[str, Tally] | None,
        joined: Mapping[str, Tally],
        existing: Mapping[str, StoredPoint],
    ) -> Tally:
        """The counters of ``incoming`` once written: what is known of it joined with what it brings."""
        known = joined.get(incoming.id) or _stored_tally(existing.get(incoming.id))
        if tallies is not None and incoming.id in tallies:
            return known.join(tallies[incoming.id])
        if incoming.id in joined or incoming.id in existing:
            return known
        return counters.of_pattern(incoming)

    def _points(
        self,
        writes: Sequence[tuple[Pattern, StoredPoint | None]],
        *,
        embed: bool,
        tallies: Mapping[str, Tally],
    ) -> tuple[list[StoredPoint], int]:
        """Points for ``writes``: vectors kept where present, dense computed where asked and possible."""
        dense_name = self._dense_name
        needs_dense = [
            pattern
            for pattern, old in writes
            if embed and self._embedder is not None and (old is None or dense_name not in old.dense)
        ]
        computed = dict(zip((p.id for p in needs_dense), self._embed(needs_dense), strict=True))
        points: list[StoredPoint] = []
        pending = 0
        for pattern, old in writes:
            dense = dict(old.dense) if old is not None else {}
            if pattern.id in computed:
                dense[dense_name] = computed[pattern.id]
            if dense_name not in dense:
                pending += 1
            tally = tallies.get(pattern.id) or _stored_tally(old)
            points.append(
                StoredPoint(
                    point_id(pattern.id),
                    self._payload(pattern, tally, old),
                    pattern_sparse_vector(pattern),
                    dense,
                )
            )
        return points, pending

    def _embed(self, patterns: Sequence[Pattern]) -> list[list[float]]:
        if not patterns or self._embedder is None:
            return []
        return self._embedder.embed([pattern_text(p) for p in patterns])

    def _payload(self, pattern: Pattern, tally: Tally, old: StoredPoint | None) -> codec.JsonDict:
        """The payload of ``pattern`` with its counters; the unsynced flag kept or set."""
        unsynced = self._track_unsynced or (old is not None and codec.is_unsynced(old.payload))
        payload = codec.to_payload(counters.with_figures(pattern, tally), unsynced=unsynced)
        payload[counters.TALLY_KEY] = tally.to_json()
        return payload

    def _rewrite(self, ids: Sequence[str], change: _Change) -> builtins.list[Pattern]:
        """Apply ``change`` to the stored patterns ``ids`` (unknown ids are skipped), in one put.

        ``change`` gets and returns a pattern with its tally; nothing is written for a pattern it
        leaves as it was (an event already counted).
        """
        unique = list(dict.fromkeys(ids))
        points = self._driver.fetch([point_id(i) for i in unique], with_vectors=True)
        updated: list[Pattern] = []
        writes: list[StoredPoint] = []
        for point in points:
            before = (codec.from_dict(point.payload), counters.read(point.payload))
            pattern, tally = change(*before)
            updated.append(counters.with_figures(pattern, tally))
            if (pattern, tally) != before:
                writes.append(replace(point, payload=self._payload(pattern, tally, point)))
        if writes:
            self._driver.put(writes)
        return updated

    def _count(self, ids: Sequence[str], counter: Counter, event: str) -> None:
        """One ``event`` adds one to ``counter`` of each pattern in ``ids``, once however often applied."""
        event = event or counters.new_event()

        def count(pattern: Pattern, tally: Tally) -> tuple[Pattern, Tally]:
            return pattern, tally.count(self.writer, counter, counters.event_key(counter, event, pattern.id))

        self._rewrite(ids, count)

    def record_usage(self, ids: Sequence[str], *, event: str = "") -> None:
        self._count(ids, counters.USES, event)

    def record_outcome(self, ids: Sequence[str], passed: bool, *, event: str = "") -> None:
        self._count(ids, counters.PASSES if passed else counters.FAILURES, event)

    def tallies(self, ids: Sequence[str]) -> dict[str, Tally]:
        """The stored counters of ``ids`` (unknown ids are left out): what ``sync`` hands on."""
        points = self._driver.fetch([point_id(i) for i in dict.fromkeys(ids)], with_vectors=False)
        return {codec.from_dict(p.payload).id: counters.read(p.payload) for p in points}

    def set_status(self, ids: Sequence[str], status: PatternStatus) -> None:
        self._rewrite(ids, lambda p, t: (replace(p, status=status), t))

    def prune(self, min_success: float, min_uses: int, dry_run: bool) -> builtins.list[Pattern]:
        """Retire live patterns with Bayesian success below ``min_success`` after ``min_uses`` outcomes."""
        doomed = [
            p
            for p in self.list(statuses=LIVE_STATUSES)
            if p.success_count + p.failure_count >= min_uses and ranking.bayes_success(p) < min_success
        ]
        if dry_run or not doomed:
            return doomed
        retired = self._rewrite(
            [p.id for p in doomed], lambda p, t: (replace(p, status=PatternStatus.RETIRED), t)
        )
        return sorted(retired, key=lambda p: p.id)

    def embed_pending(self, progress: Progress | None = None) -> int:
        """Give every point without a dense vector one; returns how many were embedded."""
        if self._embedder is None:
            raise StoreError("dense embeddings are not available; install nodeforge[embeddings]")
        where = Where(lacks_vector=self._embedder.name)
        total = self._driver.count(where)
        done = 0
        if progress is not None:
            progress(done, total)
        # Collect first: writing while scrolling the same filter would move the scroll's ground.
        points = list(self._driver.scan(where, with_vectors=True))
        for start in range(0, len(points), _EMBED_BATCH):
            batch = points[start : start + _EMBED_BATCH]
            patterns = [codec.from_dict(p.payload) for p in batch]
            vectors = self._embedder.embed([pattern_text(p) for p in patterns])
            name = self._embedder.name
            self._driver.put(
                [replace(p, dense={**p.dense, name: v}) for p, v in zip(batch, vectors, strict=True)]
            )
            done += len(batch)
            if progress is not None:
                progress(done, total)
        return done

    # -- reading ---------------------------------------------------------------------------

    def get(self, pattern_id: str) -> Pattern | None:
        found = self._driver.fetch([point_id(pattern_id)], with_vectors=False)
        return codec.from_dict(found[0].payload) if found else None

    def list(
        self,
        *,
        kind: PatternKind | None = None,
        node_type: NodeType | None = None,
        slot: str | None = None,
        statuses: Sequence[PatternStatus] | None = None,
    ) -> builtins.list[Pattern]:
        where = where_for(kind=kind, node_type=node_type, slot=slot, statuses=statuses)
        patterns = [codec.from_dict(p.payload) for p in self._driver.scan(where, with_vectors=False)]
        return sorted(patterns, key=lambda p: p.id)

    def history(self, pattern_id: str) -> builtins.list[Pattern]:
        """Every version for ``pattern_id``'s slot and source symbol, newest first."""
        pattern = self.get(pattern_id)
        if pattern is None:
            return []
        where = Where(
            (
                FieldMatch("slot", (pattern.slot,)),
                FieldMatch(codec.SYMBOL_KEY, (codec.symbol_key(pattern),)),
            )
        )
        versions = [codec.from_dict(p.payload) for p in self._driver.scan(where, with_vectors=False)]
        return sorted(versions, key=lambda p: (-p.version, p.learned_at, p.id))

    def unsynced(self) -> builtins.list[Pattern]:
        """Patterns written while the server was unreachable, oldest version first."""
        where = Where((FieldMatch(codec.UNSYNCED_KEY, (codec.UNSYNCED,)),))
        patterns = [codec.from_dict(p.payload) for p in self._driver.scan(where, with_vectors=False)]
        return sorted(patterns, key=lambda p: (p.version, p.id))

    def mark_synced(self, ids: Sequence[str]) -> None:
        points = self._driver.fetch([point_id(i) for i in dict.fromkeys(ids)], with_vectors=True)
        cleared = [
            replace(p, payload={k: v for k, v in p.payload.items() if k != codec.UNSYNCED_KEY})
            for p in points
        ]
        if cleared:
            self._driver.put(cleared)

    def query(self, q: PatternQuery) -> builtins.list[ScoredPattern]:
        return self.search(q).patterns

    def prepare_queries(self, texts: Sequence[str]) -> None:
        """Embed the query texts a caller is about to search for in one batch (nothing without an
        embedder): one model call instead of one per query. Later searches reuse the vectors."""
        new = [text for text in dict.fromkeys(texts) if text not in self._query_vectors]
        if self._embedder is not None and new:
            self._query_vectors.update(zip(new, self._embedder.embed(new), strict=True))

    def _query_vector(self, text: str) -> builtins.list[float]:
        assert self._embedder is not None
        if text not in self._query_vectors:
            self._query_vectors[text] = self._embedder.embed([text])[0]
        return self._query_vectors[text]

    def search(self, q: PatternQuery, *, mode: RetrievalMode | None = None) -> QueryResult:
        """Candidates for ``q`` from Qdrant, ranked by ``storage.rank``; ``mode``: how they were found."""
        mode = mode or (RetrievalMode.HYBRID if self._embedder is not None else RetrievalMode.SPARSE)
        if mode in (RetrievalMode.HYBRID, RetrievalMode.DENSE) and self._embedder is None:
            raise StoreError(f"{mode.value} retrieval needs dense embeddings; install nodeforge[embeddings]")
        where = where_for(kind=q.kind, node_type=q.node_type, slot=q.slot, statuses=q.statuses)
        sparse = sparse_vector(q.text)
        if sparse.is_empty:
            mode = RetrievalMode.DENSE if mode == RetrievalMode.HYBRID else mode
            mode = RetrievalMode.FILTER if mode == RetrievalMode.SPARSE else mode
        candidates = self._candidates(q, where, sparse, mode)
        # Rank on the payloads' plain fields and decode only the patterns returned: decoding every
        # candidate (code, dependencies, tests) cost as much as the engine's query itself.
        best = ranking.best_payloads(candidates, q.limit, q.prefer_node_type)
        found = [ScoredPattern(codec.from_dict(dict(p)), sim, score) for score, sim, p in best]
        return QueryResult(found, mode)

    def _candidates(
        self, q: PatternQuery, where: Where, sparse: SparseVec, mode: RetrievalMode
    ) -> builtins.list[tuple[float, codec.JsonDict]]:
        """(similarity, payload) of what the engine found for ``q``."""
        if mode == RetrievalMode.FILTER:
            return [(1.0, p.payload) for p in self._driver.scan(where, with_vectors=False)]
        # Fetch more than asked so quality and success can re-rank beyond the retrievers' order.
        limit = max(q.limit * 3, 10)
        dense: list[float] | None = None
        dense_name = ""
        if mode in (RetrievalMode.HYBRID, RetrievalMode.DENSE) and self._embedder is not None:
            dense_name = self._embedder.name
            dense = self._query_vector(q.text)
        plan = SearchPlan(
            where=where,
            limit=limit,
            prefetch_limit=max(limit * 2, 32),
            sparse=sparse if mode in (RetrievalMode.HYBRID, RetrievalMode.SPARSE) else None,
            dense_name=dense_name,
            dense=dense,
            omit=(counters.TALLY_KEY,),  # ranking reads the sums; the slots would only cost decoding
        )
        hits = self._driver.search(plan)
        if mode == RetrievalMode.SPARSE and hits and hits[0].score > 0:
            # One retriever's own scores, relative to the best hit: hits that match more (and
            # rarer) identifiers stay apart, where reciprocal ranks would tie equal positions.
            return [(min(1.0, hit.score / hits[0].score), hit.payload) for hit in hits]
        return [
            (similarity(hit.score, position, mode), hit.payload)
            for position, hit in zip(tied_positions([h.score for h in hits]), hits, strict=True)
        ]

    # -- bookkeeping -----------------------------------------------------------------------

    def info(self) -> StoreInfo:
        counts = {status.value: self._driver.count(where_for(statuses=(status,))) for status in PatternStatus}
        pending = self._driver.count(Where(lacks_vector=self._dense_name))
        unsynced = self._driver.count(Where((FieldMatch(codec.UNSYNCED_KEY, (codec.UNSYNCED,)),)))
        return StoreInfo(
            backend=self._driver.backend,
            location=self._driver.location,
            collection=self._driver.collection,
            counts=counts,
            dense_pending=pending,
            embedder=self._embedder.name if self._embedder else None,
            unsynced=unsynced,
            note=self._note,
        )

    def export_jsonl(self, path: Path) -> int:
        """Every pattern with its counters, one JSON object a line, by id; written atomically."""
        return jsonl.write_export(path, (p.payload for p in self._driver.scan(Where(), with_vectors=False)))

    def import_jsonl(self, path: Path) -> UpsertReport:
        """Upsert the patterns of an export. No embedding. Counters join the stored ones, so
        importing the same file twice counts nothing twice."""
        patterns, tallies = jsonl.read_export(path)
        return self.upsert(patterns, embed=False, tallies=tallies)


class _Change(Protocol):
    def __call__(self, pattern: Pattern, tally: Tally, /) -> tuple[Pattern, Tally]: ...


def _stored_tally(point: StoredPoint | None) -> Tally:
    return counters.read(point.payload) if point is not None else Tally()
