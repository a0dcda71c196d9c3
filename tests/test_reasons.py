"""The skip and pending vocabulary: users read the same text as before; code decides on kinds."""

from __future__ import annotations

from nodeforge.learning import reasons
from nodeforge.learning.reasons import Why


def test_texts_are_the_ones_users_read() -> None:
    assert (
        str(reasons.differs_from_commit("0123456789abcdef")) == "working tree differs from commit 0123456789"
    )
    assert str(reasons.not_in_commit("abcdef0123456789")) == "not in commit abcdef0123 (uncommitted node)"
    assert str(reasons.low_quality(0.5, 0.8)) == "quality 0.50 < 0.80"
    assert str(reasons.holds_secrets("secret (jwt) at line 3")) == "secret (jwt) at line 3; not stored"
    assert str(reasons.no_verdict_after_run("1 failed")) == "no verdict after running its tests: 1 failed"


def test_the_partial_run_hint_is_left_out_of_the_brief_form() -> None:
    assert reasons.PARTIAL_RUN.brief == "its tests ran only in part"
    assert str(reasons.PARTIAL_RUN) == (
        "its tests ran only in part (-k, -m, --deselect or --lf); a full run certifies it"
    )


def test_a_message_with_braces_is_kept_verbatim() -> None:
    assert str(reasons.unknown_node_type("type {gizmo} unknown")) == "type {gizmo} unknown"


def test_only_the_gates_reasons_are_about_patterns() -> None:
    about_patterns = {
        why for why in Why if reasons.Reason(why, ("x", 0.0)[: why.value.count("{")]).of_pattern
    }
    assert about_patterns == {Why.LOW_QUALITY, Why.HOLDS_SECRETS}
