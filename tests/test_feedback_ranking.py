"""The ranking changes because of test results: a pattern whose generated nodes fail loses its place."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nodeforge.cli.main import main
from nodeforge.model import Dependency, DependencyKind, NodeType, Pattern, PatternKind, Provenance
from nodeforge.storage.factory import open_store

BASE = '''"""Stand-in base classes."""


class NodeEffect:
    """Effect base."""
'''

IMPORTS = (
    Dependency(
        DependencyKind.IMPORT,
        "Model__Entity__Input",
        "from ..models.model___entity___input import Model__Entity__Input",
    ),
    Dependency(
        DependencyKind.IMPORT,
        "Model__Entity__Output",
        "from ..models.model___entity___output import Model__Entity__Output",
    ),
)


def _handler(success: str, summary: str) -> str:
    return (
        "class Handler__Entity__Create:\n"
        '    """Create __entity__ records."""\n\n'
        "    async def initialize(self) -> None:\n"
        '        """Nothing to prepare."""\n\n'
        "    async def handle(self, request: Model__Entity__Input) -> Model__Entity__Output:\n"
        f'        """{summary}"""\n'
        f"        return Model__Entity__Output(success={success}, key=request.key)\n"
    )


def _pattern(pattern_id: str, code: str, quality: float, node: str) -> Pattern:
    return Pattern(
        id=pattern_id,
        kind=PatternKind.OPERATION,
        node_type=NodeType.EFFECT,
        slot="effect:create",
        operation="create",
        code=code,
        code_hash=pattern_id[:16],
        provenance=Provenance(f"{node}/handlers/h.py", "HandlerXCreate", 1, 9, "", "", node),
        dependencies=IMPORTS,
        identifiers=("handler", "entity", "create", "request", "key", "success"),
        quality=quality,
        source_nodes=(node,),
    )


# Same identifiers, so both are equally similar to any query; the worse one has the better quality
# score, so before any feedback it ranks first.
WORSE = _pattern("a" * 32, _handler("False", "Create a record, forgetting to report success."), 1.0, "node_x")
BETTER = _pattern("b" * 32, _handler("True", "Create a record and report success."), 0.9, "node_y")


def _generate(
    repo: Path, entity: str, capsys: pytest.CaptureFixture[str], *, verify: bool = False
) -> set[str]:
    """The ids of the patterns the generated node is credited with. Unverified, the node is written as
    generated, so its own test run (``_run_tests``) is what judges the patterns."""
    contract = repo / f"{entity}.yaml"
    contract.write_text(
        f"name: node_{entity}_effect\nnode_type: EFFECT_GENERIC\n"
        "handler_routing:\n  handlers:\n    - operation: create\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    argv = ["generate", str(contract), "--repo", str(repo), "--out", str(repo / "nodes"), "--json"]
    assert main(argv if verify else [*argv, "--no-verify"]) == 0
    return {u["id"] for u in json.loads(capsys.readouterr().out)["used"]}


def _run_tests(repo: Path, entity: str) -> int:
    env = dict(os.environ, PYTHONPATH=str(repo))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "--nodeforge",
            "-p",
            "no:cacheprovider",
            f"nodes/node_{entity}_effect",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).returncode


def _team_store(repo: Path, monkeypatch: pytest.MonkeyPatch, patterns: list[Pattern]) -> None:
    """``repo`` generating on ``basekit`` from a store holding only ``patterns`` (sparse retrieval)."""
    monkeypatch.setenv("NODEFORGE_EMBEDDINGS", "0")
    (repo / "basekit.py").write_text(BASE, encoding="utf-8")
    (repo / "pyproject.toml").write_text('[tool.nodeforge]\nbase_module = "basekit"\n', encoding="utf-8")
    with open_store(repo, embedder=None) as store:
        store.upsert(patterns, embed=False)


def _counts(repo: Path) -> dict[str, tuple[int, int, int]]:
    with open_store(repo, embedder=None) as store:
        return {p.id: (p.usage_count, p.success_count, p.failure_count) for p in store.list()}


def test_feedback_from_failing_nodes_changes_the_choice(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _team_store(repo, monkeypatch, [WORSE, BETTER])

    assert _generate(repo, "order", capsys) == {WORSE.id}
    assert _run_tests(repo, "order") == 1  # the worse pattern's node fails its own tests
    assert _counts(repo)[WORSE.id] == (1, 0, 1)

    assert _generate(repo, "receipt", capsys) == {BETTER.id}  # the failure moved it down
    assert _run_tests(repo, "receipt") == 0
    assert _counts(repo)[BETTER.id] == (1, 1, 0)

    assert _generate(repo, "invoice", capsys) == {BETTER.id}  # and success keeps it first
    assert _counts(repo)[WORSE.id] == (1, 0, 1)


def test_a_pattern_whose_file_verification_replaced_is_not_credited(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = Dependency(DependencyKind.IMPORT, "team_missing_kit", "import team_missing_kit")
    broken = dataclasses.replace(WORSE, dependencies=(*IMPORTS, missing))
    _team_store(repo, monkeypatch, [broken])
    # Self-verification imports the node: the handler's module does not import (a package the
    # environment lacks), so the template's stands in. The node no longer holds that pattern's
    # code, so its later verdicts must not count for it. (A handler that imports but fails a test
    # is kept: a failing test is no reason to trade learned code for the template.)
    assert _generate(repo, "order", capsys, verify=True) == set()
    assert _run_tests(repo, "order") == 0
    assert _counts(repo)[broken.id] == (0, 0, 0)


def test_feedback_is_given_once_per_content(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _team_store(repo, monkeypatch, [BETTER])
    assert _generate(repo, "order", capsys) == {BETTER.id}
    assert _run_tests(repo, "order") == 0
    assert _run_tests(repo, "order") == 0  # the same content again: no second credit
    assert _counts(repo)[BETTER.id] == (1, 1, 0)
