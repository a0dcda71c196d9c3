"""The node writer never loses a user's data.

Recovery touches only staging folders nodeforge created and marked; contract entries that map to
one file are refused before anything is written; a contract path that is not a regular file
(a FIFO) is refused without being opened.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nodeforge.writer import STAGING_GRACE_SECONDS, STAGING_MARKER, recover_interrupted_write
from tests.gitkit import git_init
from tests.reliability.conftest import Result, assert_one_line_error, files_under

Cli = Callable[..., Result]
GOOD = "name: node_ping_effect\nnode_type: effect\noperations: [create, get]\n"
ROUTED = "name: node_ping_effect\nnode_type: effect\nhandler_routing:\n  handlers:\n"
LONG_AGO = time.time() - 10 * STAGING_GRACE_SECONDS


@pytest.fixture(autouse=True)
def _tmp_path_is_a_git_repository(tmp_path: Path) -> None:
    """nodeforge refuses to run outside a git repository; these tests generate into ``tmp_path``."""
    git_init(tmp_path)


def _aged(folder: Path) -> Path:
    os.utime(folder, (LONG_AGO, LONG_AGO))
    return folder


def test_a_users_dot_folder_next_to_the_node_is_never_touched(cli: Cli, tmp_path: Path) -> None:
    contract = tmp_path / "ping.yaml"
    contract.write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    backups = [out / ".node_ping_effect.backup", out / ".node_ping_effect.old"]
    for backup in backups:
        backup.mkdir(parents=True)
        (backup / "notes.txt").write_text("mine", encoding="utf-8")
        _aged(backup)

    for force in ([], ["--force"]):
        result = cli(
            "generate", contract, "--out", out, "--repo", tmp_path, "--no-learning", "--no-verify", *force
        )
        assert result.code == 0, result.err

    for backup in backups:
        assert (backup / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in out.iterdir()) == sorted([*(b.name for b in backups), "node_ping_effect"])


def test_an_old_marked_staging_folder_is_cleaned_and_a_parked_node_put_back(tmp_path: Path) -> None:
    target = tmp_path / "node_ping_effect"
    stale = tmp_path / ".node_ping_effect.k1"
    (stale / "node").mkdir(parents=True)
    (stale / STAGING_MARKER).write_text("node_ping_effect\n", encoding="utf-8")
    _aged(stale)
    crashed = tmp_path / ".node_ping_effect.k2"  # killed between the two renames of an overwrite
    (crashed / "retired").mkdir(parents=True)
    (crashed / "retired" / "node.py").write_text("OLD = 1\n", encoding="utf-8")
    (crashed / STAGING_MARKER).write_text("node_ping_effect\n", encoding="utf-8")
    other = tmp_path / ".node_ping_effect.k3"  # marked for another node: not ours to judge
    other.mkdir()
    (other / STAGING_MARKER).write_text("node_other_effect\n", encoding="utf-8")
    _aged(other)

    recover_interrupted_write(target)

    assert (target / "node.py").read_text(encoding="utf-8") == "OLD = 1\n"
    assert not stale.exists()
    assert other.exists()


@pytest.mark.parametrize(
    ("contract", "needles"),
    [
        (
            ROUTED
            + "    - operation: create\n      handler: {name: HandlerA, module: x.h}\n"
            + "    - operation: get\n      handler: {name: HandlerB, module: y.h}\n",
            ("'create'", "'get'", "handlers/h.py"),
        ),
        (
            GOOD.replace("[create, get]", "[__init__, init]"),
            ("'__init__'", "'init'"),  # the contract layer refuses it first (same Python name)
        ),
        (
            # Two of the node's own modules (a shared package's models are imported, not written).
            GOOD
            + "input_model: {name: ModelA, module: app.nodes.node_ping_effect.models.same}\n"
            + "output_model: {name: ModelB, module: app.nodes.node_ping_effect.schemas.same}\n",
            (
                "'app.nodes.node_ping_effect.models.same'",
                "'app.nodes.node_ping_effect.schemas.same'",
                "models/same.py",
            ),
        ),
    ],
    ids=["handler modules", "operations", "models"],
)
def test_entries_that_map_to_one_file_are_an_error_before_any_write(
    cli: Cli, tmp_path: Path, contract: str, needles: tuple[str, ...]
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(contract, encoding="utf-8")
    out = tmp_path / "out"

    result = cli("generate", path, "--out", out, "--repo", tmp_path, "--no-learning", "--no-verify")

    assert_one_line_error(result, *needles)
    assert files_under(out) == []


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "contract.yaml"
    os.mkfifo(path)
    done = threading.Event()

    def unblock() -> None:
        # A safety valve, not a timing assertion: should a reader ever open the FIFO, this writer
        # lets it finish (and the test fail on its message) instead of hanging the suite.
        if not done.wait(30):
            with path.open("w", encoding="utf-8") as writer:
                writer.write(GOOD)

    valve = threading.Thread(target=unblock, daemon=True)
    valve.start()
    yield path
    done.set()
    valve.join()


def test_a_fifo_contract_is_refused_without_being_opened(cli: Cli, tmp_path: Path, fifo: Path) -> None:
    for dry in ([], ["--dry-run"]):
        result = cli("generate", fifo, "--out", tmp_path / "out", "--repo", tmp_path, *dry)
        assert_one_line_error(result, "FIFO", "not opened")
    assert files_under(tmp_path / "out") == []
