"""The embedded store: Qdrant Edge (Qdrant's engine in-process) under ``<state_dir>/store/<collection>/``.

Edge locks its folder to one process. ``open_embedded`` takes our own lock first and waits for it
(bounded); when the store stays busy it returns a ``SpoolingStore`` so learning never blocks a
commit and never loses a pattern: the next opener ingests the spool.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import qdrant_edge as qe

from nodeforge.errors import StoreError
from nodeforge.filelock import FileLock
from nodeforge.storage import codec, counters
from nodeforge.storage.driver import RRF_K, SPARSE_NAME, Hit, SearchPlan, StoredPoint, Where
from nodeforge.storage.driver_store import DriverStore
from nodeforge.storage.embeddings import MINILM_DIM, MINILM_NAME, Embedder
from nodeforge.storage.protocol import DEFAULT_COLLECTION, PatternStore
from nodeforge.storage.sparse import SparseVec
from nodeforge.storage.spool import IngestReport, SpoolingStore, ingest_spool, spool_dir

if TYPE_CHECKING:
    from qdrant_edge import ConditionType, NamedVector

LOCK_FILE = "store.lock"
STORE_DIR = "store"
DEFAULT_LOCK_TIMEOUT = 10.0
_CONFIG_FILE = "edge_config.json"
_SCROLL_PAGE = 256


def store_path(state_dir: Path, collection: str) -> Path:
    return state_dir / STORE_DIR / collection


def local_writer(state_dir: Path) -> str:
    """The identity this checkout's store counts feedback under (one for all its collections)."""
    return counters.writer_id(state_dir / STORE_DIR)


