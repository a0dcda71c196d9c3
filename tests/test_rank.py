"""Ranking: similarity x quality x Bayesian success, deterministic ties."""

from __future__ import annotations

from dataclasses import replace

from nodeforge.model import ScoredPattern
from nodeforge.rank import MIN_SCORE, bayes_success, rank, score, usable
from tests.storekit import make_pattern


def test_bayes_success_starts_at_one_half_and_follows_outcomes() -> None:
    fresh = make_pattern("a")
    assert bayes_success(fresh) == 0.5
    assert bayes_success(replace(fresh, success_count=8, failure_count=0)) == 0.9
    assert bayes_success(replace(fresh, success_count=0, failure_count=3)) == 0.2


def test_score_multiplies_the_three_factors() -> None:
    pattern = replace(make_pattern("a", quality=0.5), success_count=3, failure_count=1)
    assert score(pattern, 0.8) == 0.8 * 0.5 * (4 / 6)


def test_rank_sorts_by_score_then_support_then_id() -> None:
    proven = replace(make_pattern("proven", quality=0.8), success_count=9)
    failing = replace(make_pattern("failing", quality=0.9), failure_count=9)
    wide = replace(make_pattern("wide", quality=0.5), support=3)
    narrow_a = make_pattern("narrow_a", quality=0.5)
    narrow_b = make_pattern("narrow_b", quality=0.5)
    candidates = [ScoredPattern(p, 1.0, 0.0) for p in (failing, narrow_b, wide, narrow_a, proven)]
    ranked = rank(candidates)
    tied = sorted([narrow_a.id, narrow_b.id])
    assert [c.pattern.id for c in ranked] == [proven.id, wide.id, *tied, failing.id]
    assert ranked[0].score == score(proven, 1.0)


def test_usable_drops_what_scores_below_min_score() -> None:
    failing = replace(make_pattern("failing", quality=0.7), failure_count=6)
    fresh = make_pattern("fresh", quality=0.6)
    ranked = rank([ScoredPattern(failing, 1.0, 0.0), ScoredPattern(fresh, 0.5, 0.0)])
    assert [c.pattern.id for c in usable(ranked)] == [fresh.id]
    assert ranked[-1].score < MIN_SCORE <= ranked[0].score
