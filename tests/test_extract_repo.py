"""Mining a repository of 24 varied nodes: the team's idiom is one pattern per slot, with support."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import libcst as cst
import pytest

from nodeforge.learning.extract.miner import mine_node
from nodeforge.learning.nodes import discover
from nodeforge.model import Pattern, PatternKind
from tests.fixtures.repo_factory import build_repo, plan_nodes

COUNT = 24
SEED = 3


@pytest.fixture(scope="module")
def mined(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Pattern], dict[str, set[str]]]:
    root = tmp_path_factory.mktemp("repo")
    build_repo(root, COUNT, seed=SEED)
    patterns: list[Pattern] = []
    for node in discover(root):
        result = mine_node(node)
        assert not [o for o in result.outcomes if o.status == "failed"]
        patterns.extend(result.patterns)
    support: dict[str, set[str]] = defaultdict(set)
    for pattern in patterns:
        support[pattern.id].update(pattern.source_nodes)  # as the store unites source_nodes
    return patterns, support


def _nodes_with(operation: str, node_type: str) -> int:
    return sum(1 for s in plan_nodes(COUNT, SEED) if s.node_type == node_type and operation in s.operations)


def test_each_operation_slot_is_one_pattern_with_support_of_every_node_showing_it(
    mined: tuple[list[Pattern], dict[str, set[str]]],
) -> None:
    patterns, support = mined
    by_slot: dict[str, set[str]] = defaultdict(set)
    for pattern in patterns:
        by_slot[pattern.slot].add(pattern.id)
    operations = {p.slot: p for p in patterns if p.kind is PatternKind.OPERATION}
    assert "effect:create" in operations and "reducer:aggregate" in operations
    for slot, pattern in operations.items():
        node_type, operation = slot.split(":")
        assert by_slot[slot] == {pattern.id}, slot
        assert len(support[pattern.id]) == _nodes_with(operation, node_type), slot
    for slot, ids in by_slot.items():
        # A registry lists the node's own handlers, an exemplar is a whole node: both vary with the node.
        if not slot.endswith((":error_handling", ":registry", ":exemplar")):
            assert len(ids) == 1, slot  # validation, tests, skeletons, imports, naming, workflow too
    effects = sum(1 for s in plan_nodes(COUNT, SEED) if s.node_type == "effect")
    for slot in ("effect:error_handling", "effect:skeleton:handler", "effect:imports:base", "effect:naming"):
        [only] = by_slot[slot]
        assert len(support[only]) == effects, slot


def _is_boilerplate(code: str) -> bool:
    module = cst.parse_module(code)
    body = module.body
    if all(
        isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], cst.Import | cst.ImportFrom)
        for s in body
    ):
        return True
    no_op = (cst.Pass, cst.Expr)
    if all(
        isinstance(s, cst.SimpleStatementLine)
        and all(
            isinstance(x, no_op)
            and (isinstance(x, cst.Pass) or isinstance(x.value, cst.Ellipsis | cst.SimpleString))
            for x in s.body
        )
        for s in body
    ):
        return True
    if len(body) == 1 and isinstance(body[0], cst.FunctionDef) and body[0].name.value == "__init__":
        return True
    return len(body) == 1 and isinstance(body[0], cst.Try) and "ImportError" in code


def test_no_generic_boilerplate_is_stored(mined: tuple[list[Pattern], dict[str, set[str]]]) -> None:
    patterns, _ = mined
    kinds = {p.kind for p in patterns}
    # The example's nodes (copied by the factory) have no helper modules and no registry; both are
    # mined in test_discovery.
    assert kinds == set(PatternKind) - {PatternKind.SUPPORT, PatternKind.REGISTRY}
    for pattern in patterns:
        if pattern.kind is PatternKind.IMPORTS:
            # Import patterns are the team's own modules only: never the standard library alone.
            assert "teamapp." in pattern.code and "__future__" not in pattern.code
            continue
        if pattern.kind is PatternKind.EXEMPLAR:
            # A whole node: its code is a manifest (comments), its files are what it carries.
            assert pattern.code.startswith("# exemplar ") and pattern.dependencies
            continue
        assert not _is_boilerplate(pattern.code), (pattern.slot, pattern.code)
        assert pattern.code.strip() not in {"pass", "..."}


def test_confidence_and_quality_are_evidence_not_constants(
    mined: tuple[list[Pattern], dict[str, set[str]]],
) -> None:
    patterns, _ = mined
    assert len({p.confidence for p in patterns}) > 2
    assert all(0.0 < p.confidence <= 1.0 and 0.8 <= p.quality <= 1.0 for p in patterns)


def test_identical_idioms_are_entity_independent(tmp_path: Path) -> None:
    build_repo(tmp_path, 12, seed=5)
    """Same idiom, same code and id, whatever the entity (one-word or multi-word).

    Error handling and skeletons are identified by their structure (messages, docstrings and the
    class's own name are instance detail), so there the ids agree while the stored representative
    may come from another operation.
    """
    by_slot: dict[tuple[str, str], set[str]] = defaultdict(set)
    for node in discover(tmp_path):
        for pattern in mine_node(node).patterns:
            if pattern.kind is PatternKind.EXEMPLAR:
                continue  # a whole node, its operations included (tests/test_exemplar.py covers its ids)
            structural = pattern.kind in (PatternKind.ERROR_HANDLING, PatternKind.SKELETON)
            by_slot[(pattern.kind.value, pattern.slot)].add(pattern.id if structural else pattern.code)
    varied = {key: codes for key, codes in by_slot.items() if len(codes) > 1 and key[0] != "error_handling"}
    assert varied == {}
    assert any("_" in s.entity for s in plan_nodes(12, 5))  # multi-word entities are in the mix
