"""Pattern store benchmark: upsert rate and filtered hybrid query latency, Qdrant Edge vs qdrant-client local.

    python benchmarks/bench_store.py            # 1k and 10k
    python benchmarks/bench_store.py --full     # also 100k
    python benchmarks/bench_store.py --sizes 1000 --queries 100

Patterns are synthetic but shaped like learned ones (generalized handler code, real sparse
vectors from ``nodeforge.storage.sparse``); dense vectors are random unit vectors from a seeded
generator -- fine for timing, never for tests or production. Each size runs on a fresh store in
a temporary folder; both backends see identical data and queries in the same run. qdrant-client's
local mode is brute force in Python: it is skipped above 10 000 patterns (said in the output).

Columns: ``engine`` is the raw engine query (the same filtered hybrid request ``search`` sends,
prepared in advance: the floor); ``search`` is ``PatternStore.search`` end to end (query text to
ranked, decoded patterns). Both with the node type + slot filter generation uses; ``type`` columns
with the node type alone (a quarter of the store matches). Goal at 100 000: search <= 5 ms p50.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nodeforge.model import NodeType, Pattern, PatternKind, PatternQuery, Provenance
from nodeforge.storage.driver_store import DriverStore, SearchPlan, where_for
from nodeforge.storage.edge import open_embedded
from nodeforge.storage.sparse import sparse_vector

DIM = 384
BATCH = 100
LOCAL_LIMIT = 10_000
WORDS = (
    "user",
    "order",
    "invoice",
    "payment",
    "account",
    "session",
    "token",
    "email",
    "address",
    "profile",
    "cart",
    "product",
    "stock",
    "create",
    "update",
    "delete",
    "fetch",
    "list",
    "validate",
    "publish",
    "notify",
    "retry",
    "cache",
    "repository",
    "client",
    "request",
    "response",
    "error",
    "conflict",
    "timeout",
    "missing",
    "invalid",
    "limit",
    "offset",
    "cursor",
    "page",
    "batch",
)
OPERATIONS = ("create", "update", "delete", "fetch", "list", "validate", "publish", "notify")
SLOTS_PER_TYPE = 25


@dataclass(frozen=True)
class RandomEmbedder:
    """Seeded random unit vectors: a stand-in with MiniLM's name and size, for timing only."""

    name: str = "minilm-l6-v2"
    dim: int = DIM
    seed: int = 7

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = []
        for text in texts:
            rng = np.random.default_rng([self.seed, zlib.crc32(text.encode())])
            raw = rng.standard_normal(self.dim)
            vectors.append((raw / np.linalg.norm(raw)).tolist())
        return vectors


def synthetic_pattern(index: int, rng: random.Random) -> Pattern:
    node_type = list(NodeType)[index % len(NodeType)]
    slot_number = rng.randrange(SLOTS_PER_TYPE)
    operation = OPERATIONS[slot_number % len(OPERATIONS)]
    words = rng.sample(WORDS, 8)
    body = "\n".join(
        [
            f"async def handle(self, request: Model__Entity__{operation.capitalize()}Input):",
            f"    {words[0]}_{words[1]} = await self.{words[2]}_repository"
            f".{operation}_{words[3]}(request.{words[4]}_id)",
            f"    if {words[0]}_{words[1]} is None:",
            f"        raise {words[5].capitalize()}{words[6].capitalize()}Error(request.{words[7]}_id)",
            f"    return Model__Entity__Output({words[0]}={words[0]}_{words[1]})  # {index}",
        ]
    )
    digest = hashlib.sha256(body.encode()).hexdigest()
    node = f"node_{words[0]}_{node_type.value}"
    return Pattern(
        id=digest[:24],
        kind=PatternKind.OPERATION,
        node_type=node_type,
        slot=f"{node_type.value}:{operation}{slot_number}",
        operation=operation,
        code=body,
        code_hash=digest[:16],
        provenance=Provenance(
            path=f"src/nodes/{node}/handler.py",
            symbol=f"Handler{index}.handle",
            start_line=1,
            end_line=5,
            commit="",
            content_hash=digest[16:32],
            node_name=node,
        ),
        identifiers=tuple(words),
        summary=f"{operation} a {words[0]} and map {words[5]} errors",
        quality=rng.uniform(0.4, 1.0),
        source_nodes=(node,),
    )


