"""Nodes as real ONEX repositories lay them out: found by contract, mined whole, tests wherever they live.

The fixture imitates the shapes of a real repository with our own content: a node folder whose name
ends in no node type, ``models/``, ``registry/``, a helper module, and tests outside the node folder
under ``tests/nodes/<node>/``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nodeforge.cli.main import main
from nodeforge.learning.extract.miner import mine_node
from nodeforge.learning.nodes import NodeSource, content_hash, discover, node_folder_of, scan
from nodeforge.learning.testmap import link_tests
from nodeforge.model import NodeType, Pattern, PatternKind

NODES = "src/ledgerkit/nodes"
NODE = f"{NODES}/node_ledger_capture"

_CONTRACT = """\
name: ledger_capture
node_type: compute
description: Captures a snapshot of the ledger.
handler_routing:
  routing_strategy: operation_match
  handlers:
    - operation: snapshot
      handler:
        name: HandlerLedgerCapture
        module: ledgerkit.nodes.node_ledger_capture.handlers.handler_ledger_capture
"""

_HANDLER = '''\
"""Capture one ledger snapshot."""

from __future__ import annotations

from ..models.model_ledger_capture_request import ModelLedgerCaptureRequest
from ..models.model_ledger_snapshot import ModelLedgerSnapshot


class HandlerLedgerCapture:
    """Reads every account balance and returns them as one snapshot."""

    def __init__(self, reader: object) -> None:
        self._reader = reader

    async def handle(self, request: ModelLedgerCaptureRequest) -> ModelLedgerSnapshot:
        """Capture the balances of ``request.accounts``."""
        if not request.accounts:
            raise ValueError("no accounts to capture")
        balances = {account: len(account) * 10 for account in request.accounts}
        return ModelLedgerSnapshot(label=request.label, balances=balances)
'''

_REQUEST_MODEL = '''\
"""What a capture is asked for."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ModelLedgerCaptureRequest(BaseModel):
    """The accounts to capture and the label of the snapshot."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(..., min_length=1, description="Name of the snapshot.")
    accounts: list[str] = Field(default_factory=list, description="Accounts to read.")
'''

_SNAPSHOT_MODEL = '''\
"""One captured snapshot."""

from __future__ import annotations

import pydantic


class ModelLedgerSnapshot(pydantic.BaseModel):
    """Balances per account at capture time."""

    label: str
    balances: dict[str, int] = pydantic.Field(default_factory=dict)

    def total(self) -> int:
        """The sum of every balance."""
        return sum(self.balances.values())
'''

_ENUM = '''\
"""Kinds of ledger accounts."""

from enum import StrEnum


class EnumLedgerKind(StrEnum):
    """Whether an account holds assets or owes them."""

    ASSET = "asset"
    LIABILITY = "liability"
'''

_REGISTRY = '''\
"""How the ledger capture node builds its handler from a container."""

from __future__ import annotations

from ..handlers.handler_ledger_capture import HandlerLedgerCapture


class RegistryLedgerCapture:
    """Factory of the node's handler, with its dependencies taken from the container."""

    @staticmethod
    def create_handler(container: dict[str, object]) -> HandlerLedgerCapture:
        """The handler, reading balances through the container's ``ledger_reader``."""
        reader = container.get("ledger_reader")
        if reader is None:
            raise KeyError("the container has no ledger_reader")
        return HandlerLedgerCapture(reader)
'''

_PROBE = '''\
"""Probe the ledger's storage before a capture."""

from __future__ import annotations

import shutil


def free_bytes(path: str) -> int:
    """Free space on the volume holding ``path``."""
    return shutil.disk_usage(path).free


def has_room(path: str, needed: int) -> bool:
    """Whether ``needed`` bytes fit on the volume of ``path``."""
    return free_bytes(path) >= needed
'''

_OUTSIDE_TEST = '''\
"""Tests of the ledger capture handler, kept outside the node folder."""

