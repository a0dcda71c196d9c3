"""Ranking: similarity x quality x Bayesian success over stored payloads, deterministic ties."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from nodeforge.config import Settings
from nodeforge.model import NodeType, Pattern, PatternQuery
from nodeforge.storage.codec import to_payload
from nodeforge.storage.edge import open_embedded
from nodeforge.storage.rank import TYPE_MISMATCH, bayes_success, best_payloads, score, type_fit
from tests.storekit import make_pattern


def test_bayes_success_starts_at_one_half_and_follows_outcomes() -> None:
    fresh = make_pattern("a")
    assert bayes_success(fresh) == 0.5
    assert bayes_success(replace(fresh, success_count=8, failure_count=0)) == 0.9
    assert bayes_success(replace(fresh, success_count=0, failure_count=3)) == 0.2


def test_score_multiplies_the_three_factors() -> None:
    assert score(0.8, 0.5, 3, 1) == 0.8 * 0.5 * (4 / 6)


def _ranked(*candidates: tuple[float, Pattern], limit: int = 10) -> list[tuple[float, str]]:
    best = best_payloads([(similarity, to_payload(p)) for similarity, p in candidates], limit)
    return [(round(s, 6), str(payload["id"])) for s, _, payload in best]


def test_best_payloads_sorts_by_score_then_support_then_id() -> None:
    proven = replace(make_pattern("proven", quality=0.8), success_count=9)
    failing = replace(make_pattern("failing", quality=0.9), failure_count=9)
    wide = replace(make_pattern("wide", quality=0.5), support=3)
    narrow_a = make_pattern("narrow_a", quality=0.5)
    narrow_b = make_pattern("narrow_b", quality=0.5)
    ranked = _ranked(*((1.0, p) for p in (failing, narrow_b, wide, narrow_a, proven)))
    tied = sorted([narrow_a.id, narrow_b.id])
    assert [pid for _, pid in ranked] == [proven.id, wide.id, *tied, failing.id]
    assert ranked[0][0] == round(score(1.0, 0.8, 9, 0), 6)
    assert [pid for _, pid in _ranked(*((1.0, p) for p in (failing, proven, wide)), limit=2)] == [
        proven.id,
        wide.id,
    ]


def test_the_default_min_score_drops_a_pattern_that_kept_failing() -> None:
    failing = replace(make_pattern("failing", quality=0.7), failure_count=6)
    fresh = make_pattern("fresh", quality=0.6)
    ranked = _ranked((1.0, failing), (0.5, fresh))
    min_score = Settings(repo=Path(".")).min_score
    assert [pid for s, pid in ranked if s >= min_score] == [fresh.id]
    assert ranked[-1][0] < min_score <= ranked[0][0]


def test_a_preferred_node_type_ranks_another_type_lower_by_the_mismatch_factor() -> None:
    compute = make_pattern("compute", quality=0.9, node_type=NodeType.COMPUTE, slot="compute:create")
    effect = make_pattern("effect", quality=0.6)
    payloads = [(1.0, to_payload(compute)), (1.0, to_payload(effect))]
    unpreferred = best_payloads(payloads, 2)
    assert [p["id"] for _, _, p in unpreferred] == [compute.id, effect.id]
    preferred = best_payloads(payloads, 2, NodeType.EFFECT)
    assert [p["id"] for _, _, p in preferred] == [effect.id, compute.id]
    assert preferred[1][0] == score(1.0, 0.9, 0, 0) * TYPE_MISMATCH
    assert type_fit("effect", None) == type_fit("effect", NodeType.EFFECT) == 1.0


def test_a_query_without_the_type_filter_still_puts_the_preferred_type_first(tmp_path: Path) -> None:
    """A real embedded store: the open query finds both types; the preference orders them."""
    code = "def handle(self, request):\n    return store_invoice(request.payload)\n"
    effect = make_pattern("e", code=code, quality=0.5)
    reducer = make_pattern("r", code=code + "# folded\n", node_type=NodeType.REDUCER, slot="reducer:create")
    with open_embedded(tmp_path) as store:
        store.upsert([effect, reducer])
        open_query = PatternQuery(text="store invoice payload", limit=2)
        assert store.query(open_query)[0].pattern.id == reducer.id  # the higher quality
        preferring = replace(open_query, prefer_node_type=NodeType.EFFECT)
        assert [h.pattern.node_type for h in store.query(preferring)] == [NodeType.EFFECT, NodeType.REDUCER]
