"""The fixture factory writes realistic team repositories whose nodes share the example's idioms."""

from __future__ import annotations

import ast
import collections
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nodeforge.learning.nodes import discover
from nodeforge.model import NodeType
from nodeforge.naming import generalize_text
from tests.fixtures.repo_factory import (
    EFFECT_OPERATIONS,
    EXAMPLE_OF_TYPE,
    EXAMPLE_REPO,
    MAX_ENTITY_LENGTH,
    NODES_DIR,
    SINGLE_OPERATION,
    NodeSpec,
    build_repo,
    entity_names,
    example_files,
    node_files,
    plan_nodes,
    write_big_node,
)

PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def _run_tests(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(PYTEST, cwd=root, capture_output=True, text=True, timeout=120, check=False)


def _summary(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    """``{"passed": n, "failed": m}`` from pytest's last line."""
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|error)", result.stdout)}


def _full(entity: str, node_type: str) -> NodeSpec:
    operations = EFFECT_OPERATIONS if node_type == "effect" else (SINGLE_OPERATION[node_type],)
    return NodeSpec(entity, node_type, operations)


def _example_vocabulary() -> str:
    """Every example node's text with its own names generalized: the words no entity may collide with."""
    texts = []
    for node_type, entity in EXAMPLE_OF_TYPE.items():
        spec = _full(entity, node_type)
        texts += [generalize_text(text, spec.names) for text in example_files(spec.dir_name).values()]
    return "\n".join(texts)


def test_a_node_built_under_the_examples_own_name_is_the_example() -> None:
    for node_type, entity in EXAMPLE_OF_TYPE.items():
        spec = _full(entity, node_type)
        assert node_files(spec) == example_files(spec.dir_name), spec.dir_name


def test_a_built_node_is_the_example_renamed_without_the_operations_it_lacks() -> None:
    files = node_files(NodeSpec("line_item", "effect", ("create", "get")))
    example = example_files("node_user_effect")
    assert set(files) == {path.replace("user", "line_item") for path in example if "delete" not in path}
    text = "\n".join(files.values())
    assert "Delete" not in text and "delete" not in text.replace("deleted", "")
    assert "HandlerLineItemCreate" in files["node.py"] and "user" not in text.lower()
    contract = yaml.safe_load(files["contract.yaml"])
    assert [h["operation"] for h in contract["handler_routing"]["handlers"]] == ["create", "get"]
    assert [io["target"] for io in contract["io_operations"]] == ["line_item_store"] * 2
    with pytest.raises(ValueError, match="not operations of node_user_effect"):
        node_files(NodeSpec("line_item", "effect", ("update",)))


def test_example_contracts_describe_new_nodes_of_every_type() -> None:
    contracts = sorted((EXAMPLE_REPO.parent / "contracts").glob("*.yaml"))
    types = {}
    for path in contracts:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["name"] == path.stem
        assert not (EXAMPLE_REPO / NODES_DIR / path.stem).exists()
        types[NodeType.parse(data["node_type"])] = data
    assert set(types) == set(NodeType)
    order = types[NodeType.EFFECT]
    assert order["name"] == "node_order_effect"
    routes = {h["operation"]: h["handler"]["name"] for h in order["handler_routing"]["handlers"]}
    assert routes == {"create": "HandlerOrderCreate", "get": "HandlerOrderGet"}
    assert "persistence" in order["capabilities"]
    assert {"retry"} <= {c["name"] for c in order["capabilities"] if isinstance(c, dict)}


def test_plans_are_deterministic_varied_and_mostly_effects() -> None:
    plan = plan_nodes(40, seed=0)
    assert plan == plan_nodes(40, seed=0)
    assert plan != plan_nodes(40, seed=1)
    assert len({spec.dir_name for spec in plan}) == 40
    types = collections.Counter(spec.node_type for spec in plan)
    assert set(types) == {"effect", "compute", "reducer", "orchestrator"}
    assert types["effect"] > len(plan) / 2
    assert len({spec.operations for spec in plan if spec.node_type == "effect"}) >= 4
    assert any("_" in spec.entity for spec in plan)


def test_entity_names_never_collide_with_the_examples_words_and_stay_short() -> None:
    vocabulary = _example_vocabulary().lower()
    names = entity_names()
    assert len(names) == len(set(names)) >= 40
    for entity in names:
        assert len(entity) <= MAX_ENTITY_LENGTH, entity
        for form in (entity, entity.replace("_", " "), entity.replace("_", "")):
            assert not re.search(rf"(?<![a-z0-9]){re.escape(form)}(?![a-z0-9])", vocabulary), form


def test_generated_code_fits_in_110_columns_for_the_longest_entities() -> None:
    longest = sorted(entity_names(), key=len)[-3:]
    for entity in longest:
        for node_type in EXAMPLE_OF_TYPE:
            for path, text in node_files(_full(entity, node_type)).items():
                if not path.endswith(".py"):
                    continue
                too_long = [line for line in text.splitlines() if len(line) > 110]
                assert not too_long, (path, too_long)
                ast.parse(text)


def test_built_nodes_are_discovered_and_share_the_idiom_modulo_names(tmp_path: Path) -> None:
    keys = build_repo(tmp_path, 24, seed=5, with_tests=False)
    nodes = discover(tmp_path, [tmp_path / NODES_DIR]) + discover(EXAMPLE_REPO, [EXAMPLE_REPO / NODES_DIR])
    assert sorted(keys) == sorted(n.key for n in nodes if n.root.is_relative_to(tmp_path))
    variants: dict[tuple[str, str], set[str]] = collections.defaultdict(set)
    for node in nodes:
        contract = yaml.safe_load((node.root / "contract.yaml").read_text(encoding="utf-8"))
        assert NodeType.parse(contract["node_type"]) is node.node_type
        assert not (node.root / "tests").exists() or node.root.is_relative_to(EXAMPLE_REPO)
        for handler in (node.root / "handlers").glob("handler_*.py"):
            kind = handler.name.replace(node.names.snake, "ENTITY")
            variants[(node.node_type.value, kind)].add(generalize_text(handler.read_text(), node.names))
    assert ("effect", "handler_ENTITY_create.py") in variants
    assert {key: len(texts) for key, texts in variants.items()} == dict.fromkeys(variants, 1)


def test_built_repo_tests_pass_including_the_big_node(tmp_path: Path) -> None:
    keys = build_repo(tmp_path, 20, big=True)
    assert len(keys) == 21
    big_module = tmp_path / keys[-1] / "handlers" / "handler_journal_operations.py"
    lines = big_module.read_text(encoding="utf-8").count("\n")
    assert 480 <= lines <= 560
    assert big_module.read_text(encoding="utf-8").count("\nclass Handler") >= 11
    result = _run_tests(tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]
    assert _summary(result)["passed"] >= 60


def test_failing_nodes_fail_their_first_test(tmp_path: Path) -> None:
    plan = plan_nodes(5)
    failing = {plan[0].dir_name, f"{NODES_DIR}/{plan[3].dir_name}"}
    build_repo(tmp_path, 5, failing=failing)
    result = _run_tests(tmp_path)
    assert result.returncode == 1
    assert _summary(result)["failed"] == 2
    failed_nodes = set(re.findall(r"^FAILED src/teamapp/nodes/(node_\w+)/", result.stdout, re.MULTILINE))
    assert failed_nodes == {plan[0].dir_name, plan[3].dir_name}


def test_failing_must_name_planned_nodes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="node_nothing_effect"):
        build_repo(tmp_path, 3, failing={"node_nothing_effect"})


def test_big_node_size_follows_the_requested_lines(tmp_path: Path) -> None:
    small = write_big_node(tmp_path, lines=200, entity="journal", with_tests=False)
    large = write_big_node(tmp_path, lines=650, entity="ledger", with_tests=False)
    small_lines = (tmp_path / small / "handlers" / "handler_journal_operations.py").read_text().count("\n")
    large_lines = (tmp_path / large / "handlers" / "handler_ledger_operations.py").read_text().count("\n")
    assert 200 <= small_lines < 260
    assert large_lines >= 650
    contract = yaml.safe_load((tmp_path / large / "contract.yaml").read_text(encoding="utf-8"))
    assert len(contract["handler_routing"]["handlers"]) >= 16