def synthetic_queries(count: int, rng: random.Random) -> list[PatternQuery]:
    queries = []
    for _ in range(count):
        node_type = rng.choice(list(NodeType))
        slot_number = rng.randrange(SLOTS_PER_TYPE)
        operation = OPERATIONS[slot_number % len(OPERATIONS)]
        text = f"{operation} " + " ".join(rng.sample(WORDS, 4))
        queries.append(
            PatternQuery(
                text, node_type=node_type, slot=f"{node_type.value}:{operation}{slot_number}", limit=5
            )
        )
    return queries


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def engine_plans(queries: Sequence[PatternQuery], embedder: RandomEmbedder) -> list[SearchPlan]:
    """The requests ``search`` sends to the engine, prepared in advance to time the engine alone."""
    return [
        SearchPlan(
            where_for(node_type=q.node_type, slot=q.slot, statuses=q.statuses),
            limit=max(q.limit * 3, 10),
            prefetch_limit=32,
            sparse=sparse_vector(q.text),
            dense_name=embedder.name,
            dense=embedder.embed([q.text])[0],
        )
        for q in queries
    ]


def summary(samples: Sequence[float]) -> tuple[float, float]:
    return statistics.median(samples), percentile(samples, 0.95)


def measure(
    store: DriverStore, patterns: Sequence[Pattern], queries: Sequence[PatternQuery]
) -> dict[str, tuple[float, float]]:
    start = time.perf_counter()
    for first in range(0, len(patterns), BATCH):
        store.upsert(patterns[first : first + BATCH])
    upsert_seconds = time.perf_counter() - start
    broad = [PatternQuery(q.text, node_type=q.node_type, limit=q.limit) for q in queries]
    plans = engine_plans(queries, RandomEmbedder())
    for query in queries[:10]:  # warm-up
        store.search(query)
    driver = store._driver  # the engine alone, without our query embedding, decoding and ranking

    def timed(run: Callable[[], object]) -> float:
        began = time.perf_counter()
        run()
        return (time.perf_counter() - began) * 1000

    broad_plans = engine_plans(broad, RandomEmbedder())
    return {
        "upsert": (len(patterns) / upsert_seconds, 0.0),
        "engine": summary([timed(lambda p=p: driver.search(p)) for p in plans]),
        "slot": summary([timed(lambda q=q: store.search(q)) for q in queries]),
        "engine type": summary([timed(lambda p=p: driver.search(p)) for p in broad_plans]),
        "type": summary([timed(lambda q=q: store.search(q)) for q in broad]),
    }


def edge_backend(folder: Path) -> DriverStore:
    store = open_embedded(folder, embedder=RandomEmbedder())
    assert isinstance(store, DriverStore)
    return store


def local_backend(folder: Path) -> DriverStore:
    from qdrant_client import QdrantClient

    from nodeforge.storage.server import ServerStore

    return ServerStore(QdrantClient(path=str(folder)), embedder=RandomEmbedder(), location=str(folder))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="also run 100k patterns")
    parser.add_argument("--sizes", type=int, nargs="*", help="pattern counts (default 1000 10000)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backends", nargs="*", default=["edge", "local"], choices=["edge", "local"])
    args = parser.parse_args()
    sizes = args.sizes or ([1000, 10_000, 100_000] if args.full else [1000, 10_000])
    backends: dict[str, Callable[[Path], DriverStore]] = {"edge": edge_backend, "local": local_backend}
    print("filtered hybrid query, ms p50 / p95: engine = Qdrant alone (node type + slot filter),")
    print("search = PatternStore.search end to end (same filter); the same two with node type only")
    columns = ("engine", "slot", "engine type", "type")
    names = ("engine", "search", "engine type", "search type")
    print(f"{'backend':<8}{'patterns':>9}{'upsert/s':>10}" + "".join(f"{n:>18}" for n in names))
    for size in sizes:
        rng = random.Random(size)
        patterns = [synthetic_pattern(i, rng) for i in range(size)]
        queries = synthetic_queries(args.queries, rng)
        for name in args.backends:
            if name == "local" and size > LOCAL_LIMIT:
                print(f"{name:<8}{size:>9}  skipped: local mode is brute force beyond {LOCAL_LIMIT}")
                continue
            with tempfile.TemporaryDirectory() as folder:
                store = backends[name](Path(folder))
                try:
                    result = measure(store, patterns, queries)
                finally:
                    store.close()
            cells = "".join(f"{result[k][0]:>10.2f} /{result[k][1]:>6.2f}" for k in columns)
            print(f"{name:<8}{size:>9}{result['upsert'][0]:>10.0f}{cells}", flush=True)


if __name__ == "__main__":
    main()
