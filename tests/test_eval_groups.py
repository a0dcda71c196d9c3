"""eval's batches: held-out nodes that mention each other are never swapped for candidates together."""

from __future__ import annotations

from collections.abc import Mapping, Set
from pathlib import Path

from nodeforge.cli.evaluation.groups import independent_batches, own_files, references


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
