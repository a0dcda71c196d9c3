"""Progress bars: drawn on a terminal, silent in pipes and with ``--json`` (real pseudo-terminals)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from nodeforge.cli import progress
from nodeforge.cli.progress import Progress
from nodeforge.storage.factory import open_store, sync
from nodeforge.storage.server import ServerStore
from tests.fixtures.repo_factory import build_repo
from tests.storekit import make_pattern

DOWN = "http://127.0.0.1:9"
BIN = Path(sys.executable).parent


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """A pseudo-terminal: (the side we read, the side a program writes to as its terminal)."""
    reader, writer = pty.openpty()
    yield reader, writer
    for fd in (reader, writer):
        with contextlib.suppress(OSError):  # a test may have closed it
            os.close(fd)


def _drain(reader: int) -> str:
    chunks = []
    while select.select([reader], [], [], 0.2)[0]:
        try:
            data = os.read(reader, 65536)
        except OSError:  # the writing side is closed
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


def _draw(monkeypatch: pytest.MonkeyPatch, stream: io.TextIOBase, *, enabled: bool) -> None:
    monkeypatch.setattr(progress.sys, "stderr", stream)
    monkeypatch.setenv("TERM", "xterm")
    with Progress("embedding", 3, enabled=enabled) as bar:
        for done in (1, 2, 3):
            bar.update(done)
    stream.flush()


def test_a_bar_is_drawn_on_a_terminal(monkeypatch: pytest.MonkeyPatch, terminal: tuple[int, int]) -> None:
    reader, writer = terminal
    with open(os.dup(writer), "w", encoding="utf-8") as tty:
        _draw(monkeypatch, tty, enabled=True)
    assert "embedding" in _drain(reader)


def test_json_output_keeps_the_terminal_silent(
    monkeypatch: pytest.MonkeyPatch, terminal: tuple[int, int]
) -> None:
    reader, writer = terminal
    with open(os.dup(writer), "w", encoding="utf-8") as tty:
        _draw(monkeypatch, tty, enabled=False)  # what every command passes with --json
    assert _drain(reader) == ""


def test_a_pipe_gets_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = io.StringIO()
    _draw(monkeypatch, pipe, enabled=True)
    assert pipe.getvalue() == ""


def _learn(repo: Path, stderr: int, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TERM": "xterm", "NODEFORGE_EMBEDDINGS": "0"}
    return subprocess.run(
        [str(BIN / "nodeforge"), "learn", "--all", *flags],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        timeout=120,
        check=True,
    )


def test_learn_all_shows_its_bar_on_a_terminal_only(repo: Path, terminal: tuple[int, int]) -> None:
    build_repo(repo, 2)
    reader, writer = terminal

    # No verdicts: the nodes wait (pending) without being mined, so each run is quick, yet the
    # bar still walks every node.
    first = _learn(repo, writer)
    on_terminal = _drain(reader)
    as_json = _learn(repo, writer, "--json")
    json_on_terminal = _drain(reader)
    piped = _learn(repo, subprocess.PIPE)

    assert "2 pending" in first.stdout
    assert "learning" in on_terminal
    assert json_on_terminal == ""
    assert len(json.loads(as_json.stdout)["pending"]) == 2
    assert piped.stderr == ""
    assert piped.stdout.startswith("nodeforge: learned 0 node(s)")


def test_store_sync_reports_progress_per_batch(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nodeforge.storage import factory

    monkeypatch.setattr(factory, "SYNC_BATCH", 2)
    patterns = [make_pattern(f"p{i}", slot=f"effect:op{i}", symbol=f"H{i}.handle") for i in range(5)]
    with open_store(repo, url=DOWN, embedder=None) as offline:
        offline.upsert(patterns)
    calls: list[tuple[int, int]] = []
    server = ServerStore(QdrantClient(":memory:"))
    with open_store(repo, embedder=None) as embedded:
        pushed = sync(embedded, server, progress=lambda done, total: calls.append((done, total)))
    server.close()

    assert pushed == 5
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_the_spinner_stays_silent_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from nodeforge.cli.progress import spinner

    with spinner("loading"):
        print("work")
    out, err = capsys.readouterr()
    assert out == "work\n" and err == ""


def test_a_phase_note_reaches_stderr_without_a_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    with Progress("eval", 3) as bar:
        bar.note("nodeforge eval:     2 s  fold 1/5: learning 9 node(s)")
    assert pipe.getvalue() == "nodeforge eval:     2 s  fold 1/5: learning 9 node(s)\n"
