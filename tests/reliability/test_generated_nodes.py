"""A node nodeforge generated, committed as it was written, is not learned again: its verdicts credit
the patterns it came from. Once a person edits it, it is the team's code and is learned like any other.

Real git commits, a real pytest run with the plugin for verdicts, the real CLI and store.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from nodeforge.generation.provenance import generated_nodes
from nodeforge.learning.reasons import GENERATED_UNCHANGED
from nodeforge.model import Pattern
from tests.fixtures.repo_factory import NODES_DIR
from tests.reliability.conftest import Result, commit_all, stored

Cli = Callable[..., Result]
CONTRACT = "name: node_refund_effect\nnode_type: effect\ndescription: Refunds.\noperations: [get, list]\n"


def _tests_pass_with_the_plugin(team: Path, node: Path) -> None:
    """``pytest --nodeforge`` on the node, as a developer runs it: records its verdict."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nodeforge",
            node.relative_to(team),
        ],
        cwd=team,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _learn_commit(cli: Cli, team: Path) -> dict[str, object]:
    result = cli("learn", "--commit", "HEAD", "--no-embed", "--repo", team, "--json")
    assert result.code == 0, result.err
    report: dict[str, object] = json.loads(result.out)
    return report


def _figures(patterns: list[Pattern]) -> dict[str, tuple[int, int]]:
    return {p.id: (p.support, p.success_count) for p in patterns}


def _generated_and_committed(cli: Cli, team: Path) -> tuple[Path, tuple[str, ...]]:
    assert cli("learn", "--all", "--no-test-gate", "--no-embed", "--repo", team).code == 0
    (team / "refund.yaml").write_text(CONTRACT, encoding="utf-8")
    result = cli("generate", team / "refund.yaml", "--out", team / NODES_DIR, "--repo", team, "--no-verify")
    assert result.code == 0, result.err
    node = team / NODES_DIR / "node_refund_effect"
    (entry,) = [g for g in generated_nodes(team) if g.key == node.relative_to(team).as_posix()]
    assert entry.patterns, "generated from learned patterns"
    commit_all(team, "the generated refund node, as nodeforge wrote it")
    return node, tuple(pattern_id for pattern_id, _version in entry.patterns)


def test_a_committed_unchanged_generated_node_credits_its_patterns_and_adds_none(
    cli: Cli, team: Path
) -> None:
    node, used = _generated_and_committed(cli, team)
    before = _figures(stored(team))
    _tests_pass_with_the_plugin(team, node)

    report = _learn_commit(cli, team)

    key = node.relative_to(team).as_posix()
    assert [key, str(GENERATED_UNCHANGED)] in report["skipped"]
    assert key not in report["learned"] and key not in report["pending"]
    after = _figures(stored(team))
    assert set(after) == set(before), "no pattern mined from nodeforge's own output"
    assert all(after[i][0] == before[i][0] for i in before), "no support gained from it either"
    assert all(after[i][1] == before[i][1] + 1 for i in used), "its passing tests credit what it used"


def test_once_a_person_edits_it_the_node_is_learned_as_the_team_code(cli: Cli, team: Path) -> None:
    node, _used = _generated_and_committed(cli, team)
    handler = sorted((node / "handlers").glob("handler_*.py"))[0]
    text = handler.read_text(encoding="utf-8")
    handler.write_text(text + '\n\nREFUND_WINDOW_DAYS = 30  # "the team\'s own rule"\n', encoding="utf-8")
    commit_all(team, "refunds: a window, by hand")
    _tests_pass_with_the_plugin(team, node)

    report = _learn_commit(cli, team)

    key = node.relative_to(team).as_posix()
    assert key in report["learned"]
    assert [key, str(GENERATED_UNCHANGED)] not in report["skipped"]
    assert any(p.provenance.path.startswith(key) for p in stored(team)), "its code is in the store now"


def test_provenance_keys_are_repository_relative_and_outside_nodes_are_not_recorded(
    cli: Cli, team: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    (team / "refund.yaml").write_text(CONTRACT, encoding="utf-8")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    for out in (team / NODES_DIR, elsewhere):
        argv = ("generate", team / "refund.yaml", "--out", out, "--repo", team, "--no-learning")
        result = cli(*argv, "--no-verify")
        assert result.code == 0, result.err

    assert [g.key for g in generated_nodes(team)] == [f"{NODES_DIR}/node_refund_effect"]
    assert str(elsewhere) not in (team / ".nodeforge" / "generated.json").read_text(encoding="utf-8")
