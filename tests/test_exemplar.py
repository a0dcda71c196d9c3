"""Generation from the nearest whole-node exemplar, on a team repository with a container convention."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nodeforge.cli.main import main
from nodeforge.generation.exemplar import Need, meaning, operation_words
from nodeforge.generation.fanout import HandlerRef
from nodeforge.learning.extract.exemplar import exemplar_files
from nodeforge.learning.extract.miner import mine_node
from nodeforge.learning.nodes import discover
from nodeforge.model import PatternKind
from tests.fixtures.di_repo import node_files, write_di_repo

JOURNAL = """\
name: node_journal_effect
node_type: EFFECT_GENERIC
description: Records journal entries, fetches them and purges old ones.
input_model:
  name: ModelJournalRequest
  module: teamapp.nodes.node_journal_effect.models.model_journal
output_model:
  name: ModelJournalResult
  module: teamapp.nodes.node_journal_effect.models.model_journal
handler_routing:
  routing_strategy: operation_match
  handlers:
    - operation: record
    - operation: fetch
    - operation: purge
io_operations:
  - {operation: record, io_type: write}
  - {operation: fetch, io_type: read}
  - {operation: purge, io_type: delete}
dependencies:
  - name: store
    type: service
"""

SHARED = """\
name: node_receipt_effect
node_type: EFFECT_GENERIC
description: Records receipts and fetches them by key.
input_model:
  name: ModelSharedRequest
  module: teamkit.models.model_shared
output_model:
  name: ModelSharedResult
  module: teamkit.models.model_shared
handler_routing:
  routing_strategy: operation_match
  handlers:
    - operation: record
    - operation: fetch
io_operations:
  - {operation: record, io_type: write}
  - {operation: fetch, io_type: read}
"""


@pytest.fixture
def di_repo(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NODEFORGE_EMBEDDINGS", "0")
    repo = tmp_path / "team"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    write_di_repo(repo)
    assert main(["learn", "--all", "--no-test-gate", "--no-embed", "--repo", str(repo)]) == 0
    capsys.readouterr()
    return repo


def _generate(repo: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, object], Path]:
    contract = repo / "new_contract.yaml"
    contract.write_text(text, encoding="utf-8")
    out = repo / "src" / "teamapp" / "nodes"
    assert main(["generate", str(contract), "--repo", str(repo), "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    return report, Path(str(report["node_dir"]))


def _run_tests(repo: Path, node: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(node)],
        cwd=repo,
        env=dict(os.environ, PYTHONPATH=str(repo / "src")),
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_contract_close_to_a_node_is_built_in_its_structure_and_conventions(
    di_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report, node = _generate(di_repo, JOURNAL, capsys)
    assert str(report["exemplar"]).startswith("node_ledger_effect")
    assert report["unresolved"] == []
    files = {p.relative_to(node).as_posix() for p in node.rglob("*.py")}
    assert {"registry/registry_journal.py", "support.py", "models/model_journal.py", "node.py"} <= files
    assert "from .registry.registry_journal import build_handlers" in (node / "node.py").read_text()
    registry = (node / "registry" / "registry_journal.py").read_text()
    for op in ("record", "fetch", "purge"):
        assert f'"{op}": HandlerJournal{op.capitalize()}(container)' in registry
        handler = (node / "handlers" / f"handler_journal_{op}.py").read_text()
        assert "def __init__(self, container: Container) -> None:" in handler
        assert "async def execute(self, envelope: Envelope) -> ModelJournalResult:" in handler
        assert "ledger" not in handler and "archive" not in handler
    metadata = (node / "metadata.yaml").read_text()  # the exemplar's data files come along, renamed
    assert metadata == "name: node_journal_effect\nentry_point: teamapp.nodes.node_journal_effect\n"
    model = (node / "models" / "model_journal.py").read_text()
    assert "class ModelJournalRequest(" in model and "class ModelJournalResult(" in model
    result = _run_tests(di_repo, node)
    # The exemplar's three tests, and the contract's wiring: three handlers, two models.
    assert result.returncode == 0 and "8 passed" in result.stdout, result.stdout + result.stderr


def test_a_handler_is_chosen_by_meaning_from_another_node(
    di_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report, node = _generate(di_repo, JOURNAL, capsys)
    sources = report["handler_sources"]
    assert isinstance(sources, dict)
    assert "node_archive_effect" in sources["purge"]
    assert "node_ledger_effect" in sources["record"]
    purge = (node / "handlers" / "handler_journal_purge.py").read_text()
    assert "removed = self._store.pop(journal_key(request.key), None) is not None" in purge
    used = {u["kind"] for u in report["used"]}  # type: ignore[index]
    assert "exemplar" in used
    generated = json.loads((di_repo / ".nodeforge" / "generated.json").read_text())
    [record] = generated.values()
    recorded = {pid for pid, _ in record["patterns"]}
    assert {u["id"] for u in report["used"]} == recorded  # type: ignore[index]


def test_shared_models_are_imported_from_their_module_not_recreated(
    di_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report, node = _generate(di_repo, SHARED, capsys)
    assert report["unresolved"] == []
    assert not (node / "models" / "model_shared.py").exists()
    handler = (node / "handlers" / "handler_receipt_record.py").read_text()
    assert "from teamkit.models.model_shared import ModelSharedRequest, ModelSharedResult" in handler
    result = _run_tests(di_repo, node)
    assert result.returncode == 0, result.stdout + result.stderr


def _purge_needs_retention(repo: Path, *, defined: bool) -> None:
    """The archive's purge handler imports ``retention_days`` from its support module (defined or not)."""
    archive = repo / "src" / "teamapp" / "nodes" / "node_archive_effect"
    handler = archive / "handlers" / "handler_archive_purge.py"
    text = handler.read_text().replace("import archive_key", "import archive_key, retention_days")
    handler.write_text(text.replace("removed =", "assert retention_days() > 0\n        removed ="))
    if defined:
        support = archive / "support.py"
        support.write_text(support.read_text() + "\n\ndef retention_days() -> int:\n    return 30\n")
    assert main(["learn", "--all", "--no-test-gate", "--no-embed", "--repo", str(repo)]) == 0


