"""The template handler's ``handle`` body is written by ``handler.py.j2``: a team's ``templates_dir``
changes it, and the team's learned error handling still wraps it."""

from __future__ import annotations

from pathlib import Path

from nodeforge.generation.compose import NodePlan, plan_node
from nodeforge.generation.contract import load_contract
from nodeforge.generation.render import environment, render_files
from nodeforge.model import NodeType, PatternKind, PatternQuery, ScoredPattern
from tests.storekit import make_pattern

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "examples" / "contracts" / "node_order_effect.yaml"
HANDLER = "handlers/handler_order_create.py"
GUARD = """\
try:
    result = await self._store.fetch(request.key)
except KeyError as error:  # a missing key is the caller's mistake
    raise LookupError(request.key) from error
"""


def _plan(*, guarded: bool) -> NodePlan:
    guard = make_pattern(
        "guard",
        code=GUARD,
        slot="effect:error_handling",
        kind=PatternKind.ERROR_HANDLING,
        node_type=NodeType.EFFECT,
        operation="",
    )

    def retrieve(query: PatternQuery) -> list[ScoredPattern]:
        wanted = guarded and query.kind is PatternKind.ERROR_HANDLING
        return [ScoredPattern(guard, similarity=1.0, score=0.9)] if wanted else []

    return plan_node(
        load_contract(CONTRACT),
        retrieve=retrieve,
        quality=lambda _code: 0.9,
        quality_threshold=0.8,
        min_score=0.1,
        base_module="omnibase_core.nodes",
    )


def _handle(text: str) -> str:
    return text[text.index("    async def handle") :]


def test_the_shipped_body_and_the_learned_guard_around_it() -> None:
    plain = render_files(_plan(guarded=False), environment(), "node_order_effect.yaml")[HANDLER]
    assert _handle(plain).splitlines()[2:] == [
        "        return ModelOrderOutput(success=True, key=request.key, data=dict(request.payload))"
    ]
    guarded = render_files(_plan(guarded=True), environment(), "node_order_effect.yaml")[HANDLER]
    assert _handle(guarded).splitlines()[2:] == [
        "        try:",
        "            result = dict(request.payload)",
        "        except KeyError as error:  # a missing key is the caller's mistake",
        "            raise LookupError(request.key) from error",
        "        return ModelOrderOutput(success=True, key=request.key, data=result)",
    ]


def test_a_teams_templates_change_the_body(tmp_path: Path) -> None:
    shipped = (ROOT / "templates" / "node" / "handler.py.j2").read_text(encoding="utf-8")
    (tmp_path / "handler.py.j2").write_text(
        shipped.replace("data=dict(request.payload)", "data={'echo': request.key}"), encoding="utf-8"
    )
    text = render_files(_plan(guarded=False), environment(tmp_path), "node_order_effect.yaml")[HANDLER]
    assert "data={'echo': request.key})" in _handle(text)
    assert "dict(request.payload)" not in text
