"""eval's batches: held-out nodes that mention each other are never swapped for candidates together."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping, Set
from pathlib import Path

from nodeforge.cli.evaluation.groups import independent_batches, own_files, references
from nodeforge.cli.evaluation.runner import _Context, _real_tests
from nodeforge.cli.evaluation.scores import LEARNED, CandidateEval, EvalOptions, NodeEval
from nodeforge.cli.evaluation.similarity import compare
from nodeforge.config import load_settings
from nodeforge.learning.nodes import discover
from tests.fixtures.repo_factory import build_repo


def _mixed(batches: list[list[str]], refs: Mapping[str, Set[str]]) -> list[tuple[str, str]]:
    return [(a, b) for batch in batches for a in batch for b in batch if b in refs.get(a, set())]


def test_nodes_that_keep_to_themselves_are_one_batch() -> None:
    keys = ["a", "b", "c", "d"]
    assert independent_batches(keys, {"a": {"a"}, "b": set()}) == [keys]
    assert independent_batches([], {}) == []


def test_a_star_needs_two_batches_whichever_side_names_the_other() -> None:
    # The hub names two leaves; two other leaves name the hub: the relation counts both ways.
    keys = ["hub", "l1", "l2", "l3", "l4"]
    refs = {"hub": {"l1", "l2"}, "l3": {"hub"}, "l4": {"hub"}}
    batches = independent_batches(keys, refs)
    assert batches == [["hub"], ["l1", "l2", "l3", "l4"]]
    assert _mixed(batches, refs) == []


def test_a_chain_needs_two_batches_and_every_key_is_placed_once() -> None:
    keys = [f"n{i}" for i in range(9)]
    refs = {keys[i]: {keys[i + 1]} for i in range(len(keys) - 1)}
    batches = independent_batches(keys, refs)
    assert len(batches) == 2
    assert sorted(k for batch in batches for k in batch) == sorted(keys)
    backwards = {b: {a} for a, bs in refs.items() for b in bs}
    assert _mixed(batches, refs) == [] and _mixed(batches, backwards) == []


def test_a_triangle_and_references_outside_the_held_out_set() -> None:
    keys = ["x", "y", "z", "w"]
    refs = {"x": {"y", "not-held"}, "y": {"z"}, "z": {"x"}, "w": {"elsewhere"}}
    batches = independent_batches(keys, refs)
    assert len(batches) == 3 and _mixed(batches, refs) == []
    assert ["w"] not in batches  # w mentions no held-out node: it joins an existing batch


def _node(root: Path, name: str, handler: str) -> Path:
    folder = root / "src" / "shop" / "nodes" / name
    (folder / "handlers").mkdir(parents=True)
    (folder / "__init__.py").write_text("", encoding="utf-8")
    (folder / "handlers" / "handler_main.py").write_text(handler, encoding="utf-8")
    return folder


def test_references_read_dotted_paths_in_node_files_and_real_tests(tmp_path: Path) -> None:
    ledger = _node(tmp_path, "node_ledger", "from shop.nodes.node_audit.models import AuditRow\n")
    audit = _node(tmp_path, "node_audit", "VALUE = 1\n")
    # A real test outside the node folder reaching into another node's package.
    outside = tmp_path / "tests" / "nodes" / "node_audit" / "test_audit.py"
    outside.parent.mkdir(parents=True)
    outside.write_text("import node_catalog.handlers\nfrom shop.nodes.node_audit import handlers\n", "utf-8")
    catalog = _node(tmp_path, "node_catalog", "# node_ledger is only a word here, not a dotted path\n")
    # A longer name that merely starts with another node's name is not a mention of it.
    archive = _node(tmp_path, "node_ledger_archive", "from shop.nodes.node_ledger_archive import x\n")
    folders = {"ledger": ledger, "audit": audit, "catalog": catalog, "archive": archive}
    files = {key: own_files(folder, [outside] if key == "audit" else []) for key, folder in folders.items()}
    refs = references(files, {key: folder.name for key, folder in folders.items()})
    assert refs == {"ledger": {"audit"}, "audit": {"catalog"}, "catalog": set(), "archive": set()}
    batches = independent_batches(list(folders), refs)
    assert len(batches) == 2 and _mixed(batches, refs) == []


def test_a_node_that_imports_another_held_out_node_meets_its_real_code(tmp_path: Path) -> None:
    # Two real nodes; the first one's handler imports a support module of the second. The second's
    # candidate lacks that module: checked together, the first would fail to import for it.
    scratch = tmp_path / "repo"
    user, other = build_repo(scratch, 2, seed=5)
    other_package = other.replace("/", ".").removeprefix("src.")
    (scratch / other / "rates.py").write_text("RATE = 3\n", encoding="utf-8")
    handler = next((scratch / user / "handlers").glob("handler_*.py"))
    handler.write_text(
        f"{handler.read_text('utf-8')}\nfrom {other_package}.rates import RATE  # noqa\n", "utf-8"
    )
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"]):
        subprocess.run(command, cwd=scratch, check=True)
    commit = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "nodes"]
    subprocess.run(commit, cwd=scratch, check=True)

    settings = load_settings(scratch)
    held = sorted(discover(scratch, [scratch / p for p in settings.node_paths]), key=lambda n: n.key)
    assert [n.key for n in held] == sorted([user, other])
    work = tmp_path / "work"
    context = _Context(scratch, work, settings, EvalOptions(timeout=120), sys.executable, None, print)
    context.real_tests = _real_tests(scratch, settings, held)
    context.references = references(
        {n.key: own_files(n.root, context.real_tests[n.key]) for n in held},
        {n.key: n.root.name for n in held},
    )
    results = {}
    for node in held:
        real, candidate = work / "real" / node.key, work / LEARNED / node.key
        shutil.copytree(node.root, real)
        shutil.copytree(node.root, candidate)
        results[node.key] = NodeEval(node.key, 0, node.node_type.value)
        results[node.key].learned = CandidateEval(compare(candidate, real))
        context.candidates[(LEARNED, node.key)] = candidate
    (work / LEARNED / other / "rates.py").unlink()

    context.checks(LEARNED, held, results)
    assert context.references == {user: {other}, other: set()}
    checks = results[user].learned.checks
    assert checks is not None and checks.imports, checks
    assert checks.real_total > 0 and checks.real_passed == checks.real_total, checks
    assert {label for label in context.batches if "(batch 2/2)" in label} == {
        "learned generated tests (batch 2/2)",
        "learned real tests (batch 2/2)",
    }
    assert (
        subprocess.run(
            ["git", "status", "--porcelain"], cwd=scratch, capture_output=True, text=True, check=True
        ).stdout
        == ""
    )
