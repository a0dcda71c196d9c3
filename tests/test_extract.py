"""Extraction: before (node code) / after (patterns) side by side, positive and no-op cases."""

from __future__ import annotations

import textwrap
from pathlib import Path

from nodeforge.learning.extract.miner import mine_node
from nodeforge.learning.nodes import discover
from nodeforge.model import PatternKind

HANDLER = '''\
"""Create {e}s."""

from __future__ import annotations

import logging

from app.kit import with_retry

from ..models.model_{e}_input import Model{E}Input

logger = logging.getLogger(__name__)


def _{e}_key(request: Model{E}Input) -> str:
    """The store key of one {e}."""
    return f"{e}:{{request.key}}"


class Handler{E}Create:
    """Create a {e}."""

    async def handle(self, request: Model{E}Input) -> dict[str, str]:
        """Create a {e} record."""
        try:
            return await with_retry(_{e}_key(request))
        except KeyError as exc:
            logger.warning("{e} create failed: %s", exc)
            raise
'''

MODEL = '''\
from pydantic import BaseModel


class Model{E}Input(BaseModel):
    """Input of {e}."""

    key: str
'''


def _write_node(root: Path, entity: str, handler: str = HANDLER) -> Path:
    node = root / f"node_{entity}_effect"
    for rel, text in {
        "__init__.py": "",
        "contract.yaml": f"name: node_{entity}_effect\nnode_type: EFFECT_GENERIC\n",
        "handlers/__init__.py": "",
        f"handlers/handler_{entity}_create.py": handler.format(e=entity, E=entity.capitalize()),
        "models/__init__.py": "",
        f"models/model_{entity}_input.py": MODEL.format(e=entity, E=entity.capitalize()),
        "tests/__init__.py": "",
        f"tests/test_{entity}.py": (
            f"from ..handlers.handler_{entity}_create import Handler{entity.capitalize()}Create\n\n\n"
            f"def test_it() -> None:\n    assert Handler{entity.capitalize()}Create\n"
        ),
    }.items():
        path = node / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return node


def test_operation_pattern_is_generalized_with_its_dependencies(tmp_path: Path) -> None:
    _write_node(tmp_path, "user")
    [node] = discover(tmp_path)
    mined = mine_node(node, commit="c0ffee")
    operation = next(p for p in mined.patterns if p.kind is PatternKind.OPERATION)
    assert operation.slot == "effect:create"
    assert "class Handler__Entity__Create:" in operation.code
    assert "user" not in operation.code.lower().replace("__entity__", "")
    deps = {(d.kind, d.name, d.origin) for d in operation.dependencies}
    assert ("import", "with_retry", "") in deps
    assert ("definition", "___entity___key", "") in deps
    assert ("definition", "logger", "") in deps
    assert ("definition", "Model__Entity__Input", "models/model___entity___input.py") in deps
    assert ("test", "test___entity__", "tests/test___entity__.py") in deps
    assert operation.provenance.commit == "c0ffee"
    assert operation.provenance.symbol == "HandlerUserCreate"


def test_same_idiom_in_two_nodes_is_one_pattern(tmp_path: Path) -> None:
    _write_node(tmp_path, "user")
    _write_node(tmp_path, "invoice")
    ids = [{p.id for p in mine_node(node).patterns} for node in discover(tmp_path)]
    assert ids[0] == ids[1]


def test_error_handling_keeps_only_the_except_clauses(tmp_path: Path) -> None:
    _write_node(tmp_path, "user")
    [node] = discover(tmp_path)
    errors = [p for p in mine_node(node).patterns if p.kind is PatternKind.ERROR_HANDLING]
    assert len(errors) == 1
    assert errors[0].code.startswith("try:\n    ...\nexcept KeyError as exc:")
    assert {d.name for d in errors[0].dependencies} == {"logger", "logging"}


def test_no_handler_no_pattern_and_bad_file_is_reported(tmp_path: Path) -> None:
    node = _write_node(tmp_path, "user", handler="VALUE = 1\n")
    (node / "handlers" / "broken.py").write_text("def (:\n", encoding="utf-8")
    [found] = discover(tmp_path)
    mined = mine_node(found)
    # Its models and its tests (as tests of the whole node) are still learned; no operation is.
    assert {p.kind for p in mined.patterns} == {PatternKind.MODEL, PatternKind.TEST_SHAPE}
    assert {p.slot for p in mined.patterns if p.kind is PatternKind.TEST_SHAPE} == {"effect:test:node"}
    statuses = {o.path.rsplit("/", 1)[-1]: o.status for o in mined.outcomes}
    assert statuses["broken.py"] == "failed"
    assert statuses["handler_user_create.py"] == "skipped"


def test_generalizing_is_idempotent(tmp_path: Path) -> None:
    _write_node(tmp_path, "user")
    [node] = discover(tmp_path)
    first = mine_node(node).patterns
    second = mine_node(node).patterns
    assert [p.id for p in first] == [p.id for p in second]
    assert textwrap.dedent(first[0].code) == first[0].code


def test_pattern_ids_do_not_depend_on_the_process(tmp_path: Path) -> None:
    """Ids must be stable across processes (hash seeds), or support never accumulates."""
    import subprocess
    import sys

    _write_node(tmp_path, "user")
    script = (
        "import sys; from pathlib import Path; from nodeforge.learning.nodes import discover; "
        "from nodeforge.learning.extract.miner import mine_node; "
        "print(sorted(p.id for n in discover(Path(sys.argv[1])) for p in mine_node(n).patterns))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script, str(tmp_path)],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(runs) == 1
