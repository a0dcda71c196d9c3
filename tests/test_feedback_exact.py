"""Feedback counts that add up across real stores: offline increments, syncs, replays and crashes.

Embedded stores are real Qdrant Edge stores in temporary folders; the team store is the server
code path (``ServerStore`` over ``QdrantClient(":memory:")``).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qdrant_client import QdrantClient

from nodeforge.generation.provenance import GeneratedNode, apply_feedback, record_generated
from nodeforge.model import Pattern
from nodeforge.paths import state_dir
from nodeforge.storage import codec, counters
from nodeforge.storage.driver import StoredPoint, point_id
from nodeforge.storage.driver_store import DriverStore
from nodeforge.storage.edge import EdgeDriver, local_writer, open_embedded, store_path
from nodeforge.storage.factory import sync
from nodeforge.storage.protocol import DEFAULT_COLLECTION
from nodeforge.storage.server import ClientDriver, ServerStore
from nodeforge.storage.spool import SpoolingStore, ingest_spool, spool_dir
from tests.storekit import make_pattern

PATTERN = make_pattern("shared")


def embedded(state: Path) -> DriverStore:
    """A machine's own store while the team server is down: every write flagged for sync."""
    store = open_embedded(state, track_unsynced=True)
    assert isinstance(store, DriverStore)
    return store


def figures(store: DriverStore, pattern_id: str = PATTERN.id) -> tuple[int, int, int]:
    found = store.get(pattern_id)
    assert found is not None
    return found.usage_count, found.success_count, found.failure_count


@pytest.mark.parametrize("order", ["laptop first", "runner first"])
def test_two_machines_offline_feedback_adds_up_on_the_server(tmp_path: Path, order: str) -> None:
    server = ServerStore(QdrantClient(":memory:"))
    server.upsert([PATTERN])
    server.record_outcome([PATTERN.id], passed=True, event="online")  # someone else, straight to it
    with embedded(tmp_path / "laptop") as laptop, embedded(tmp_path / "runner") as runner:
        for store in (laptop, runner):
            store.upsert([PATTERN])
        laptop.record_outcome([PATTERN.id], passed=True, event="laptop-node")
        laptop.record_usage([PATTERN.id], event="laptop-node")
        runner.record_outcome([PATTERN.id], passed=True, event="runner-node")
        runner.record_outcome([PATTERN.id], passed=False, event="runner-other-node")
        machines = [laptop, runner] if order == "laptop first" else [runner, laptop]
        for store in machines:
            assert sync(store, server) == 1
        for store in machines:  # pushing again (nothing unsynced) and re-pushing a tally change nothing
            assert sync(store, server) == 0
            server.upsert([PATTERN], tallies=store.tallies([PATTERN.id]))
    assert figures(server) == (1, 3, 1)  # each laptop's success counts: 1 + 1 + the online one
    server.close()


def test_a_machine_online_then_offline_loses_nothing(tmp_path: Path) -> None:
    """The same machine gives feedback to the server while up and to its own store while down."""
    state = tmp_path / "state"
    server = ServerStore(QdrantClient(":memory:"), writer=counters.server_writer(local_writer(state)))
    server.upsert([PATTERN])
    server.record_outcome([PATTERN.id], passed=True, event="while-up")
    with embedded(state) as offline:
        offline.upsert([PATTERN])
        offline.record_outcome([PATTERN.id], passed=True, event="while-down")
        sync(offline, server)
    assert figures(server) == (0, 2, 0)
    server.close()


# -- random interleavings ---------------------------------------------------------------------------

REPLICAS = ("a", "b", "server")


@dataclass
class World:
    """Two machines' embedded stores and the team server, and every event given so far."""

    root: Path
    stores: dict[str, DriverStore]
    given: dict[str, list[tuple[str, bool | None]]]  # replica -> (event id, passed; None: a use)

    def apply(self, replica: str, event: str, passed: bool | None) -> None:
        store = self.stores[replica]
        if passed is None:
            store.record_usage([PATTERN.id], event=event)
        else:
            store.record_outcome([PATTERN.id], passed, event=event)

    def spool_and_crash(self, replica: str, event: str, passed: bool | None) -> None:
        """The event went to the spool while the store was busy; the ingest died before deleting it."""
        state = self.root / replica
        spooler = SpoolingStore(state, lock_path=state / "store.lock")
        if passed is None:
            spooler.record_usage([PATTERN.id], event=event)
        else:
            spooler.record_outcome([PATTERN.id], passed, event=event)
        saved = self.root / f"saved-{replica}"
        shutil.copytree(spool_dir(state), saved)
        ingest_spool(self.stores[replica], state)  # applied and deleted ...
        shutil.rmtree(spool_dir(state))
        saved.rename(spool_dir(state))  # ... but the delete never reached the disk
        assert ingest_spool(self.stores[replica], state).files == 1  # the next open applies it again


@contextmanager
def world() -> Iterator[World]:
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        root = Path(folder)
        stores: dict[str, DriverStore] = {name: stack.enter_context(embedded(root / name)) for name in "ab"}
        stores["server"] = stack.enter_context(ServerStore(QdrantClient(":memory:")))
        for store in stores.values():
            store.upsert([PATTERN])
        yield World(root, stores, {name: [] for name in REPLICAS})


