"""A team of CI learners sharing one Qdrant server, simulated with concurrent processes.

    python benchmarks/bench_team.py                      # 20 runners, 40 nodes, 6 nodes each
    python benchmarks/bench_team.py --runners 8 --nodes 16 --per-runner 4 --json out.json

What it simulates. Each runner is a CI job with its own checkout state (its own ``.nodeforge``
folder over one shared, committed team repository). Overlapping windows of nodes go to the
runners, so every node is learned by several of them, as when many branches touch the same
nodes.

1. **Learn, all runners at once, server down.** ``QDRANT_URL`` names a port nobody listens on,
   so each runner's ``open_configured`` takes the real server path, gets ``ServerUnreachable``
   and learns into its embedded store (Qdrant Edge) with every write flagged unsynced. Each runner
   then applies feedback events (``record_usage`` and ``record_outcome`` with event ids, each
   usage applied twice, as a replay after a crash would) to some of its patterns.
2. **Sync, all runners at once.** Each runner pushes its unsynced patterns and counters with
   ``nodeforge.storage.factory.sync`` through ``ServerStore`` (qdrant-client, the server code
   path) into one shared collection. The backend is qdrant-client's local mode on one folder:
   there is no Qdrant server binary here, and local mode locks its folder to one process, so the
   runners take turns on it (a file lock); their processes, their embedded stores and their
   clients are separate, and they all start together.
3. **Sync again** (every runner): a replayed push must change nothing.

Then the shared collection is checked against what the runners report: every pattern present,
its ``source_nodes`` the union of the runners' copies, and its uses, passes and failures exactly
the number of distinct events the runners applied to it. Throughput: patterns learned per second
of wall time in phase 1, patterns pushed per second in phase 2.

What it does not simulate: requests of several runners interleaving on one server. A real server
would accept the runners' upserts in parallel; ``DriverStore.upsert`` reads a point, merges and
writes it back whole, so two runners merging the same pattern at the same instant could overwrite
one another's ``source_nodes`` or counter slots. Here the backend serializes the runners.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from _common import Bench, Result, machine, make_repo

from nodeforge.config import load_settings
from nodeforge.learning.learn import LearnOptions, learn
from nodeforge.learning.nodes import discover
from nodeforge.paths import state_dir
from nodeforge.storage.counters import server_writer
from nodeforge.storage.driver_store import DriverStore
from nodeforge.storage.edge import local_writer, open_embedded
from nodeforge.storage.factory import open_configured, sync

COLLECTION = "code_generation_patterns"
EVENTS_PER_RUNNER = 6


def _closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def windows(nodes: int, runners: int, per_runner: int) -> list[list[int]]:
    """Overlapping windows of node indexes, one per runner (every node in about the same number)."""
    stride = max(1, nodes // runners)
    return [[(r * stride + j) % nodes for j in range(per_runner)] for r in range(runners)]


# -- the runner processes ----------------------------------------------------------------------


def learn_worker(repo: Path, keys: Sequence[str], runner: int) -> dict[str, object]:
    """Phase 1 in one runner: learn ``keys`` with the server down, then apply feedback events."""
    settings = load_settings(repo)
    nodes = [node for node in discover(repo) if node.key in set(keys)]
    options = LearnOptions(test_gate=False, embed=False, node_paths=settings.node_paths, jobs=1)
    started = time.perf_counter()
    with open_configured(settings, embedder=None) as store:
        report = learn(repo, nodes, store, options)
        patterns = sorted(store.list(), key=lambda p: p.id)
        events: dict[str, int] = {}
        for k, pattern in enumerate(patterns[runner % 3 :: 3][:EVENTS_PER_RUNNER]):
            event = f"runner{runner}-event{k}"
            store.record_usage([pattern.id], event=event)
            store.record_usage([pattern.id], event=event)  # a replay: counted once
            store.record_outcome([pattern.id], k % 2 == 0, event=event)
            events[pattern.id] = events.get(pattern.id, 0) + 1
        offline = store.info().unsynced > 0 and bool(store.info().note)  # the factory fell back
    return {
        "runner": runner,
        "offline": offline,
        "learned": len(report.learned),
        "seconds": time.perf_counter() - started,
        "patterns": {p.id: sorted(p.source_nodes) for p in patterns},
        "events": events,
        "passes": sum(1 for k in range(len(events)) if k % 2 == 0),
    }


def sync_worker(backend: Path) -> dict[str, object]:
    """Phase 2 in one runner: push its embedded store through ``ServerStore`` when its turn comes."""
    from qdrant_client import QdrantClient

    from nodeforge.storage.server import ServerStore

    state = state_dir(Path.cwd())
    with (backend.parent / "turn.lock").open("w") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)  # local mode admits one process at a time
        started = time.perf_counter()
        server = ServerStore(
            QdrantClient(path=str(backend)), writer=server_writer(local_writer(state)), location=str(backend)
        )
        try:
            with open_embedded(state) as embedded:
                pushed = sync(embedded, server)
        finally:
            server.close()
        return {"pushed": pushed, "seconds": time.perf_counter() - started}


def _worker_main(argv: Sequence[str]) -> int:
    if argv[0] == "learn":
        result = learn_worker(Path(argv[1]), argv[3:], int(argv[2]))
    else:
        result = sync_worker(Path(argv[1]))
    print(json.dumps(result))
    return 0


# -- the coordinator ---------------------------------------------------------------------------


def _env(home: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QDRANT_API_KEY", "NODEFORGE_STORE")}
    env.update(NODEFORGE_HOME=str(home), QDRANT_URL=url, NODEFORGE_EMBEDDINGS="0", PYTHONPATH=_pythonpath())
    return env


def _pythonpath() -> str:
    here = str(Path(__file__).resolve().parent)
    return os.pathsep.join([here, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)


def _all_at_once(
    commands: list[tuple[list[str], dict[str, str], Path]],
) -> tuple[float, list[dict[str, object]]]:
    started = time.perf_counter()
    running = [
        subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for args, env, cwd in commands
    ]
    results = []
    for process in running:
        out, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"a runner failed ({process.returncode}):\n{err[-2000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return time.perf_counter() - started, results


def _expected(learned: list[dict[str, object]]) -> tuple[dict[str, set[str]], Counter[str], Counter[str]]:
    nodes: dict[str, set[str]] = {}
    uses: Counter[str] = Counter()
    for result in learned:
        for pid, sources in result["patterns"].items():  # type: ignore[union-attr]
            nodes.setdefault(pid, set()).update(sources)
        uses.update(result["events"])  # type: ignore[arg-type]
    outcomes = Counter(uses)
    return nodes, uses, outcomes


def check(backend: Path, learned: list[dict[str, object]]) -> dict[str, int]:
    """What the shared collection holds against what the runners learned and counted."""
    from qdrant_client import QdrantClient

    from nodeforge.storage.server import ServerStore

    nodes, uses, outcomes = _expected(learned)
    with ServerStore(QdrantClient(path=str(backend)), location=str(backend)) as server:
        assert isinstance(server, DriverStore)
        stored = {p.id: p for p in server.list()}
    return {
        "patterns expected": len(nodes),
        "patterns stored": len(stored),
        "patterns missing": sum(1 for pid in nodes if pid not in stored),
        "source nodes missing": sum(
            len(nodes[pid] - set(stored[pid].source_nodes)) for pid in nodes if pid in stored
        ),
        "usage events expected": sum(uses.values()),
        "usage events counted": sum(p.usage_count for p in stored.values()),
        "outcome events expected": sum(outcomes.values()),
        "outcome events counted": sum(p.success_count + p.failure_count for p in stored.values()),
    }


def run(args: argparse.Namespace) -> Bench:
    bench = Bench(f"{args.runners} CI learners sharing one Qdrant collection", context=machine())
    with tempfile.TemporaryDirectory(prefix="bench-team-") as tmp:
        work = Path(tmp)
        repo = make_repo(work / "repo", args.nodes)
        keys = sorted(node.key for node in discover(repo))
        url = f"http://127.0.0.1:{_closed_port()}"
        homes = [work / f"runner{r}" for r in range(args.runners)]
        me = str(Path(__file__).resolve())
        learn_commands = [
            (
                [sys.executable, me, "--worker", "learn", str(repo), str(r), *(keys[i] for i in window)],
                _env(home, url),
                repo,
            )
            for r, (home, window) in enumerate(
                zip(homes, windows(len(keys), args.runners, args.per_runner), strict=True)
            )
        ]
        learn_wall, learned = _all_at_once(learn_commands)
        offline = sum(1 for result in learned if result["offline"])
        backend = work / "server" / "collection"
        backend.parent.mkdir()
        sync_commands = [
            ([sys.executable, me, "--worker", "sync", str(backend)], _env(home, url), repo) for home in homes
        ]
        sync_wall, synced = _all_at_once(sync_commands)
        again_wall, again = _all_at_once(sync_commands)
        figures = check(backend, learned)
    copies = sum(len(result["patterns"]) for result in learned)  # type: ignore[arg-type]
    pushed = sum(int(result["pushed"]) for result in synced)  # type: ignore[call-overload]
    bench.add(Result("runners that found the server down and learned offline", offline, "count"))
    bench.seconds("phase 1: all runners learning at once (wall)", [learn_wall])
    bench.add(Result("learned pattern copies, all runners", copies, "count"))
    bench.seconds(
        "phase 1: one runner's learning, store open to close", [float(r["seconds"]) for r in learned]
    )  # type: ignore[arg-type]
    bench.add(
        Result(
            "learning throughput, all runners together",
            copies / learn_wall,
            "/s",
            note="pattern copies per second",
        )
    )
    bench.seconds("phase 2: all runners syncing (wall, taking turns on the backend)", [sync_wall])
    bench.add(Result("patterns pushed", pushed, "count"))
    in_turns = sum(float(result["seconds"]) for result in synced)  # type: ignore[arg-type]
    bench.seconds("phase 2: time on the backend, all turns together", [in_turns])
    bench.add(Result("sync throughput on the backend", pushed / in_turns, "/s", note="patterns per second"))
    bench.add(Result("sync throughput, wall", pushed / sync_wall, "/s", note="with process start-up"))
    bench.seconds("phase 3: syncing again (nothing left to push)", [again_wall])
    bench.add(Result("patterns pushed again", sum(int(r["pushed"]) for r in again), "count"))  # type: ignore[call-overload]
    for name, value in figures.items():
        bench.add(Result(name, value, "count"))
    return bench


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        return _worker_main(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runners", type=int, default=20)
    parser.add_argument("--nodes", type=int, default=40)
    parser.add_argument("--per-runner", type=int, default=6)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    bench = run(args)
    bench.print_table()
    if args.json:
        bench.write_json(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
