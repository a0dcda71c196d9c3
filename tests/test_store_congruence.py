"""The same operations on Qdrant Edge and on qdrant-client give the same patterns and the same order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from qdrant_client import QdrantClient

from nodeforge.model import NodeType, PatternKind, PatternQuery, PatternStatus
from nodeforge.storage.driver_store import DriverStore
from nodeforge.storage.edge import open_embedded
from nodeforge.storage.server import ServerStore
from tests.storekit import make_pattern, relearned

CODES = {
    "create": "def handle(self, request):\n    user = Model__Entity__(name=request.name)\n"
    "    self.repository.insert(user)\n    return user\n",
    "create_v2": "def handle(self, request):\n    validate_email(request.email)\n"
    "    user = Model__Entity__(name=request.name, email=request.email)\n"
    "    self.repository.insert(user)\n    return user\n",
    "delete": "def handle(self, request):\n    self.repository.delete(request.entity_id)\n",
    "errors": "try:\n    result = self.repository.insert(user)\nexcept IntegrityError as error:\n"
    "    raise ConflictError(str(error)) from error\n",
    "fetch": "def handle(self, request):\n    row = self.repository.fetch_by_id(request.entity_id)\n"
    "    if row is None:\n        raise NotFoundError(request.entity_id)\n    return row\n",
    "compute": "def compute(self, values):\n    return sum(value * weight for value, weight in values)\n",
}


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[DriverStore, DriverStore]]:
    edge = open_embedded(tmp_path / "state")
    assert isinstance(edge, DriverStore)
    server = ServerStore(QdrantClient(":memory:"))
    yield edge, server
    edge.close()
    server.close()


def scenario(store: DriverStore) -> dict[str, Any]:
    """Learn, re-learn, change, revive, use, judge and prune; return what can be observed."""
    seen: dict[str, Any] = {}
    create = make_pattern("c", code=CODES["create"], summary="create a user")
    delete = make_pattern(
        "d", code=CODES["delete"], slot="effect:delete", symbol="HandlerUserDelete.handle", operation="delete"
    )
    errors = make_pattern(
        "e",
        code=CODES["errors"],
        slot="effect:handler_error_handling",
        kind=PatternKind.ERROR_HANDLING,
        operation="",
        symbol="HandlerUserCreate.handle#except",
    )
    fetch = make_pattern(
        "f", code=CODES["fetch"], slot="effect:fetch", symbol="HandlerUserFetch.handle", operation="fetch"
    )
    compute = make_pattern(
        "k",
        code=CODES["compute"],
        slot="compute:score",
        node="node_score_compute",
        node_type=NodeType.COMPUTE,
        symbol="HandlerScore.compute",
        operation="score",
        quality=0.6,
    )
    seen["first"] = store.upsert([create, delete, errors, fetch, compute])
    seen["merge"] = store.upsert(
        [relearned(delete, "node_order_effect"), relearned(delete, "node_order_effect")]
    )
    create_v2 = make_pattern("c2", code=CODES["create_v2"])
    seen["supersede"] = store.upsert([create_v2])
    store.record_usage([create_v2.id, delete.id, "no-such-id"])
    store.record_outcome([create_v2.id, delete.id], passed=True)
    store.record_outcome([delete.id], passed=False)
    store.record_outcome([fetch.id], passed=False)
    store.record_outcome([fetch.id], passed=False)
    store.record_outcome([fetch.id], passed=False)
    seen["revive"] = store.upsert([create])  # the old code comes back: a new version again
    seen["prune_dry"] = [p.id for p in store.prune(min_success=0.3, min_uses=3, dry_run=True)]
    seen["prune"] = [p.id for p in store.prune(min_success=0.3, min_uses=3, dry_run=False)]
    store.set_status([compute.id], PatternStatus.UNVERIFIED)
    seen["history"] = [(p.id, p.version, p.status, p.supersedes) for p in store.history(create.id)]
    seen["all"] = [
        (p.id, p.status, p.version, p.support, p.usage_count, p.success_count, p.failure_count)
        for p in store.list()
    ]
    seen["effects"] = [p.id for p in store.list(node_type=NodeType.EFFECT)]
    seen["retired"] = [p.id for p in store.list(statuses=[PatternStatus.RETIRED])]
    seen["errors_kind"] = [p.id for p in store.list(kind=PatternKind.ERROR_HANDLING)]
    for name, query in {
        "q_user": PatternQuery("create user repository insert email", node_type=NodeType.EFFECT, limit=10),
        "q_slot": PatternQuery("repository insert", slot="effect:create", limit=10),
        "q_any": PatternQuery("raise error entity id", limit=10),
        "q_compute": PatternQuery("weight sum values", node_type=NodeType.COMPUTE),
        "q_all_statuses": PatternQuery("repository", statuses=tuple(PatternStatus), limit=10),
        "q_no_text": PatternQuery("", slot="effect:delete"),
    }.items():
        result = store.search(query)
        seen[name] = (
            result.mode,
            [(c.pattern.id, round(c.similarity, 6), round(c.score, 6)) for c in result.patterns],
        )
    info = store.info()
    seen["info"] = (info.counts, info.dense_pending, info.embedder, info.unsynced)
    return seen


def test_both_backends_agree_on_every_observation(stores: tuple[DriverStore, DriverStore]) -> None:
    edge, server = stores
    on_edge = scenario(edge)
    on_server = scenario(server)
    assert on_edge.keys() == on_server.keys()
    for key in on_edge:
        assert on_edge[key] == on_server[key], key


def test_scenario_results_are_the_documented_semantics(stores: tuple[DriverStore, DriverStore]) -> None:
    edge, _ = stores
    seen = scenario(edge)
    create = make_pattern("c", code=CODES["create"])
    create_v2 = make_pattern("c2", code=CODES["create_v2"])
    fetch = make_pattern("f", code=CODES["fetch"], slot="effect:fetch")
    delete = make_pattern("d", code=CODES["delete"], slot="effect:delete")
    assert len(seen["first"].inserted) == 5
    assert seen["merge"].merged == (delete.id,) and seen["merge"].inserted == ()
    assert seen["supersede"].superseded == (create.id,)
    assert seen["revive"].superseded == (create_v2.id,) and seen["revive"].merged == (create.id,)
    # history: newest first; the revived code is version 3 and supersedes version 2.
    assert seen["history"] == [
        (create.id, 3, PatternStatus.ACTIVE, create_v2.id),
        (create_v2.id, 2, PatternStatus.SUPERSEDED, create.id),
    ]
    by_id = {row[0]: row for row in seen["all"]}
    assert by_id[delete.id][3] == 2  # support: node_user_effect + node_order_effect
    assert by_id[create.id][3] == 1
    assert by_id[create_v2.id][4:] == (1, 1, 0)
    assert seen["prune_dry"] == [fetch.id] == seen["prune"] == seen["retired"]
    assert by_id[fetch.id][1] == PatternStatus.RETIRED
    assert seen["info"][0] == {"active": 3, "unverified": 1, "superseded": 1, "retired": 1, "held": 0}
    mode, ranked = seen["q_slot"]
    assert mode.value == "sparse" and [r[0] for r in ranked] == [create.id]  # v2 is superseded
    mode, ranked = seen["q_no_text"]
    assert mode.value == "filter" and len(ranked) == 1
    assert all(0.0 <= r[1] <= 1.0 for key in ("q_user", "q_any") for r in seen[key][1])
