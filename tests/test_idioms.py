"""One idiom in four nodes is one pattern with typed holes; a new node gets only its own names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nodeforge.config import Settings
from nodeforge.generation.contract import parse_contract
from nodeforge.generation.generate import GenerateOptions, generate
from nodeforge.generation.holefill import FILL_COMMENT, fill_holes
from nodeforge.learning.antiunify import HOLES_KEY, HoleKind, holes_from_json
from nodeforge.learning.idioms import merge_idioms
from nodeforge.learning.learn import LearnOptions, learn
from nodeforge.learning.nodes import NodeSource, discover
from nodeforge.model import NodeType, Pattern, PatternKind, PatternStatus
from nodeforge.naming import NodeNames
from nodeforge.storage.edge import open_embedded
from nodeforge.storage.spool import SpoolingStore, spool_dir
from tests.fixtures.repo_factory import NODES_DIR
from tests.fixtures.store_effect_repo import STORE_NODES, build_store_effect_repo, store_contract

OPTIONS = LearnOptions(test_gate=False, embed=False)
OTHER_ENTITIES = ("invoice", "customer", "payment", "vendor")


def _nodes(repo: Path) -> list[NodeSource]:
    return discover(repo, [repo / NODES_DIR])


def _creates(repo: Path, statuses: tuple[PatternStatus, ...] = (PatternStatus.UNVERIFIED,)) -> list[Pattern]:
    with open_embedded(repo / ".nodeforge", embedder=None) as store:
        return store.list(kind=PatternKind.OPERATION, slot="effect:create", statuses=statuses)


@pytest.fixture
def team(tmp_path: Path) -> Path:
    build_store_effect_repo(tmp_path)
    return tmp_path


def _learn(repo: Path, nodes: list[NodeSource], *, force: bool = False) -> None:
    options = LearnOptions(test_gate=False, embed=False, force=force)
    with open_embedded(repo / ".nodeforge", embedder=None) as store:
        learn(repo, nodes, store, options)


def test_the_shared_create_handler_is_one_pattern_with_support_four_and_typed_holes(team: Path) -> None:
    _learn(team, _nodes(team))
    [create] = _creates(team)
    assert create.support == 4
    assert len(create.source_nodes) == 4
    holes = {hole.kind: hole for hole in holes_from_json(create.extra[HOLES_KEY])}
    assert set(holes) == {HoleKind.CONSTANT, HoleKind.STRING, HoleKind.TYPE}
    attempts = {node.rsplit("/", 1)[-1]: code for node, code in holes[HoleKind.CONSTANT].values}
    assert attempts == {spec.dir_name: str(spec.attempts) for spec in STORE_NODES}
    assert '"procurement.__entity__.created"' in {code for _, code in holes[HoleKind.STRING].values}
    assert "__Entity__Error" in create.code and "Invoice" not in create.code
    assert "__entity__.create.failed" in create.code


def test_learning_again_keeps_one_pattern_and_its_id(team: Path) -> None:
    _learn(team, _nodes(team))
    [before] = _creates(team)
    _learn(team, _nodes(team), force=True)
    [after] = _creates(team)
    assert after.id == before.id
    assert after.support == 4


def test_nodes_learned_in_two_runs_join_the_stored_idiom(team: Path) -> None:
    nodes = _nodes(team)
    _learn(team, nodes[:2])
    [first] = _creates(team)
    assert first.support == 2
    _learn(team, nodes[2:])
    [live] = _creates(team)
    assert live.support == 4
    assert len(holes_from_json(live.extra[HOLES_KEY])[0].values) == 4
    superseded = _creates(team, (PatternStatus.SUPERSEDED,))
    # Two more nodes differ in more places, so the joined idiom has more holes: new code, a new id,
    # and the two-node idiom it absorbed is kept only as superseded.
    assert live.id != first.id
    assert first.id in {p.id for p in superseded}


def test_learning_while_the_store_stays_locked_spools_the_idiom_and_the_next_opener_stores_it(
    team: Path,
) -> None:
    # Another process holds the store: learn gets the spooling stand-in, which takes writes but cannot
    # be read, so idioms merge within the run and nothing is lost.
    state = team / ".nodeforge"
    state.mkdir(exist_ok=True)
    spooling = SpoolingStore(state, lock_path=state / "store.lock")
    report = learn(team, _nodes(team), spooling, OPTIONS)
    assert report.failed_files == [] and list(spool_dir(state).glob("*.jsonl"))
    [create] = _creates(team)  # opening ingests the spool
    assert create.support == 4
    assert not list(spool_dir(state).glob("*.jsonl"))


def test_generated_refund_node_uses_only_its_own_names_and_imports(team: Path) -> None:
    _learn(team, _nodes(team))
    source = team / "refund.yaml"
    source.write_text(store_contract("refund"), encoding="utf-8")
    contract = parse_contract(source.read_text(encoding="utf-8"), source=source)
    settings = Settings(repo=team, base_module="teamapp.core.nodes")
    with open_embedded(team / ".nodeforge", embedder=None) as store:
        report = generate(team, contract, str(source), settings, GenerateOptions(out=team / NODES_DIR), store)
    assert report.written
    node = team / NODES_DIR / "node_refund_store_effect"
    texts = {path.relative_to(node).as_posix(): path.read_text() for path in node.rglob("*.py")}
    handler = texts["handlers/handler_refund_create.py"]
    assert "from ..models.errors import RefundError" in handler
    assert 'logger.warning("refund.create.failed for %s"' in handler
    assert "attempts=3" in handler  # the value three of four nodes use
    assert '"billing.refund.created"' in handler  # the commonest domain, for the new entity
    for text in texts.values():
        for other in OTHER_ENTITIES:
            assert other not in text.lower()
    assert "class RefundError(NodeOperationError)" in texts["models/errors.py"]
    script = (
        "import compileall, sys\n"
        f"assert compileall.compile_dir({str(node)!r}, quiet=1)\n"
        "import teamapp.nodes.node_refund_store_effect.node as module\n"
        "import teamapp.nodes.node_refund_store_effect.handlers.handler_refund_create as handler\n"
        "print(module.NodeRefundStoreEffect.__name__, handler.RefundError.__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=team / "src", capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["NodeRefundStoreEffect", "RefundError"]


def _pattern_with_holes(values: list[tuple[str, str]], kind: HoleKind) -> Pattern:
    from tests.storekit import make_pattern

    holes = json.dumps([{"name": f"__hole_{kind.value}_1__", "kind": kind.value, "values": values}])
    pattern = make_pattern("x", code=f"x = __hole_{kind.value}_1__\n")
    return Pattern(**{**pattern.__dict__, "extra": {HOLES_KEY: holes}})


def test_a_hole_only_other_nodes_names_could_fill_is_marked() -> None:
    nodes = [("src/n/node_invoice_effect", "InvoiceLedger"), ("src/n/node_customer_effect", "CustomerBook")]
    filled = fill_holes(_pattern_with_holes(nodes, HoleKind.NAME), NodeNames(("refund",), NodeType.EFFECT))
    assert filled.code == f"x = __fill_name_1__  {FILL_COMMENT} name_1\n"


def test_a_hole_takes_the_commonest_value_that_names_no_other_node() -> None:
    nodes = [
        ("src/n/node_invoice_effect", '"billing"'),
        ("src/n/node_payment_effect", '"billing"'),
        ("src/n/node_customer_effect", '"customer-events"'),
    ]
    filled = fill_holes(_pattern_with_holes(nodes, HoleKind.STRING), NodeNames(("refund",), NodeType.EFFECT))
    assert filled.code == 'x = "billing"\n'


def _op(code: str, node: str) -> Pattern:
    from dataclasses import replace

    from tests.storekit import make_pattern

    return replace(make_pattern(code, code=code, node=node), source_nodes=(f"src/nodes/{node}",))


def test_two_fragments_of_one_node_are_never_one_idiom() -> None:
    first, second = _op("x = f(1)\n", "node_a_effect"), _op("x = f(2)\n", "node_a_effect")
    merged = merge_idioms([first, second], lambda kind, slot: [])
    assert sorted(p.id for p in merged.patterns) == sorted([first.id, second.id])
    assert all(HOLES_KEY not in p.extra for p in merged.patterns)


def test_fragments_of_two_nodes_become_one_pattern_with_a_deterministic_id() -> None:
    one, two = _op("x = f(1)\n", "node_a_effect"), _op("x = f(2)\n", "node_b_effect")
    merged = merge_idioms([one, two], lambda kind, slot: [])
    again = merge_idioms([two, one], lambda kind, slot: [])
    [pattern] = merged.patterns
    assert pattern.code == "x = f(__hole_constant_1__)\n"
    assert pattern.support == 2
    assert [p.id for p in again.patterns] == [pattern.id]