class EdgeDriver:
    """The ``Driver`` for one Edge shard."""

    backend = "edge"

    def __init__(self, shard: qe.EdgeShard, path: Path, dense_names: set[str]) -> None:
        self._shard = shard
        self._dense_names = dense_names
        self.location = str(path)
        self.collection = path.name

    @classmethod
    def open(cls, path: Path, *, dense: dict[str, int]) -> EdgeDriver:
        """Load the shard at ``path``, or create it with the ``dense`` vectors (name -> size)."""
        if (path / _CONFIG_FILE).is_file():
            shard = qe.EdgeShard.load(str(path))
            stored = json.loads((path / _CONFIG_FILE).read_text(encoding="utf-8"))
            names = set(stored.get("vectors", {}))
        else:
            config = qe.EdgeConfig(
                vectors={name: qe.EdgeVectorParams(size, qe.Distance.Cosine) for name, size in dense.items()},
                sparse_vectors={SPARSE_NAME: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
                # Payloads are small and read on every query: keep them in the page cache.
                payload_memory=qe.Memory.Cached,
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            shard = qe.EdgeShard.create(str(path), config)
            names = set(dense)
        driver = cls(shard, path, names)
        driver._ensure_indexes()
        return driver

    def _ensure_indexes(self) -> None:
        present = set(self._shard.info().payload_schema)
        for name in codec.INDEXED_KEYWORDS:
            if name not in present:
                self._shard.update(qe.UpdateOperation.create_field_index(name, qe.PayloadSchemaType.Keyword))

    def has_dense(self, name: str) -> bool:
        return name in self._dense_names

    def add_dense(self, name: str, dim: int) -> None:
        self._shard.update(qe.UpdateOperation.create_dense_vector(name, dim, qe.Distance.Cosine))
        self._dense_names.add(name)

    def fetch(self, point_ids: Sequence[str], *, with_vectors: bool) -> list[StoredPoint]:
        if not point_ids:
            return []
        records = self._shard.retrieve(list(point_ids), True, with_vectors)
        return [_stored(r.id, r.payload, r.vector) for r in records]

    def scan(self, where: Where, *, with_vectors: bool) -> Iterator[StoredPoint]:
        offset: qe.PointId | None = None
        while True:
            records, offset = self._shard.scroll(
                qe.ScrollRequest(
                    offset=offset,
                    limit=_SCROLL_PAGE,
                    filter=_filter(where),
                    with_payload=True,
                    with_vector=with_vectors,
                )
            )
            for record in records:
                yield _stored(record.id, record.payload, record.vector)
            if offset is None:
                return

    def count(self, where: Where) -> int:
        return self._shard.count(qe.CountRequest(exact=True, filter=_filter(where)))

    def put(self, points: Sequence[StoredPoint]) -> None:
        if points:
            self._shard.update(qe.UpdateOperation.upsert_points([_point(p) for p in points]))

    def search(self, plan: SearchPlan) -> list[Hit]:
        flt = _filter(plan.where)
        stages: list[qe.Prefetch] = []
        if plan.sparse is not None:
            sparse = qe.SparseVector(list(plan.sparse.indices), list(plan.sparse.values))
            stages.append(
                qe.Prefetch(plan.prefetch_limit, qe.Query.Nearest(sparse, using=SPARSE_NAME), filter=flt)
            )
        if plan.dense is not None:
            stages.append(
                qe.Prefetch(
                    plan.prefetch_limit, qe.Query.Nearest(plan.dense, using=plan.dense_name), filter=flt
                )
            )
        payload = qe.PayloadSelector.Exclude(list(plan.omit)) if plan.omit else True
        if len(stages) == 1:
            request = qe.QueryRequest(plan.limit, query=stages[0].query, filter=flt, with_payload=payload)
        else:
            request = qe.QueryRequest(
                plan.limit,
                query=qe.Fusion.Rrf(k=RRF_K),  # type: ignore[arg-type]  # the stub omits Fusion's nested classes
                prefetches=stages,
                filter=flt,
                with_payload=payload,
            )
        return [Hit(dict(p.payload or {}), float(p.score)) for p in self._shard.query(request)]

    def close(self) -> None:
        self._shard.flush()
        self._shard.close()


def _filter(where: Where) -> qe.Filter | None:
    must: list[ConditionType] = []
    for match in where.matches:
        if len(match.values) == 1:
            must.append(qe.FieldCondition(match.field, match=qe.MatchValue(match.values[0])))
        else:
            must.append(qe.FieldCondition(match.field, match=qe.MatchAny(list(match.values))))
    must_not: list[ConditionType] = []
    if where.lacks_vector:
        must_not.append(qe.HasVectorCondition(where.lacks_vector))
    if not must and not must_not:
        return None
    return qe.Filter(must=must or None, must_not=must_not or None)


def _point(point: StoredPoint) -> qe.Point:
    vectors: dict[str, NamedVector] = dict(point.dense)
    if point.sparse is not None:
        vectors[SPARSE_NAME] = qe.SparseVector(list(point.sparse.indices), list(point.sparse.values))
    return qe.Point(point.point_id, vectors, point.payload)


def _stored(pid: qe.PointId, payload: qe.Payload | None, vector: qe.Vector | None) -> StoredPoint:
    dense: dict[str, list[float]] = {}
    sparse: SparseVec | None = None
    if isinstance(vector, dict):
        for name, value in vector.items():
            if isinstance(value, qe.SparseVector):
                sparse = SparseVec(tuple(value.indices), tuple(float(v) for v in value.values))
            elif value and isinstance(value[0], float | int):
                dense[name] = [float(x) for x in value]
    return StoredPoint(str(pid), dict(payload or {}), sparse, dense)


class EdgeStore(DriverStore):
    """A ``DriverStore`` on Edge that holds the store lock until closed."""

    def __init__(
        self,
        driver: EdgeDriver,
        lock: FileLock,
        *,
        embedder: Embedder | None,
        writer: str,
        track_unsynced: bool = False,
        note: str = "",
    ) -> None:
        super().__init__(driver, embedder=embedder, writer=writer, track_unsynced=track_unsynced, note=note)
        self._lock = lock
        self.ingested = IngestReport()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._lock.release()


# Qdrant Edge writes through memory-mapped files: on a full disk the process dies of SIGBUS instead of
# getting an error. Refusing to open with less than this free turns that crash into a clear message.
MIN_FREE_BYTES = 64 * 1024 * 1024


def _require_free_space(state_dir: Path) -> None:
    existing = next(p for p in (state_dir, *state_dir.parents) if p.exists())
    free = shutil.disk_usage(existing).free
    if free < MIN_FREE_BYTES:
        raise StoreError(
            f"only {free // (1024 * 1024)} MiB free under {state_dir}; the pattern store needs "
            f"{MIN_FREE_BYTES // (1024 * 1024)} MiB to write safely. Free some space and run again"
        )


def _open_driver(folder: Path, dense: dict[str, int]) -> EdgeDriver:
    try:
        return EdgeDriver.open(folder, dense=dense)
    except Exception as error:  # qdrant-edge reports a damaged folder as a bare Exception, nothing finer
        if type(error) is not Exception:
            raise
        detail = " ".join(str(error).split())[:200]
        raise StoreError(
            f"the embedded store at {folder} cannot be read ({detail}); "
            "run `nodeforge store rebuild` to re-mine it from git history"
        ) from None


def open_embedded(
    state_dir: Path,
    *,
    collection: str = DEFAULT_COLLECTION,
    embedder: Embedder | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    track_unsynced: bool = False,
    note: str = "",
) -> PatternStore:
    """The Edge store in ``state_dir``, after ingesting any spool; a ``SpoolingStore`` if it stays locked."""
    _require_free_space(state_dir)
    lock = FileLock(state_dir / LOCK_FILE)
    if not lock.acquire(lock_timeout):
        print(
            f"nodeforge: the pattern store stayed locked; writes go to {spool_dir(state_dir)} "
            "and the next opener ingests them",
            file=sys.stderr,
            flush=True,
        )
        return SpoolingStore(
            state_dir, lock_path=lock.path, embedder_name=embedder.name if embedder else None
        )
    dense = {MINILM_NAME: MINILM_DIM}
    if embedder is not None:
        dense[embedder.name] = embedder.dim
    store: EdgeStore | None = None
    ready = False
    try:
        driver = _open_driver(store_path(state_dir, collection), dense)
        writer = local_writer(state_dir)
        store = EdgeStore(
            driver, lock, embedder=embedder, writer=writer, track_unsynced=track_unsynced, note=note
        )
        store.ingested = ingest_spool(store, state_dir)
        ready = True
    finally:
        if not ready:
            if store is not None:
                store.close()
            lock.release()
    return store
