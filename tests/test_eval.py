"""``nodeforge eval`` on a team repository of our own: 4 nodes, 2 folds, real git and real subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nodeforge.cli.evaluation.names import undefined_names_checker
from nodeforge.cli.main import main
from tests.fixtures.repo_factory import build_repo

REFUSED = "src/teamapp/nodes/node_review_effect"
CONFTEST_NODE = "src/teamapp/nodes/node_tenant_effect"
METRICS = {
    "contract accepted",
    "imports",
    "imports and own tests pass",
    "real tests all pass (of nodes passing them)",
    "real tests passed, fraction",
    "handler AST overlap",
    "handler identifier Jaccard",
    "node.py AST overlap",
    "node.py identifier Jaccard",
    "layout F1",
    "top-5 retrieved of the right node type",
    "has an undefined name (ruff F821)",
    "every declared handler generated",
}


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("team")
    keys = build_repo(root, 4, seed=3)
    assert len(keys) == 4
    # One contract the team wrote wrong: eval scores its node as nothing generated, never skips it.
    contract = root / REFUSED / "contract.yaml"
    text = contract.read_text(encoding="utf-8")
    contract.write_text(text.replace("node_type: EFFECT_GENERIC", "node_type: BOGUS_KIND"), "utf-8")
    # A node whose tests' conftest needs a support module no candidate has: pytest stops before
    # reporting anything, for every node in the same run, unless eval isolates the culprit.
    tenant = root / CONFTEST_NODE
    (tenant / "tenant_support.py").write_text("SEED = {'id': 't-1'}\n", encoding="utf-8")
    (tenant / "tests" / "conftest.py").write_text(
        "from teamapp.nodes.node_tenant_effect.tenant_support import SEED\n", encoding="utf-8"
    )
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "nodes"],
    ):
        subprocess.run(command, cwd=root, check=True)
    return root


@pytest.fixture(scope="module")
def evaluated(team: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NODEFORGE_EMBEDDINGS", "0")
        patch.setenv("HOME", str(home))
        out = subprocess.run(
            [sys.executable, "-m", "nodeforge.cli.main", "eval", "--repo", str(team), "--folds", "2",
             "--python", sys.executable, "--json"],
            capture_output=True, text=True, check=False, cwd=team,
        )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data: dict[str, object] = json.loads(out.stdout)
    return data


def test_eval_scores_every_node_of_every_fold(evaluated: dict[str, object]) -> None:
    report = evaluated["report"]
    assert isinstance(report, dict)
    nodes = report["nodes"]
    assert [n["fold"] for n in nodes].count(0) == 2 and [n["fold"] for n in nodes].count(1) == 2
    assert evaluated["errors"] == 0
    for node in nodes:
        assert node["contract_accepted"] is (node["key"] != REFUSED)
        assert node["reference_total"] > 0 and node["reference_passed"] == node["reference_total"]
        assert node["learned"]["checks"] is not None
        assert 0.0 <= node["learned"]["similarity"]["layout_f1"] <= 1.0
    refused = next(n for n in nodes if n["key"] == REFUSED)
    assert "node_type" in refused["detail"] and refused["learned"]["checks"]["imports"] is False
    assert refused["learned"]["similarity"]["layout_f1"] == 0.0
    assert all(n["retrieval_total"] > 0 for n in nodes if n["key"] != REFUSED)
    # The learned candidate is generated as a user gets it in a git repository: self-verified.
    for node in nodes:
        said = node["learned"]["verification"]
        assert (said.startswith("verify (") and "imports" in said) if node["key"] != REFUSED else said == ""


def test_a_conftest_that_stops_pytest_costs_only_its_own_node(evaluated: dict[str, object]) -> None:
    report = evaluated["report"]
    assert isinstance(report, dict)
    assert "1 node(s) stopped pytest" in report["batches"]["learned real tests"]
    for node in report["nodes"]:
        checks = node["learned"]["checks"]
        if node["key"] == CONFTEST_NODE:
            assert checks["real_total"] == 0 and "tenant_support" in checks["detail"]
        elif node["key"] != REFUSED:
            assert checks["imports"] and checks["real_total"] > 0


def test_the_copy_nearest_node_baseline_is_computed_on_the_same_folds(evaluated: dict[str, object]) -> None:
    report = evaluated["report"]
    assert isinstance(report, dict)
    for node in report["nodes"]:
        fold_mates = {n["key"] for n in report["nodes"] if n["fold"] == node["fold"]}
        assert node["baseline_source"] and node["baseline_source"] not in fold_mates
        checks = node["baseline"]["checks"]
        # The factory's nodes share one idiom: the renamed copy of a node of the same type imports.
        assert checks["imports"] is True
        assert node["baseline"]["similarity"]["layout_f1"] > 0


def test_the_summary_has_every_metric_side_by_side(evaluated: dict[str, object]) -> None:
    summary = evaluated["summary"]
    assert isinstance(summary, dict)
    assert set(summary) == METRICS
    assert summary["contract accepted"]["means"]["learned"] == 0.75
    assert summary["imports"]["counts"]["learned"] == 4  # the refused contract counts, as a failure
    assert summary["imports"]["means"]["learned"] <= 0.75
    for metric in ("imports", "handler AST overlap", "layout F1"):
        means = summary[metric]["means"]
        assert means["learned"] is not None and means["baseline"] is not None
    assert summary["layout F1"]["means"]["template"] is not None
    assert summary["imports"]["means"]["baseline"] == 1.0
    # ruff (the dev extra, as in CI) counts undefined names; a renamed copy of a working node has none.
    # Without ruff (a test-only install) the figure is absent, never a made-up zero.
    expected = 0.0 if undefined_names_checker() else None
    assert summary["has an undefined name (ruff F821)"]["means"]["baseline"] == expected


def test_the_table_names_the_columns_and_the_learning_mode(
    team: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NODEFORGE_EMBEDDINGS", "0")
    code = main(["eval", "--repo", str(team), "--folds", "2", "--python", sys.executable, "--no-template"])
    text = capsys.readouterr().out
    assert code == 0
    assert "copy nearest node" in text and "layout F1" in text and "--no-test-gate" in text
    assert "errors: 0" in text and f"contract refused: {REFUSED}" in text
    assert not (team / ".nodeforge").exists()  # the user's repository is never written to


def test_eval_refuses_fewer_nodes_than_folds(team: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--repo", str(team), "--folds", "9", "--python", sys.executable]) == 2
    assert "more nodes than folds" in capsys.readouterr().err
