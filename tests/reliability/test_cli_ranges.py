"""Numbers on the command line are checked against their ranges; ``prune`` can be undone."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from nodeforge.model import PatternStatus
from nodeforge.storage.factory import open_store
from tests.reliability.conftest import Result, nodes_of, stored

Cli = Callable[..., Result]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["patterns", "prune", "--min-success", "5"], "--min-success: expected a number between 0 and 1"),
        (["patterns", "prune", "--min-success", "nan"], "--min-success: expected a number between 0 and 1"),
        (["patterns", "prune", "--min-uses", "-3"], "--min-uses: expected a whole number >= 1"),
        (["patterns", "prune", "--min-uses", "0"], "--min-uses: expected a whole number >= 1"),
        (["patterns", "search", "x", "--limit", "-1"], "--limit: expected a whole number >= 1"),
        (["patterns", "search", "x", "--limit", "many"], "--limit: expected a whole number >= 1"),
    ],
)
def test_out_of_range_numbers_are_usage_errors(
    cli: Cli, tmp_path: Path, argv: list[str], needle: str
) -> None:
    result = cli(*argv, "--repo", tmp_path)

    assert result.code == 2
    assert needle in result.err and "Traceback" not in result.err


def test_prune_writes_an_export_that_restore_undoes(cli: Cli, team: Path) -> None:
    assert cli("learn", nodes_of(team)[0], "--no-test-gate", "--no-embed", "--repo", team).code == 0
    before = {p.id: p.status for p in stored(team)}
    failing = sorted(before)[:2]
    with open_store(team, embedder=None) as store:
        for _ in range(6):
            store.record_outcome(failing, False)

    pruned = cli("patterns", "prune", "--repo", team)

    assert pruned.code == 0, pruned.err
    assert {p.id for p in stored(team) if p.status is PatternStatus.RETIRED} == set(failing)
    (undo,) = re.findall(r"undo with: nodeforge patterns restore (\S+)", pruned.out)

    restored = cli("patterns", "restore", undo, "--repo", team)

    assert restored.code == 0, restored.err
    assert "restored 2 pattern(s)" in restored.out
    assert {p.id: p.status for p in stored(team)} == before