from __future__ import annotations

import asyncio

import pytest

from ledgerkit.nodes.node_ledger_capture.handlers.handler_ledger_capture import HandlerLedgerCapture
from ledgerkit.nodes.node_ledger_capture.models.model_ledger_capture_request import (
    ModelLedgerCaptureRequest,
)


@pytest.fixture
def handler() -> HandlerLedgerCapture:
    return HandlerLedgerCapture(reader=object())


def test_capture_reads_every_account(handler: HandlerLedgerCapture) -> None:
    request = ModelLedgerCaptureRequest(label="eod", accounts=["cash", "bank"])
    snapshot = asyncio.run(handler.handle(request))
    assert snapshot.balances == {"cash": 40, "bank": 40}


def test_capture_without_accounts_fails(handler: HandlerLedgerCapture) -> None:
    with pytest.raises(ValueError):
        asyncio.run(handler.handle(ModelLedgerCaptureRequest(label="eod")))
'''

_MODEL_TEST = '''\
"""A test of the node's model alone: it tests the node, not one handler."""

from ledgerkit.nodes.node_ledger_capture.models.model_ledger_snapshot import ModelLedgerSnapshot


def test_total_sums_the_balances() -> None:
    assert ModelLedgerSnapshot(label="x", balances={"a": 1, "b": 2}).total() == 3
