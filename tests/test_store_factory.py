"""Choosing the backend, falling back when the server is down, and syncing afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from nodeforge.errors import StoreError
from nodeforge.model import PatternQuery
from nodeforge.storage.driver_store import DriverStore
from nodeforge.storage.factory import open_store, sync
from nodeforge.storage.protocol import ServerUnreachable
from nodeforge.storage.server import ServerStore
from tests.storekit import make_pattern, relearned

DOWN = "http://127.0.0.1:9"  # the discard port: connection refused at once


def test_unreachable_server_falls_back_to_edge_and_flags_writes_unsynced(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = make_pattern("a"), make_pattern("b", slot="effect:update", symbol="U.handle")
    with open_store(repo, url=DOWN, embedder=None) as store:
        store.upsert([first, second])
        store.record_outcome([first.id], passed=True)
        info = store.info()
    assert info.backend == "edge" and info.unsynced == 2 and "unreachable" in info.note
    assert "store sync" in capsys.readouterr().err

    server = ServerStore(QdrantClient(":memory:"))
    server.upsert([relearned(first, "node_team_effect")])  # a teammate learned it meanwhile
    with open_store(repo, embedder=None) as embedded:
        assert sync(embedded, server) == 2
        assert embedded.info().unsynced == 0
        assert sync(embedded, server) == 0
    synced = server.get(first.id)
    assert synced is not None
    assert synced.support == 2 and synced.success_count == 1  # merged, offline outcome carried over
    assert [c.pattern.id for c in server.query(PatternQuery("handle request", slot="effect:update"))] == [
        second.id
    ]
    server.close()


def test_writes_after_a_normal_open_keep_their_unsynced_flag(repo: Path) -> None:
    pattern = make_pattern("a")
    with open_store(repo, url=DOWN, embedder=None) as store:
        store.upsert([pattern])
    with open_store(repo, embedder=None) as store:
        store.record_usage([pattern.id])  # not tracking, but the point was never pushed
        assert store.info().unsynced == 1


def test_connect_reports_an_unreachable_server_as_a_store_error() -> None:
    with pytest.raises(ServerUnreachable, match="unreachable") as raised:
        ServerStore.connect(DOWN, timeout=1)
    assert isinstance(raised.value, StoreError) and raised.value.exit_code == 1


def test_sync_refuses_a_locked_embedded_store(repo: Path) -> None:
    with open_store(repo, embedder=None) as holder:
        assert isinstance(holder, DriverStore)
        blocked = open_store(repo, embedder=None, lock_timeout=0)
        with pytest.raises(StoreError, match="locked"):
            sync(blocked, ServerStore(QdrantClient(":memory:")))
