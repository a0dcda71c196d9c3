"""Faults: an unreachable server, kill -9 at random points, a full disk, a corrupt embedded store.

After each: no pattern lost, no duplicate, no half-written node folder or file.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nodeforge.paths import state_dir
from nodeforge.storage.edge import store_path
from nodeforge.storage.protocol import DEFAULT_COLLECTION
from tests.gitkit import git_init
from tests.reliability.conftest import (
    Result,
    assert_one_line_error,
    commit_all,
    files_under,
    nodes_of,
    start_nodeforge,
    stored,
)

Cli = Callable[..., Result]
GOOD = "name: node_ping_effect\nnode_type: effect\noperations: [create, get]\n"


def _ids(repo: Path) -> list[str]:
    return sorted(p.id for p in stored(repo))


def _assert_no_duplicates(repo: Path) -> None:
    patterns = stored(repo)
    ids = [p.id for p in patterns]
    assert len(ids) == len(set(ids))


@pytest.fixture
def reference_ids(team: Path, cli: Cli, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """What an undisturbed ``learn --all --no-test-gate`` stores for this repo."""
    import shutil

    copy = tmp_path_factory.mktemp("reference") / "team"
    shutil.copytree(team, copy, symlinks=True)
    result = cli("learn", "--all", "--no-test-gate", "--no-embed", "--repo", copy)
    assert result.code == 0, result.err
    return _ids(copy)


# -- the team server unreachable ------------------------------------------------------------------------


class _DroppingServer:
    """Accepts TCP connections on 127.0.0.1 and drops each at once: a server that is there and is not."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def dropping_server() -> Iterator[_DroppingServer]:
    server = _DroppingServer()
    yield server
    server.close()


@pytest.mark.slow
def test_unreachable_server_learns_into_the_embedded_store_and_keeps_it_unsynced(
    cli: Cli,
    team: Path,
    dropping_server: _DroppingServer,
    monkeypatch: pytest.MonkeyPatch,
    reference_ids: list[str],
) -> None:
    monkeypatch.setenv("QDRANT_URL", f"http://127.0.0.1:{dropping_server.port}")
    result = cli("learn", "--all", "--no-test-gate", "--no-embed", "--repo", team)
    assert result.code == 0, result.err
    assert "unreachable" in result.err and "store sync" in result.err
    assert dropping_server.accepted >= 1
    assert "Traceback" not in result.err
    monkeypatch.delenv("QDRANT_URL")
    assert _ids(team) == reference_ids  # nothing lost
    from nodeforge.storage.factory import open_store

    with open_store(team, embedder=None) as store:
        unsynced = store.unsynced()  # type: ignore[attr-defined]
    assert sorted(p.id for p in unsynced) == reference_ids  # all remembered for `store sync`
    monkeypatch.setenv("QDRANT_URL", f"http://127.0.0.1:{dropping_server.port}")
    assert_one_line_error(cli("store", "sync", "--repo", team), "unreachable", code=1)


def test_refused_connection_is_the_same_as_unreachable(
    cli: Cli, team: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    monkeypatch.setenv("QDRANT_URL", f"http://127.0.0.1:{port}")
    result = cli("learn", "--all", "--no-test-gate", "--no-embed", "--repo", team)
    assert result.code == 0 and "unreachable" in result.err, result.err
    monkeypatch.delenv("QDRANT_URL")
    assert stored(team)


# -- kill -9 ----------------------------------------------------------------------------------------------


def _kill_after(process: subprocess.Popen[str], seconds: float) -> bool:
    """SIGKILL ``process`` after ``seconds`` unless it finished; True if it was killed."""
    try:
        process.wait(seconds)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True


KILL_SEEDS = (11, pytest.param(23, marks=pytest.mark.slow))


@pytest.mark.parametrize("seed", KILL_SEEDS)
def test_kill_9_during_learn_then_rerun_loses_nothing(
    team: Path, cli: Cli, reference_ids: list[str], seed: int
) -> None:
    rng = random.Random(seed)
    killed = 0
    for _ in range(2):
        process = start_nodeforge(
            "learn", "--all", "--no-test-gate", "--no-embed", "--repo", team, cwd=team, quiet=True
        )
        killed += _kill_after(process, rng.uniform(0.5, 4.0))
    result = cli("learn", "--all", "--no-test-gate", "--no-embed", "--repo", team)
    assert result.code == 0, result.err
    assert _ids(team) == reference_ids
    _assert_no_duplicates(team)
    assert not list(state_dir(team).glob(".*.tmp")) and not list(state_dir(team).glob(".learned.json.*"))
    json.loads((state_dir(team) / "learned.json").read_text(encoding="utf-8"))  # whole, parseable


@pytest.mark.parametrize("seed", KILL_SEEDS)
def test_kill_9_during_generate_leaves_no_half_written_node(team: Path, cli: Cli, seed: int) -> None:
    contract = team / "ping.yaml"
    contract.write_text(GOOD, encoding="utf-8")
    reference = team / "reference"
    assert cli("generate", contract, "--out", reference, "--repo", team, "--no-learning").code == 0
    expected = files_under(reference / "node_ping_effect")
    rng = random.Random(seed)
    out = team / "out"
    for _ in range(3):
        process = start_nodeforge(
            "generate",
            contract,
            "--out",
            out,
            "--repo",
            team,
            "--no-learning",
            "--force",
            cwd=team,
            quiet=True,
        )
        _kill_after(process, rng.uniform(0.3, 2.5))
        node = out / "node_ping_effect"
        assert not node.exists() or files_under(node) == expected  # all or nothing
    result = cli("generate", contract, "--out", out, "--repo", team, "--no-learning", "--force")
    assert result.code == 0, result.err
    assert files_under(out / "node_ping_effect") == expected


# -- a full disk (a real, tiny tmpfs) ---------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24k", "tmpfs", str(mount)], check=False, capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_generate_onto_a_full_disk_writes_nothing(cli: Cli, tmp_path: Path, tiny_disk: Path) -> None:
    contract = git_init(tmp_path) / "c.yaml"
    contract.write_text(GOOD, encoding="utf-8")
    result = cli("generate", contract, "--out", tiny_disk, "--repo", tmp_path, "--no-learning")
    assert_one_line_error(result, "No space left on device", "nothing was written", code=1)
    assert files_under(tiny_disk) == []  # no node folder, no staging folder


def test_learn_with_its_state_on_a_full_disk_fails_cleanly(team: Path, tiny_disk: Path) -> None:
    env = {**os.environ, "NODEFORGE_EMBEDDINGS": "0", "NODEFORGE_HOME": str(tiny_disk)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nodeforge.cli.main",
            "learn",
            "--all",
            "--no-test-gate",
            "--no-embed",
            "--repo",
            str(team),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])
    # Qdrant Edge mmaps its files (a full disk would kill it with SIGBUS): the store refuses to open.
    assert "Traceback" not in done.stderr and "MiB free under" in done.stderr


