"""Several processes at once, and a process killed mid-write: no pattern lost, none duplicated."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from nodeforge.storage.driver_store import DriverStore
from nodeforge.storage.edge import open_embedded
from nodeforge.storage.spool import SpoolingStore, spool_dir
from tests.store_worker import batch_patterns

ROOT = Path(__file__).resolve().parents[1]


def worker(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store_worker", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def expected_ids(names: list[str], count: int) -> set[str]:
    return {p.id for name in names for batch in range(count // 5) for p in batch_patterns(name, batch)}


def run_four(state: Path, lock_timeout: str) -> list[str]:
    names = ["w0", "w1", "w2", "w3"]
    procs = [worker("upsert", str(state), name, "15", lock_timeout) for name in names]
    errors = []
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        errors.append(err)
    return errors


def test_four_processes_waiting_for_the_lock_all_land(tmp_path: Path) -> None:
    run_four(tmp_path, "30")
    with open_embedded(tmp_path) as store:
        stored = {p.id for p in store.list()}
    assert stored == expected_ids(["w0", "w1", "w2", "w3"], 15)


def test_four_processes_that_cannot_wait_spool_and_nothing_is_lost(tmp_path: Path) -> None:
    errors = run_four(tmp_path, "0")
    assert all("Traceback" not in err for err in errors)
    with open_embedded(tmp_path) as store:
        stored = {p.id for p in store.list()}
    assert stored == expected_ids(["w0", "w1", "w2", "w3"], 15)
    assert list(spool_dir(tmp_path).glob("*.jsonl")) == []


def test_kill_9_mid_learning_leaves_a_consistent_store(tmp_path: Path) -> None:
    proc = worker("loop", str(tmp_path))
    assert proc.stdout is not None
    done = -1
    deadline = time.monotonic() + 60
    while done < 12 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("done "):
            done = int(line.split()[1])
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert done >= 12, proc.stderr.read() if proc.stderr else ""
    with open_embedded(tmp_path, lock_timeout=5) as store:
        assert isinstance(store, DriverStore)
        patterns = store.list()
        total = store.info().total
    ids = [p.id for p in patterns]
    assert total == len(ids) == len(set(ids))  # one point per pattern id, no duplicates
    completed = {p.id for batch in range(done + 1) for p in batch_patterns("loop", batch)}
    assert completed <= set(ids)  # every batch reported done survived the kill
    # Versioning never left a node showing two live versions of one symbol. (An old version other
    # nodes still show stays live, without the node that changed: see test_store_versioning.)
    live = Counter(
        (p.slot, node, p.provenance.symbol)
        for p in patterns
        if p.status.value == "active"
        for node in p.source_nodes
    )
    assert max(live.values()) == 1


def spool_feedback(state: Path, files: int) -> dict[str, int]:
    """``files`` spool files of feedback for five stored patterns, every tenth event spooled twice.

    Returns the distinct uses each pattern was given.
    """
    patterns = batch_patterns("spooled", 0)
    with open_embedded(state) as store:
        store.upsert(patterns)
    spooler = SpoolingStore(state, lock_path=state / "store.lock")
    uses = dict.fromkeys((p.id for p in patterns), 0)
    written = 0
    for n in range(files):
        pattern_id = patterns[n % len(patterns)].id
        if n % 10 == 9 and written < files:  # the same event again, as an at-least-once writer sends it
            spooler.record_usage([pattern_id], event=f"use-{n - 5}")
            written += 1
        if written < files:
            spooler.record_usage([pattern_id], event=f"use-{n}")
            uses[pattern_id] += 1
            written += 1
    return uses


def _kill_mid_replay(state: Path, files: int) -> int:
    """Start replaying ``files`` spool files in a worker and SIGKILL it about halfway: files left."""
    proc = worker("ingest", str(state))
    left = files
    deadline = time.monotonic() + 120
    while left > files // 2 and time.monotonic() < deadline and proc.poll() is None:
        left = len(list(spool_dir(state).glob("*.jsonl")))
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    return len(list(spool_dir(state).glob("*.jsonl")))


def test_kill_9_mid_spool_replay_counts_every_event_once(tmp_path: Path) -> None:
    files = 400
    # On a loaded machine the watcher may sleep through the whole replay: then the kill missed and
    # the run says nothing about a kill, so it is tried again in a fresh folder (at most three times).
    for attempt in range(3):
        state = tmp_path / f"attempt-{attempt}"
        state.mkdir()
        uses = spool_feedback(state, files)
        assert len(list(spool_dir(state).glob("*.jsonl"))) == files
        left = _kill_mid_replay(state, files)
        if 0 < left < files:
            break
    assert 0 < left < files, f"the kill missed the replay three times ({left} of {files} files left)"
    with open_embedded(state, lock_timeout=5) as store:  # replays the rest, and any file applied twice
        counted = {p.id: p.usage_count for p in store.list()}
    assert counted == uses
    assert list(spool_dir(state).glob("*.jsonl")) == []
