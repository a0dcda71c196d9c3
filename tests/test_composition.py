"""A contract needing CRUD + event publishing + retry gets one coherent node using all three."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import libcst as cst
import pytest

from nodeforge.cli.main import main
from nodeforge.config import Settings
from nodeforge.generation.compose import _guard_resolves
from nodeforge.generation.contract import parse_contract
from nodeforge.generation.generate import _base_module
from nodeforge.model import Pattern, PatternKind
from nodeforge.storage.factory import open_store
from tests.storekit import make_pattern

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "team_repo"

CONTRACT = """\
name: node_shipment_effect
node_type: EFFECT_GENERIC
description: Ships parcels.
handler_routing:
  handlers:
    - operation: create
    - operation: get
    - {operation: delete, handler: {name: HandlerShipmentCancel, module: handlers.handler_shipment_cancel}}
capabilities:
  - publish shipment events
  - {name: retry, description: store calls are retried}
"""


@pytest.fixture
def learned_repo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    repo = tmp_path / "team"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns("__pycache__", ".nodeforge"))
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    assert main(["learn", "--all", "--no-test-gate", "--no-embed", "--repo", str(repo)]) == 0
    capsys.readouterr()
    return repo


def test_crud_events_and_retry_compose_into_one_node(
    learned_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NODEFORGE_EMBEDDINGS", "0")
    contract = learned_repo / "shipment.yaml"
    contract.write_text(CONTRACT, encoding="utf-8")
    out = learned_repo / "src" / "teamapp" / "nodes"
    code = main(["generate", str(contract), "--repo", str(learned_repo), "--out", str(out), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {d["kind"] for d in report["detections"]} >= {"crud", "event_publishing", "retry"}
    assert set(report["coverage"]) >= {"event_publishing", "retry"}
    slots = {u["slot"] for u in report["used"] if u["kind"] == "operation"}
    assert slots == {"effect:create", "effect:get", "effect:delete"}

    node = out / "node_shipment_effect"
    handlers = {p.name: p.read_text() for p in (node / "handlers").glob("handler_*.py")}
    expected = {"handler_shipment_create.py", "handler_shipment_get.py", "handler_shipment_cancel.py"}
    assert set(handlers) == expected
    for text in handlers.values():
        assert "await with_retry(" in text and "emit_audit(" in text
        imports = [line for line in text.splitlines() if line.startswith(("import ", "from "))]
        assert len(imports) == len(set(imports))  # merged and deduplicated
    assert "class HandlerShipmentCancel:" in handlers["handler_shipment_cancel.py"]
    model = (node / "models" / "model_shipment_input.py").read_text()
    assert model.count("class ModelShipmentInput(") == 1  # three patterns, one model

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(node)],
        cwd=learned_repo,
        env=dict(os.environ, PYTHONPATH=str(learned_repo / "src")),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_base_module_the_base_import_comes_from_the_team_nodes(
    learned_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NODEFORGE_EMBEDDINGS", "0")
    pyproject = learned_repo / "pyproject.toml"
    lines = pyproject.read_text(encoding="utf-8").splitlines()
    pyproject.write_text(
        "\n".join(line for line in lines if not line.startswith("base_module")) + "\n", "utf-8"
    )
    contract = learned_repo / "shipment.yaml"
    contract.write_text(CONTRACT, encoding="utf-8")
    out = learned_repo / "out"
    assert main(["generate", str(contract), "--repo", str(learned_repo), "--out", str(out), "--json"]) == 0
    notes = json.loads(capsys.readouterr().out)["notes"]
    assert any("from teamapp.core.nodes, as the team's nodes import it" in note for note in notes)
    node_py = (out / "node_shipment_effect" / "node.py").read_text(encoding="utf-8")
    assert "from teamapp.core.nodes import NodeEffect" in node_py
    assert "omnibase_core" not in node_py


def test_a_learned_node_class_deriving_from_its_handler_is_not_the_base_import(repo: Path) -> None:
    # ``class NodeHandoffEffect(HandlerHandoffEffect)``: the team's node base is elsewhere.
    def base(module: str, classes: str, node: str) -> Pattern:
        code = f"from {module} import {classes}\n"
        pattern = make_pattern(
            node, code=code, slot="effect:imports:base", node=node, kind=PatternKind.IMPORTS
        )
        return replace(pattern, extra={"base_module": module, "base_class": classes})

    contract = parse_contract(CONTRACT, source=repo / "shipment.yaml")
    with open_store(repo, embedder=None) as store:
        store.upsert(
            [base("teamapp.nodes.node_handoff_effect.handlers.handler", "HandlerHandoffEffect", "a")]
        )
        assert _base_module(Settings(repo=repo), contract, store)[0] == "omnibase_core.nodes"  # the default
        store.upsert([base("teamapp.core.nodes", "NodeEffect", "b")])
        assert _base_module(Settings(repo=repo), contract, store)[0] == "teamapp.core.nodes"


def test_generated_tests_get_a_package_even_when_the_exemplar_s_had_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without tests/__init__.py, pytest imports tests/test_handler.py by its base name: a second
    # one anywhere in the repository stops the collection of both.
    monkeypatch.setenv("NODEFORGE_EMBEDDINGS", "0")
    repo = tmp_path / "team"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns("__pycache__", ".nodeforge"))
    for init in (repo / "src" / "teamapp" / "nodes").glob("*/tests/__init__.py"):
        init.unlink()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    assert main(["learn", "--all", "--no-test-gate", "--no-embed", "--repo", str(repo)]) == 0
    contract = repo / "shipment.yaml"
    contract.write_text(CONTRACT, encoding="utf-8")
    out = repo / "src" / "teamapp" / "nodes"
    capsys.readouterr()
    assert main(["generate", str(contract), "--repo", str(repo), "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["exemplar"] and "tests/__init__.py" in report["files"]
    assert (out / "node_shipment_effect" / "tests" / "__init__.py").is_file()


def test_a_learned_guard_whose_clauses_read_names_of_its_old_body_is_not_used() -> None:
    def guard(clause: str) -> cst.Try:
        statement = cst.parse_statement(f"try:\n    pass\nexcept OSError as error:\n{clause}\n")
        assert isinstance(statement, cst.Try)
        return statement

    assert _guard_resolves(
        guard("    log.warning('failed: %s', error)\n    raise"),
        ["import logging"],
        [("log", "log = logging.getLogger(__name__)")],
    )
    assert not _guard_resolves(guard("    os.unlink(tmp_path)\n    raise"), ["import os"], [])
    assert not _guard_resolves(guard("    log.warning('x')\n    raise"), [], [])  # log is never bound
