"""Each extractor, before (a node's code) and after (its patterns): positive and no-op cases side by side."""

from __future__ import annotations

from pathlib import Path

import pytest

from nodeforge.learning.extract.miner import mine_node
from nodeforge.learning.nodes import discover
from nodeforge.model import Pattern, PatternKind

HEADER = '''\
"""Handler of {e}."""

from __future__ import annotations

import logging

from teamapp.kit.errors import NodeOperationError
from teamapp.kit.guards import require_fields

from ..models.model_{e}_input import Model{E}Input

logger = logging.getLogger(__name__)
'''

HANDLER = '''

class Handler{E}Create:
    """Create {e} records."""

    def __init__(self, store: dict[str, str] | None = None) -> None:
        """Keep the store."""
        self._store = store if store is not None else {{}}

    async def handle(self, request: Model{E}Input) -> str:
        """Create a {e}."""
{body}
'''

MODEL = '''\
"""Input of {e}."""

from pydantic import BaseModel


class Model{E}Input(BaseModel):
    """Input of {e}."""

    key: str
    payload: dict[str, str] = {{}}
'''

NODE = '''\
"""Node of {e}."""

from __future__ import annotations

from teamapp.core.nodes import NodeEffect

from .handlers.handler_{e}_create import Handler{E}Create


class Node{E}Effect(NodeEffect):
    """Routes each operation of {e} to its handler."""

    def __init__(self) -> None:
        """Register the handlers."""
        super().__init__(handlers={{"create": Handler{E}Create()}})
'''

TEST = '''\
"""Tests of {e} create."""

import asyncio

import pytest

from ..handlers.handler_{e}_create import Handler{E}Create
from ..models.model_{e}_input import Model{E}Input


@pytest.fixture
def handler() -> Handler{E}Create:
    return Handler{E}Create()


def test_create_returns_the_key(handler: Handler{E}Create) -> None:
    assert asyncio.run(handler.handle(Model{E}Input(key="{e}-1", payload={{"name": "a"}}))) == "{e}-1"
'''

GUARDED = """\
        require_fields(request.payload, "name")
        if not request.key:
            raise NodeOperationError("{e} needs a key")
        try:
            self._store[request.key] = request.payload["name"]
        except KeyError as exc:
            logger.warning("{e} create failed: %s", exc)
            raise NodeOperationError(f"{e} {{request.key}} could not be created") from exc
        return request.key"""

PLAIN = """\
        self._store[request.key] = request.payload.get("name", "")
        return request.key"""


def _node(root: Path, entity: str, body: str = GUARDED, *, extra: str = "", tests: bool = True) -> Path:
    pascal = "".join(w.capitalize() for w in entity.split("_"))
    node = root / f"node_{entity}_effect"
    files = {
        "__init__.py": "",
        "contract.yaml": f"name: node_{entity}_effect\nnode_type: EFFECT_GENERIC\n",
        "node.py": NODE.format(e=entity, E=pascal),
        "handlers/__init__.py": "",
        f"handlers/handler_{entity}_create.py": HEADER.format(e=entity, E=pascal)
        + extra.format(e=entity, E=pascal)
        + HANDLER.format(e=entity, E=pascal, body=body.format(e=entity)),
        "models/__init__.py": "",
        f"models/model_{entity}_input.py": MODEL.format(e=entity, E=pascal),
    }
    if tests:
        files["tests/__init__.py"] = ""
        files[f"tests/test_handler_{entity}_create.py"] = TEST.format(e=entity, E=pascal)
    for rel, text in files.items():
        path = node / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return node


def _mine(root: Path) -> list[Pattern]:
    [node] = discover(root)
    return list(mine_node(node).patterns)


def _of(patterns: list[Pattern], kind: PatternKind) -> list[Pattern]:
    return [p for p in patterns if p.kind is kind]


@pytest.fixture
def guarded(tmp_path: Path) -> list[Pattern]:
    _node(tmp_path / "a", "user")
    return _mine(tmp_path / "a")


@pytest.fixture
def plain(tmp_path: Path) -> list[Pattern]:
    _node(tmp_path / "b", "user", PLAIN, tests=False)
    return _mine(tmp_path / "b")


def test_validation_takes_the_guard_block_and_nothing_when_there_is_none(
    guarded: list[Pattern], plain: list[Pattern]
) -> None:
    [validation] = _of(guarded, PatternKind.VALIDATION)
    assert validation.slot == "effect:validation:create"
    assert validation.code == (
        'require_fields(request.payload, "name")\nif not request.key:\n'
        '    raise NodeOperationError("__entity__ needs a key")\n'
    )
    assert {d.name for d in validation.dependencies} == {"require_fields", "NodeOperationError"}
    assert _of(plain, PatternKind.VALIDATION) == []


def test_error_handling_keeps_the_convention_and_skips_fallbacks_and_optional_imports(
    guarded: list[Pattern], tmp_path: Path
) -> None:
    [errors] = _of(guarded, PatternKind.ERROR_HANDLING)
    assert errors.code.startswith("try:\n    ...\nexcept KeyError as exc:\n    logger.warning(")
    assert errors.summary == "catch KeyError; log warning; raise a domain error from it"
    fallback = (
        "        try:\n            value = self._store[request.key]\n        except KeyError:\n"
        '            value = ""\n        return value'
    )
    optional = "\ntry:\n    import ujson as json\nexcept ImportError:\n    import json\n"
    _node(tmp_path / "c", "user", fallback, extra=optional)
    [node] = discover(tmp_path / "c")
    mined = mine_node(node)
    assert _of(list(mined.patterns), PatternKind.ERROR_HANDLING) == []
    assert all("ImportError" not in p.code for p in mined.patterns)


