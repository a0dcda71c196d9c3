"""What the commands print on a learned repository: tables, one success figure, scores, dry-run, diff,
repository-relative headers, and a rebuild that asks first and keeps the counters."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from nodeforge.cli.main import main
from tests.fixtures.repo_factory import EXAMPLE_REPO

CONTRACT = EXAMPLE_REPO.parents[1] / "examples" / "contracts" / "node_order_effect.yaml"


@pytest.fixture
def learned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.setenv("NODEFORGE_EMBEDDINGS", "0")  # sparse retrieval: no model to load
    team = tmp_path / "team"
    shutil.copytree(EXAMPLE_REPO, team)
    shutil.copy(CONTRACT, team / "node_order_effect.yaml")
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "team nodes"]):
        subprocess.run(["git", *argv], cwd=team, check=True)
    assert main(["learn", "--all", "--no-test-gate", "--repo", str(team)]) == 0
    capsys.readouterr()
    return team


def _out(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_list_has_a_header_and_aligned_columns_and_stats_shares_its_success_figure(
    learned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _out(capsys, "patterns", "list", "--repo", str(learned)).splitlines()
    header = lines[0]
    assert header.split()[:4] == ["id", "ver", "kind", "slot"]
    column = header.index("success")
    assert all(line[column : column + 4] == "0.50" for line in lines[1:])  # no verdicts yet: the prior
    stats = _out(capsys, "patterns", "stats", "--repo", str(learned)).splitlines()
    assert "success" in stats[0] and all("0.50 (0/0)" in line for line in stats[1:])


def test_sparse_search_scores_tell_hits_apart(learned: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = json.loads(
        _out(
            capsys,
            "patterns",
            "search",
            "with_retry emit_audit",
            "--limit",
            "8",
            "--json",
            "--repo",
            str(learned),
        )
    )
    assert payload["mode"] == "sparse"
    similarities = [hit["similarity"] for hit in payload["results"]]
    assert similarities[0] == 1.0 and len(set(similarities)) >= 3


def test_dry_run_lists_the_files_and_diff_shows_changes_before_force(
    learned: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(learned)
    args = ("generate", "node_order_effect.yaml", "--repo", str(learned), "--out", str(learned / "out"))
    dry = _out(capsys, *args, "--dry-run")
    assert "would write out/node_order_effect" in dry and "  out/node_order_effect/contract.yaml" in dry
    assert not (learned / "out").exists()
    _out(capsys, *args)
    handler = next((learned / "out" / "node_order_effect" / "handlers").glob("handler_*.py"))
    first_line = handler.read_text(encoding="utf-8").splitlines()[0]
    assert "from node_order_effect.yaml" in first_line and str(learned) not in first_line
    handler.write_text(handler.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")
    diff = _out(capsys, *args, "--dry-run", "--diff")
    assert f"--- a/node_order_effect/handlers/{handler.name}" in diff and "-# edited by hand" in diff


def test_rebuild_of_a_healthy_store_needs_yes_and_keeps_counters(
    learned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from nodeforge.config import load_settings
    from nodeforge.storage.factory import open_configured

    with open_configured(load_settings(learned), embedder=None) as store:
        chosen = store.list()[0]
        store.record_usage([chosen.id])
        store.record_outcome([chosen.id], passed=True)

    assert main(["store", "rebuild", "--repo", str(learned)]) == 2
    assert "--yes" in capsys.readouterr().err

    assert main(["store", "rebuild", "--yes", "--repo", str(learned)]) == 0
    assert "counters kept for 1" in capsys.readouterr().out
    with open_configured(load_settings(learned), embedder=None) as store:
        again = store.get(chosen.id)
    assert again is not None and (again.usage_count, again.success_count) == (1, 1)