def test_a_fragment_whose_names_do_not_resolve_gives_way(
    di_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _purge_needs_retention(di_repo, defined=False)
    capsys.readouterr()
    report, node = _generate(di_repo, JOURNAL, capsys)
    assert report["unresolved"] == []
    assert any("retention_days" in note for note in report["notes"])  # type: ignore[union-attr]
    assert "node_archive_effect" not in report["handler_sources"]["purge"]  # type: ignore[index]
    assert "retention_days" not in (node / "handlers" / "handler_journal_purge.py").read_text()


def test_the_support_a_borrowed_handler_imports_comes_along(
    di_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _purge_needs_retention(di_repo, defined=True)
    capsys.readouterr()
    report, node = _generate(di_repo, JOURNAL, capsys)
    assert report["unresolved"] == []
    assert "node_archive_effect" in report["handler_sources"]["purge"]  # type: ignore[index]
    support = (node / "support.py").read_text()
    assert "def journal_key(" in support and "def retention_days(" in support
    result = _run_tests(di_repo, node)
    # The exemplar's three tests, and the contract's wiring: three handlers, two models.
    assert result.returncode == 0 and "8 passed" in result.stdout, result.stdout + result.stderr


def test_no_learning_keeps_the_template_path(di_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    contract = di_repo / "new_contract.yaml"
    contract.write_text(JOURNAL, encoding="utf-8")
    out = di_repo / "out"
    args = ["generate", str(contract), "--repo", str(di_repo), "--out", str(out), "--json", "--no-learning"]
    # --no-verify: this is about the template path; the template node's own import failure (input and
    # output models in one module) is what self-verification reports, exit 1, when it runs.
    assert main([*args, "--no-verify"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["exemplar"] == "" and report["used"] == []
    assert not (out / "node_journal_effect" / "registry").exists()


def test_the_same_node_under_another_name_is_the_same_exemplar(tmp_path: Path) -> None:
    for entity in ("ledger", "journal"):
        for rel, text in node_files("ledger").items():
            path = tmp_path / f"node_{entity}_effect" / rel.replace("ledger", entity)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.replace("ledger", entity).replace("Ledger", entity.capitalize()))
    exemplars = [
        [p for p in mine_node(node).patterns if p.kind is PatternKind.EXEMPLAR] for node in discover(tmp_path)
    ]
    assert [len(found) for found in exemplars] == [1, 1]
    first, second = exemplars[0][0], exemplars[1][0]
    assert first.id == second.id
    files = exemplar_files(first)
    assert "handlers/handler___entity___record.py" in files
    assert "class Handler__Entity__Record:" in files["handlers/handler___entity___record.py"]


def test_a_node_type_word_in_an_operation_name_means_nothing() -> None:
    # `handoff_effect` shares only `effect` with a candidate's `effect`: no likeness in meaning,
    # while `publish_handoff` shares what it does.
    need = Need(
        HandlerRef("handoff_effect", "HandlerHandoff", "handler_handoff"),
        operation_words("handoff_effect"),
        "",
        frozenset(),
    )
    assert operation_words("handler_reduce_effect") == {"reduce"}
    assert meaning(need, "effect", "", ()) == meaning(need, "compute_totals", "", ())
    assert meaning(need, "publish_handoff", "", ()) > meaning(need, "effect", "", ())