steps = st.lists(
    st.one_of(
        st.tuples(st.just("new"), st.sampled_from(REPLICAS), st.sampled_from([None, True, False])),
        st.tuples(st.just("replay"), st.sampled_from(REPLICAS), st.integers(0, 50)),
        st.tuples(st.just("spool-crash"), st.sampled_from("ab"), st.sampled_from([None, True, False])),
        st.tuples(st.just("sync"), st.sampled_from("ab"), st.none()),
    ),
    max_size=14,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_any_interleaving_counts_each_distinct_event_once(plan: list[tuple[str, str, object]]) -> None:
    with world() as w:
        for number, (step, replica, arg) in enumerate(plan):
            if step == "sync":
                sync(w.stores[replica], w.stores["server"])
            elif step == "replay":  # a re-run or a replayed file on the replica that counted it
                if w.given[replica]:
                    w.apply(replica, *w.given[replica][int(str(arg)) % len(w.given[replica])])
            else:
                event = (f"event-{number}", arg if isinstance(arg, bool) else None)
                w.given[replica].append(event)
                if step == "new":
                    w.apply(replica, *event)
                else:
                    w.spool_and_crash(replica, *event)
        for replica in "ab":
            sync(w.stores[replica], w.stores["server"])
        events = [e for given in w.given.values() for e in given]
        expected = (
            sum(1 for _, passed in events if passed is None),
            sum(1 for _, passed in events if passed is True),
            sum(1 for _, passed in events if passed is False),
        )
        assert figures(w.stores["server"]) == expected


# -- re-run test sessions, migration ----------------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    node_key: str
    content_hash: str
    passed: bool


def test_feedback_given_again_after_a_crash_counts_once(repo: Path) -> None:
    record_generated(repo, GeneratedNode("src/nodes/node_a_effect", "hash1", ((PATTERN.id, 1),)))
    verdict = Judged("src/nodes/node_a_effect", "hash1", passed=True)
    with embedded(state_dir(repo)) as store:
        store.upsert([PATTERN])
        assert len(apply_feedback(repo, [verdict], record=store.record_outcome)) == 1
        # A crash after the store counted it, before generated.json remembered the credit:
        path = state_dir(repo) / "generated.json"
        data = json.loads(path.read_text())
        data["src/nodes/node_a_effect"]["credited"] = []
        path.write_text(json.dumps(data))
        assert len(apply_feedback(repo, [verdict], record=store.record_outcome)) == 1  # given again ...
        assert figures(store) == (0, 1, 0)  # ... counted once
        changed = Judged("src/nodes/node_a_effect", "hash2", passed=True)
        record_generated(repo, GeneratedNode("src/nodes/node_a_effect", "hash2", ((PATTERN.id, 1),)))
        apply_feedback(repo, [changed], record=store.record_outcome)
        assert figures(store) == (0, 2, 0)  # new content, new event


def old_point(pattern: Pattern) -> StoredPoint:
    """A point as nodeforge wrote it before counters: figures in the payload, no ``_tally``."""
    return StoredPoint(point_id(pattern.id), codec.to_payload(pattern))


def old_store(state: Path, pattern: Pattern) -> None:
    driver = EdgeDriver.open(store_path(state, DEFAULT_COLLECTION), dense={})
    driver.put([old_point(pattern)])
    driver.close()


def test_an_old_store_keeps_its_counts_as_the_legacy_writer(tmp_path: Path) -> None:
    legacy = replace(PATTERN, usage_count=5, success_count=3, failure_count=1)
    old_store(tmp_path / "laptop", legacy)
    old_store(tmp_path / "runner", legacy)  # the same history, pushed by max before counters existed
    client = QdrantClient(":memory:")
    server = ServerStore(client)
    ClientDriver(client, DEFAULT_COLLECTION, location="old", dense={}).put([old_point(legacy)])
    with embedded(tmp_path / "laptop") as laptop, embedded(tmp_path / "runner") as runner:
        assert figures(laptop) == (5, 3, 1)
        laptop.record_outcome([PATTERN.id], passed=True, event="after-upgrade")
        runner.record_outcome([PATTERN.id], passed=False, event="after-upgrade-too")
        assert set(laptop.tallies([PATTERN.id])[PATTERN.id].slots) == {counters.LEGACY, laptop.writer}
        runner.upsert([PATTERN])  # learning it again keeps the counts
        found = runner.get(PATTERN.id)
        assert found is not None
        runner.upsert([found])  # and so does writing back a pattern read from the store
        for store in (laptop, runner):
            sync(store, server)
    assert figures(server) == (5, 4, 2)  # the shared legacy figures once, plus each machine's own
    server.close()


def test_export_and_import_carry_the_counters(tmp_path: Path) -> None:
    with embedded(tmp_path / "a") as source, embedded(tmp_path / "b") as target:
        source.upsert([PATTERN])
        source.record_outcome([PATTERN.id], passed=True, event="e1")
        target.upsert([PATTERN])
        target.record_outcome([PATTERN.id], passed=True, event="e2")
        source.export_jsonl(tmp_path / "export.jsonl")
        target.import_jsonl(tmp_path / "export.jsonl")
        target.import_jsonl(tmp_path / "export.jsonl")
        assert figures(target) == (0, 2, 0)
    # Imported while the store is busy: the spool carries the counters too.
    SpoolingStore(tmp_path / "c", lock_path=tmp_path / "c" / "store.lock").import_jsonl(
        tmp_path / "export.jsonl"
    )
    with embedded(tmp_path / "c") as late:
        assert figures(late) == (0, 1, 0)


def test_a_new_pattern_brings_its_figures_and_a_known_one_does_not(tmp_path: Path) -> None:
    carried = replace(PATTERN, usage_count=2, success_count=2)  # e.g. an idiom merged from stored ones
    with embedded(tmp_path / "a") as store:
        store.upsert([carried])
        assert figures(store) == (2, 2, 0)
        store.upsert([carried])  # the same copy again: nothing more
        store.record_outcome([PATTERN.id], passed=True, event="e1")
        assert figures(store) == (2, 3, 0)