'''

_UNRELATED_TEST = """\
def test_arithmetic() -> None:
    assert 1 + 1 == 2
"""


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def team(tmp_path: Path) -> Path:
    packages = ["src/ledgerkit", NODES, NODE, f"{NODE}/handlers", f"{NODE}/handlers/probes", f"{NODE}/models"]
    _write(tmp_path, {f"{package}/__init__.py": "" for package in packages})
    _write(
        tmp_path,
        {
            "pyproject.toml": f'[tool.nodeforge]\nnode_paths = ["{NODES}"]\n',
            f"{NODE}/contract.yaml": _CONTRACT,
            f"{NODE}/handlers/handler_ledger_capture.py": _HANDLER,
            f"{NODE}/handlers/probes/probe_disk.py": _PROBE,
            f"{NODE}/models/model_ledger_capture_request.py": _REQUEST_MODEL,
            f"{NODE}/models/model_ledger_snapshot.py": _SNAPSHOT_MODEL,
            f"{NODE}/models/enum_ledger_kind.py": _ENUM,
            f"{NODE}/registry/__init__.py": "",
            f"{NODE}/registry/registry_ledger_capture.py": _REGISTRY,
            # a test fixture holding a contract inside the node is part of the node, not a node
            f"{NODE}/tests/fixtures/sample/contract.yaml": "name: sample\nnode_type: effect\n",
            f"{NODE}/tests/fixtures/sample/helper.py": "VALUE = 1\n",
            # a contract this nodeforge has no node type for: skipped, and said so
            f"{NODES}/node_ledger_feed/contract.yaml": "name: ledger_feed\nnode_type: gizmo\n",
            f"{NODES}/node_ledger_feed/__init__.py": "",
            # a contract without code is no node
            f"{NODES}/node_ledger_docs/contract.yaml": "name: ledger_docs\nnode_type: compute\n",
            "tests/__init__.py": "",
            "tests/nodes/__init__.py": "",
            "tests/nodes/node_ledger_capture/__init__.py": "",
            "tests/nodes/node_ledger_capture/test_handler.py": _OUTSIDE_TEST,
            "tests/unit/nodes/node_ledger_capture/test_models.py": _MODEL_TEST,
            "tests/unit/test_arithmetic.py": _UNRELATED_TEST,
        },
    )
    return tmp_path


def _linked(team: Path) -> NodeSource:
    [node] = link_tests(team, discover(team, [team / NODES]))
    return node


def _by_kind(patterns: tuple[Pattern, ...], kind: PatternKind) -> list[Pattern]:
    return [p for p in patterns if p.kind is kind]


def test_a_folder_with_a_contract_is_a_node_whatever_its_name(team: Path) -> None:
    found = scan(team, [team / NODES])
    assert [node.key for node in found.nodes] == [NODE]
    [node] = found.nodes
    assert node.node_type is NodeType.COMPUTE  # from the contract: the name names no type
    assert node.names.words == ("ledger", "capture")
    [skipped] = found.skipped
    assert skipped.key == f"{NODES}/node_ledger_feed"
    assert "'gizmo'" in str(skipped.reason)
    # everything below the node folder belongs to it, a fixture with its own contract included
    inner = team / NODE / "tests/fixtures/sample/helper.py"
    assert node_folder_of(inner, team) == team / NODE
    assert inner in node.files


def test_tests_outside_the_node_folder_are_linked_but_not_hashed(team: Path) -> None:
    node = _linked(team)
    assert [p.relative_to(team).as_posix() for p in node.linked_tests] == [
        "tests/nodes/node_ledger_capture/test_handler.py",
        "tests/unit/nodes/node_ledger_capture/test_models.py",
    ]
    before = node.content_hash
    (team / "tests/nodes/node_ledger_capture/test_handler.py").write_text(_OUTSIDE_TEST + "\n# edited\n")
    [again] = discover(team, [team / NODES])
    assert again.content_hash == before == content_hash(node.root, node.files)


def test_models_registry_helpers_and_outside_tests_are_mined(team: Path) -> None:
    mined = mine_node(_linked(team))
    assert not [o for o in mined.outcomes if o.status == "failed"]
    models = {p.slot: p for p in _by_kind(mined.patterns, PatternKind.MODEL)}
    assert set(models) == {"compute:model", "compute:model:request", "compute:model:enum"}
    assert "LIABILITY = " in models["compute:model:enum"].code
    request = models["compute:model:request"]
    assert "class Model__Entity__Request(BaseModel):" in request.code
    assert "min_length=1" in request.code
    assert any("from pydantic import" in d.code for d in request.dependencies)
    [registry] = _by_kind(mined.patterns, PatternKind.REGISTRY)
    assert registry.slot == "compute:registry"
    assert "class Registry__Entity__:" in registry.code and "def create_handler(" in registry.code
    [support] = _by_kind(mined.patterns, PatternKind.SUPPORT)
    assert support.slot == "compute:support:probe_disk"
    assert "def has_room(" in support.code and "def free_bytes(" in support.code
    shapes = {p.slot: p for p in _by_kind(mined.patterns, PatternKind.TEST_SHAPE)}
    assert set(shapes) == {"compute:test:snapshot", "compute:test:node"}
    outside = shapes["compute:test:snapshot"]
    assert outside.provenance.path == "tests/nodes/node_ledger_capture/test_handler.py"
    assert outside.extra["tests"] == "2" and outside.extra["raises"] == "1"
    assert (
        shapes["compute:test:node"].provenance.path == "tests/unit/nodes/node_ledger_capture/test_models.py"
    )


def test_the_operation_carries_its_outside_test_into_the_node_layout(team: Path) -> None:
    [operation] = _by_kind(mine_node(_linked(team)).patterns, PatternKind.OPERATION)
    tests = [d for d in operation.dependencies if d.kind == "test"]
    assert [d.origin for d in tests] == ["tests/test_handler.py"]
    assert "ledger_capture" not in tests[0].code  # generalized like the code it tests


def test_learn_reports_the_node_it_cannot_type(team: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=team, check=True)
    assert main(["learn", "--all", "--no-test-gate", "--no-embed", "--repo", str(team)]) == 0
    out = capsys.readouterr().out
    assert "learned 1 node(s)" in out
    assert f"skipped: {NODES}/node_ledger_feed: contract.yaml declares node_type 'gizmo'" in out
