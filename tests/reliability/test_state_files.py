"""Damaged state files never stop work: each is set aside with one warning, and nothing is deleted.

``learned.json``, ``pending.json``, ``generated.json`` and ``verdicts.json`` are written empty,
as garbage, and as JSON of the wrong shape; the command that reads each one runs for real.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from nodeforge.paths import state_dir
from tests.reliability.conftest import Result, nodes_of

Cli = Callable[..., Result]
CONTRACT = "name: node_ping_effect\nnode_type: effect\noperations: [create]\n"
DAMAGE = {"empty": "", "garbage": "{not json", "wrong shape": "[1, 2, 3]", "binary": "\udcff"}


def _run_reader(cli: Cli, team: Path, name: str) -> Result:
    if name == "generated.json":
        (team / "c.yaml").write_text(CONTRACT, encoding="utf-8")
        return cli("generate", team / "c.yaml", "--out", team / "out", "--repo", team)
    gate = ["--no-test-gate"] if name != "verdicts.json" else []
    return cli("learn", nodes_of(team)[0], *gate, "--no-embed", "--repo", team)


@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("name", ["learned.json", "pending.json", "generated.json", "verdicts.json"])
def test_a_damaged_state_file_is_set_aside_with_one_warning(
    cli: Cli, team: Path, name: str, damage: str
) -> None:
    state = state_dir(team)
    state.mkdir(parents=True, exist_ok=True)
    (state / name).write_bytes(DAMAGE[damage].encode("utf-8", "surrogateescape"))

    result = _run_reader(cli, team, name)

    assert result.code == 0, result.out + result.err
    assert "Traceback" not in result.out + result.err
    warnings = [line for line in result.err.splitlines() if "warning:" in line]
    assert len(warnings) == 1 and name in warnings[0], result.err
    (aside,) = state.glob(f"{name}.corrupt-*")
    assert aside.read_bytes() == DAMAGE[damage].encode("utf-8", "surrogateescape")  # kept, not deleted


def test_a_failed_background_learn_is_reported_by_the_next_commit(
    team: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nodeforge.hooks import precommit

    monkeypatch.chdir(team)
    state = state_dir(team)
    state.mkdir(parents=True, exist_ok=True)
    (state / "store").write_text("not a folder", encoding="utf-8")  # the embedded store cannot open

    precommit.main(["--foreground"])  # what the detached learner runs
    first = capsys.readouterr().out
    precommit.main([])  # the next commit's hook

    assert "learning skipped" in first
    assert "the previous background learn failed" in capsys.readouterr().out
