"""Learning again costs what changed: content identity from git blob ids, a ledger, parallel mining."""

from __future__ import annotations

from pathlib import Path

import pytest

from nodeforge.gitrepo import blob_id, working_tree
from nodeforge.learning.learn import LearnOptions, LearnReport, MineTask, learn, mine_and_gate
from nodeforge.learning.mining_pool import run_in_order
from nodeforge.learning.nodes import content_hash, discover
from nodeforge.model import Pattern, PatternStatus
from nodeforge.storage.edge import open_embedded
from tests.fixtures.repo_factory import build_repo
from tests.gitkit import git

NODES = 6


@pytest.fixture
def team(repo: Path) -> Path:
    """A committed repository of generated nodes (the ``repo`` fixture is an empty git repository)."""
    build_repo(repo, NODES, seed=5)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "nodes")
    return repo


def _hashes(repo: Path) -> dict[str, str]:
    return {node.key: node.content_hash for node in discover(repo)}


def _learn(
    repo: Path, *, jobs: int = 1, state: str = ".nodeforge", force: bool = False
) -> tuple[LearnReport, list[Pattern]]:
    options = LearnOptions(test_gate=False, embed=False, jobs=jobs, force=force)
    with open_embedded(repo / state, embedder=None) as store:
        report = learn(repo, discover(repo), store, options)
        return report, store.list(statuses=(PatternStatus.UNVERIFIED,))


def test_the_blob_ids_are_git_s_own(team: Path) -> None:
    tree = working_tree(team)
    assert tree is not None
    some = next(name for name in tree.names if name.endswith(".py"))
    assert tree.oids[some] == git(team, "hash-object", some).strip() == blob_id(Path(some).read_bytes())


def test_the_hash_from_git_equals_the_hash_from_the_files(team: Path) -> None:
    for node in discover(team):
        assert content_hash(node.root, node.files, tree=None) == node.content_hash


def test_an_uncommitted_edit_and_an_untracked_file_change_the_hash_an_ignored_file_does_not(
    team: Path,
) -> None:
    before = _hashes(team)
    first, second, third = sorted(before)[:3]
    handler = next(p for p in (team / first).rglob("*.py") if p.name != "__init__.py")
    handler.write_text(handler.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    (team / second / "scratch.py").write_text("VALUE = 1\n", encoding="utf-8")
    (team / third / ".gitignore").write_text("ignored_*.py\n", encoding="utf-8")
    git(team, "add", f"{third}/.gitignore")
    git(team, "commit", "-qm", "ignore scratch files")
    (team / third / "ignored_scratch.py").write_text("VALUE = 2\n", encoding="utf-8")
    after = _hashes(team)
    assert after[first] != before[first]
    assert after[second] != before[second]
    assert after[third] == before[third]  # .gitignore is no node file, the ignored module is not content
    assert {k: v for k, v in after.items() if k not in (first, second)} == {
        k: v for k, v in before.items() if k not in (first, second)
    }
    handler.write_text(handler.read_text(encoding="utf-8").removesuffix("\n# edited\n"), encoding="utf-8")
    assert _hashes(team)[first] == before[first]  # the same bytes again: the same identity


def test_a_deleted_file_leaves_the_hash(team: Path) -> None:
    key, node = next((n.key, n) for n in discover(team) if len(n.files) > 2)
    victim = next(p for p in node.files if p.suffix == ".py")
    victim.unlink()
    again = {n.key: n for n in discover(team)}[key]
    assert victim not in again.files
    assert again.content_hash == content_hash(again.root, again.files, tree=None) != node.content_hash


def test_a_second_learn_of_an_unchanged_repository_mines_nothing(team: Path) -> None:
    first, patterns = _learn(team)
    assert len(first.learned) == NODES and patterns
    second, again = _learn(team)
    assert second.learned == []
    assert sorted((key, str(why)) for key, why in second.skipped) == sorted(
        (key, "unchanged since last learned") for key in first.learned
    )
    assert {p.id for p in again} == {p.id for p in patterns}


def _nodes_tasks(repo: Path) -> list[MineTask]:
    return [
        MineTask(node, PatternStatus.UNVERIFIED, "c0ffee", "2026-01-01T00:00:00+00:00", 0.8)
        for node in discover(repo)
    ]


def test_mining_on_two_processes_gives_exactly_the_serial_result(team: Path) -> None:
    tasks = _nodes_tasks(team)
    serial = list(run_in_order(mine_and_gate, tasks, jobs=1))
    parallel = list(run_in_order(mine_and_gate, tasks, jobs=2))
    assert [m.node.key for m in parallel] == [t.node.key for t in tasks]
    assert parallel == serial
    assert sum(len(m.kept) for m in serial) > NODES


def test_learning_with_two_jobs_stores_what_one_job_stores(team: Path) -> None:
    serial_report, serial = _learn(team, jobs=1, state="serial")
    parallel_report, parallel = _learn(team, jobs=2, state="parallel", force=True)  # the ledger: learned
    for report in (serial_report, parallel_report):
        report.seconds.clear()  # the only field that may differ
    assert parallel_report == serial_report

    def summary(patterns: list[Pattern]) -> set[tuple[str, int, tuple[str, ...]]]:
        return {(p.id, p.support, tuple(sorted(p.source_nodes))) for p in patterns}

    assert summary(parallel) == summary(serial)
    assert len(serial) > NODES


def test_jobs_must_be_a_whole_number_of_one_or_more(team: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nodeforge.cli.main import main

    for bad in ("0", "-1", "two"):
        assert main(["learn", "--all", "--no-test-gate", "--repo", str(team), "-j", bad]) == 2
        assert "-j/--jobs" in capsys.readouterr().err
    assert not (team / ".nodeforge" / "learned.json").exists()
