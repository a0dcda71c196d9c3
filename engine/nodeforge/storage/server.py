"""The team store: a Qdrant server through qdrant-client (``QDRANT_URL``, ``QDRANT_API_KEY``).

Importing qdrant-client costs about 1.6 s, so only this module imports it and only the server
path imports this module. Tests hand in ``QdrantClient(":memory:")``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from nodeforge.errors import StoreError
from nodeforge.storage import codec, counters
from nodeforge.storage.driver import SPARSE_NAME, Hit, SearchPlan, StoredPoint, Where
from nodeforge.storage.driver_store import DriverStore
from nodeforge.storage.embeddings import MINILM_DIM, MINILM_NAME, Embedder
from nodeforge.storage.protocol import DEFAULT_COLLECTION, ServerUnreachable
from nodeforge.storage.sparse import SparseVec

_SCROLL_PAGE = 256
DEFAULT_TIMEOUT = 5


@contextmanager
def _answering(url: str) -> Iterator[None]:
    """A connection lost after connecting is the same failure as one refused: ``ServerUnreachable``."""
    try:
        yield
    except ResponseHandlingException as failed:
        raise ServerUnreachable(f"Qdrant server {url} stopped answering: {failed}") from failed


class ClientDriver:
    """The ``Driver`` for one collection reached through qdrant-client (server or local mode)."""

    backend = "server"

    def __init__(
        self, client: QdrantClient, collection: str, *, location: str, dense: dict[str, int]
    ) -> None:
        self._client = client
        self.collection = collection
        self.location = location
        self._dense_names = self._ensure_collection(dense)

    def _ensure_collection(self, dense: dict[str, int]) -> set[str]:
        if not self._client.collection_exists(self.collection):
            self._client.create_collection(
                self.collection,
                vectors_config={
                    name: models.VectorParams(size=size, distance=models.Distance.COSINE)
                    for name, size in dense.items()
                },
                sparse_vectors_config={SPARSE_NAME: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            )
        present = self._client.get_collection(self.collection)
        schema = present.payload_schema
        with warnings.catch_warnings():
            # Local mode warns that payload indexes do nothing there; a server uses them.
            warnings.simplefilter("ignore", UserWarning)
            for name in codec.INDEXED_KEYWORDS:
                if name not in schema:
                    self._client.create_payload_index(self.collection, name, models.PayloadSchemaType.KEYWORD)
        vectors = present.config.params.vectors
        return set(vectors) if isinstance(vectors, dict) else set()

    def has_dense(self, name: str) -> bool:
        return name in self._dense_names

    def add_dense(self, name: str, dim: int) -> None:
        raise StoreError(
            f"collection {self.collection!r} has no dense vector {name!r}; "
            "use a new collection for a different embedder"
        )

    def fetch(self, point_ids: Sequence[str], *, with_vectors: bool) -> list[StoredPoint]:
        if not point_ids:
            return []
        with _answering(self.location):
            records = self._client.retrieve(
                self.collection, list(point_ids), with_payload=True, with_vectors=with_vectors
            )
        return [_stored(r.id, r.payload, r.vector) for r in records]

    def scan(self, where: Where, *, with_vectors: bool) -> Iterator[StoredPoint]:
        offset: models.ExtendedPointId | None = None
        while True:
            with _answering(self.location):
                records, offset = self._client.scroll(
                    self.collection,
                    scroll_filter=_filter(where),
                    limit=_SCROLL_PAGE,
                    offset=offset,
                    with_payload=True,
                    with_vectors=with_vectors,
                )
            for record in records:
                yield _stored(record.id, record.payload, record.vector)
            if offset is None:
                return

    def count(self, where: Where) -> int:
        with _answering(self.location):
            return self._client.count(self.collection, count_filter=_filter(where), exact=True).count

    def put(self, points: Sequence[StoredPoint]) -> None:
        if points:
            with _answering(self.location):
                self._client.upsert(self.collection, [_point(p) for p in points], wait=True)

    def search(self, plan: SearchPlan) -> list[Hit]:
        flt = _filter(plan.where)
        stages: list[models.Prefetch] = []
        if plan.sparse is not None:
            sparse = models.SparseVector(indices=list(plan.sparse.indices), values=list(plan.sparse.values))
            stages.append(
                models.Prefetch(query=sparse, using=SPARSE_NAME, limit=plan.prefetch_limit, filter=flt)
            )
        if plan.dense is not None:
            stages.append(
                models.Prefetch(
                    query=plan.dense, using=plan.dense_name, limit=plan.prefetch_limit, filter=flt
                )
            )
        with _answering(self.location):
            return self._query(plan, stages, flt)

    def _query(self, plan: SearchPlan, stages: list[models.Prefetch], flt: models.Filter | None) -> list[Hit]:
        payload: bool | models.PayloadSelectorExclude = (
            models.PayloadSelectorExclude(exclude=list(plan.omit)) if plan.omit else True
        )
        if len(stages) == 1:
            response = self._client.query_points(
                self.collection,
                query=stages[0].query,
                using=stages[0].using,
                query_filter=flt,
                limit=plan.limit,
                with_payload=payload,
            )
        else:
            # FusionQuery rather than RrfQuery(k=...): servers before 1.16 know only the former,
            # and its k is Qdrant's default, RRF_K.
            response = self._client.query_points(
                self.collection,
                prefetch=stages,
                query=models.FusionQuery(fusion=models.Fusion.RRF),
                query_filter=flt,
                limit=plan.limit,
                with_payload=payload,
            )
        return [Hit(dict(p.payload or {}), float(p.score)) for p in response.points]

    def close(self) -> None:
        self._client.close()


def _filter(where: Where) -> models.Filter | None:
    must: list[models.Condition] = []
    for match in where.matches:
        if len(match.values) == 1:
            must.append(
                models.FieldCondition(key=match.field, match=models.MatchValue(value=match.values[0]))
            )
        else:
            must.append(models.FieldCondition(key=match.field, match=models.MatchAny(any=list(match.values))))
    must_not: list[models.Condition] = []
    if where.lacks_vector:
        must_not.append(models.HasVectorCondition(has_vector=where.lacks_vector))
    if not must and not must_not:
        return None
    return models.Filter(must=must or None, must_not=must_not or None)


def _point(point: StoredPoint) -> models.PointStruct:
    vectors: dict[str, models.Vector] = {name: list(v) for name, v in point.dense.items()}
    if point.sparse is not None:
        vectors[SPARSE_NAME] = models.SparseVector(
            indices=list(point.sparse.indices), values=list(point.sparse.values)
        )
    return models.PointStruct(id=point.point_id, vector=vectors, payload=point.payload)


def _stored(
    pid: models.ExtendedPointId, payload: dict[str, object] | None, vector: models.VectorStructOutput | None
) -> StoredPoint:
    dense: dict[str, list[float]] = {}
    sparse: SparseVec | None = None
    if isinstance(vector, dict):
        for name, value in vector.items():
            if isinstance(value, models.SparseVector):
                sparse = SparseVec(tuple(value.indices), tuple(float(v) for v in value.values))
            elif isinstance(value, list) and value and isinstance(value[0], float | int):
                dense[name] = [float(x) for x in value]
    return StoredPoint(str(pid), dict(payload or {}), sparse, dense)


class ServerStore(DriverStore):
    """``PatternStore`` on a Qdrant server (or any ``QdrantClient``, e.g. ``":memory:"`` in tests)."""

    def __init__(
        self,
        client: QdrantClient,
        *,
        collection: str = DEFAULT_COLLECTION,
        embedder: Embedder | None = None,
        location: str = "",
        writer: str = "",
    ) -> None:
        """``writer``: the slot this client counts feedback in (``counters.server_writer`` of the local
        store's identity); a fresh one when not given."""
        dense = {MINILM_NAME: MINILM_DIM}
        if embedder is not None:
            dense[embedder.name] = embedder.dim
        driver = ClientDriver(client, collection, location=location or "qdrant-client", dense=dense)
        writer = writer or counters.server_writer(counters.new_event())
        super().__init__(driver, embedder=embedder, writer=writer)

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        api_key: str | None = None,
        collection: str = DEFAULT_COLLECTION,
        embedder: Embedder | None = None,
        timeout: int = DEFAULT_TIMEOUT,
        writer: str = "",
    ) -> ServerStore:
        """Connect to ``url`` (http or https); ``ServerUnreachable`` if it does not answer."""
        client = QdrantClient(url=url, api_key=api_key, timeout=timeout, check_compatibility=False)
        try:
            return cls(client, collection=collection, embedder=embedder, location=url, writer=writer)
        except ResponseHandlingException as failed:
            client.close()
            raise ServerUnreachable(f"Qdrant server {url} is unreachable: {failed}") from failed
        except UnexpectedResponse as refused:
            client.close()
            raise StoreError(
                f"Qdrant server {url} refused the request ({refused.status_code}); check QDRANT_API_KEY"
            ) from refused