def test_skeletons_of_the_node_class_and_the_handler_class(guarded: list[Pattern]) -> None:
    skeletons = {p.slot: p for p in _of(guarded, PatternKind.SKELETON)}
    assert set(skeletons) == {"effect:skeleton:node", "effect:skeleton:handler"}
    node = skeletons["effect:skeleton:node"].code
    assert node.startswith("class Node__Entity__Effect(NodeEffect):")
    assert '        """Register the handlers."""\n        ...\n' in node
    handler = skeletons["effect:skeleton:handler"]
    assert "async def handle(self, request: Model__Entity__Input) -> str:" in handler.code
    assert "require_fields" not in handler.code  # bodies are elided
    assert {d.name for d in handler.dependencies} == {"Model__Entity__Input"}


def test_imports_keep_the_base_class_and_team_modules_not_the_standard_library(
    guarded: list[Pattern],
) -> None:
    imports = {p.slot: p for p in _of(guarded, PatternKind.IMPORTS)}
    assert imports["effect:imports:base"].code == "from teamapp.core.nodes import NodeEffect\n"
    assert imports["effect:imports:base"].extra["base_module"] == "teamapp.core.nodes"
    assert imports["effect:imports:handler"].code == (
        "from teamapp.kit.errors import NodeOperationError\nfrom teamapp.kit.guards import require_fields\n"
    )
    assert not any("logging" in p.code or "__future__" in p.code for p in imports.values())


def test_test_shape_per_operation_and_none_without_tests(
    guarded: list[Pattern], plain: list[Pattern]
) -> None:
    [shape] = _of(guarded, PatternKind.TEST_SHAPE)
    assert shape.slot == "effect:test:create"
    assert shape.code.startswith("@pytest.fixture\ndef handler() -> Handler__Entity__Create:")
    assert 'Model__Entity__Input(key="__entity__-1"' in shape.code
    assert shape.extra == {"tests": "1", "asserts": "1", "raises": "0"}
    assert _of(plain, PatternKind.TEST_SHAPE) == []


def test_naming_scheme_is_entity_free(guarded: list[Pattern]) -> None:
    [naming] = _of(guarded, PatternKind.NAMING)
    assert naming.slot == "effect:naming"
    assert naming.extra["handler_class"] == "Handler{Entity}{Operation}"
    assert naming.extra["handler_module"] == "handlers/handler_{entity}_{operation}.py"
    assert "user" not in naming.code.lower()


ORCHESTRATION = '''

@dataclass(frozen=True)
class Step:
    """One step and its undo."""

    name: str
    compensate: Callable[[], None]


def default_steps() -> tuple[Step, ...]:
    """The standard {e} steps."""
    return (Step("record", lambda: None),)


async def _compensate(done: list[Step]) -> None:
    """Undo ``done``, last first."""
    for step in reversed(done):
        step.compensate()
'''


def test_workflow_steps_and_compensation(tmp_path: Path, plain: list[Pattern]) -> None:
    extra = "\nfrom collections.abc import Callable\nfrom dataclasses import dataclass\n" + ORCHESTRATION
    _node(tmp_path / "d", "user", extra=extra)
    workflow = {p.slot: p for p in _of(_mine(tmp_path / "d"), PatternKind.WORKFLOW)}
    assert set(workflow) == {"effect:workflow:steps", "effect:workflow:compensation"}
    assert workflow["effect:workflow:steps"].code.startswith("@dataclass(frozen=True)\nclass Step:")
    assert "def default_steps() -> tuple[Step, ...]:" in workflow["effect:workflow:steps"].code
    assert workflow["effect:workflow:compensation"].code.startswith("async def _compensate(")
    assert _of(plain, PatternKind.WORKFLOW) == []


def test_module_node_operation_is_its_execute_method(tmp_path: Path) -> None:
    (tmp_path / "node_user_effect.py").write_text(
        '"""User node."""\n\nfrom teamapp.core.nodes import NodeEffect\n'
        "from teamapp.kit.guards import require_fields\n\n\n"
        "class NodeUserEffect(NodeEffect):\n"
        '    """Persist users."""\n\n'
        "    async def execute_effect(self, request: dict[str, str]) -> str:\n"
        '        """Store one user."""\n'
        '        require_fields(request, "user_id")\n'
        '        return request["user_id"]\n',
        encoding="utf-8",
    )
    patterns = _mine(tmp_path)
    [operation] = _of(patterns, PatternKind.OPERATION)
    assert operation.slot == "effect:execute_effect"
    assert operation.code.startswith("async def execute_effect(self, request: dict[str, str]) -> str:")
    assert operation.provenance.symbol == "NodeUserEffect.execute_effect"
    assert [p.slot for p in _of(patterns, PatternKind.VALIDATION)] == ["effect:validation:execute_effect"]
    assert _of(patterns, PatternKind.IMPORTS)[0].code == "from teamapp.core.nodes import NodeEffect\n"


def test_confidence_comes_from_evidence(tmp_path: Path) -> None:
    """Tests present and clean generalization score higher than leftovers and no tests."""
    _node(tmp_path / "e", "user")
    _node(tmp_path / "f", "user", GUARDED.replace("create failed", "create failed for username"), tests=False)
    clean = next(p for p in _mine(tmp_path / "e") if p.kind is PatternKind.OPERATION)
    dirty = next(p for p in _mine(tmp_path / "f") if p.kind is PatternKind.OPERATION)
    assert clean.confidence > dirty.confidence
    assert 0.0 < dirty.confidence < 1.0
    assert len({p.confidence for p in _mine(tmp_path / "e")}) > 1  # not one fixed constant