@pytest.mark.slow
def test_a_rerun_after_a_full_disk_loses_nothing(
    cli: Cli, team: Path, tiny_disk: Path, reference_ids: list[str]
) -> None:
    env = {**os.environ, "NODEFORGE_EMBEDDINGS": "0", "NODEFORGE_HOME": str(tiny_disk)}
    args = [sys.executable, "-m", "nodeforge.cli.main", "learn", "--all", "--no-test-gate", "--no-embed"]
    done = subprocess.run(
        [*args, "--repo", str(team)], env=env, capture_output=True, timeout=120, check=False
    )
    assert done.returncode != 0  # it failed (not enough room for the store, see above) ...
    result = cli("learn", "--all", "--no-test-gate", "--no-embed", "--repo", team)
    assert result.code == 0, result.err
    assert _ids(team) == reference_ids  # ... and the rerun with room loses nothing


# -- a corrupt embedded store, and `nodeforge store rebuild` ----------------------------------------------


def _corrupt(repo: Path, how: str) -> Path:
    folder = store_path(state_dir(repo), DEFAULT_COLLECTION)
    if how == "config":
        (folder / "edge_config.json").write_text("garbage{", encoding="utf-8")
    elif how == "wal":
        wal = sorted((folder / "wal").glob("open-*"))[0]
        wal.write_bytes(random.Random(1).randbytes(4096))
    else:
        segment = sorted((folder / "segments").iterdir())[0]
        (segment / "segment.json").write_text("junk", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "how",
    ["config", pytest.param("wal", marks=pytest.mark.slow), pytest.param("segment", marks=pytest.mark.slow)],
)
def test_corrupt_store_is_named_and_rebuild_recovers_every_committed_pattern(
    cli: Cli, team: Path, how: str
) -> None:
    first = cli("learn", "--all", "--no-test-gate", "--no-embed", "--repo", team)
    assert first.code == 0, first.err
    # a second revision: one handler changes, so history holds two versions of its patterns
    node = nodes_of(team)[0]
    handler = sorted((node / "handlers").glob("handler_*.py"))[0]
    handler.write_text(
        handler.read_text(encoding="utf-8").replace('"""', '"""Changed. ', 1), encoding="utf-8"
    )
    commit_all(team, "second revision")
    assert cli("learn", "--all", "--no-test-gate", "--no-embed", "--repo", team).code == 0
    before = _ids(team)
    folder = _corrupt(team, how)
    broken = cli("patterns", "list", "--repo", team)
    assert_one_line_error(broken, str(folder), "store rebuild", code=1)
    rebuilt = cli("store", "rebuild", "--repo", team)
    assert rebuilt.code == 0, rebuilt.err
    assert "rebuilt the store from 2 commit(s)" in rebuilt.out
    after = _ids(team)
    assert set(before) <= set(after)  # no pattern lost
    _assert_no_duplicates(team)
    assert any(p.name.startswith(f"{DEFAULT_COLLECTION}.corrupt-") for p in folder.parent.iterdir())
    assert cli("patterns", "list", "--repo", team).code == 0
    again = cli("learn", "--all", "--no-test-gate", "--no-embed", "--repo", team)
    assert "0 new" in again.out  # the ledger knows what the rebuild learned
