"""``nodeforge.learning.needles``: the literal text every match of a regex holds, checked against
matches Hypothesis makes for each of detect-secrets' detector patterns (and some of our own)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nodeforge.learning import secret_detectors
from nodeforge.learning.needles import Screen, needle_test, needles

PATTERNS = [regex for _type, detector in secret_detectors._DETECTORS for regex in detector.denylist]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"AKIA[0-9A-Z]{16}", {"AKIA"}),
        (r"(?:ghp|xlpat)_[A-Za-z0-9]{36}", {"ghp", "xlpat"}),
        (r"x?abc", {"abc"}),
        (r"(?:foo|bar)baz", {"baz"}),
        (r"(?:foo|ba)+", {"foo", "ba"}),
        (r"[a-z]+", None),
        (r"(?:foo)?[0-9]", None),
        (r"(?i:foo)bar", {"bar"}),
        (r"(?i:foo)[a-z]", None),  # flags changed inside: no needle from there
        (r"(?<=key)[0-9]{4}", None),
    ],
)
def test_needles_of_small_patterns(pattern: str, expected: set[str] | None) -> None:
    found = needles(re.compile(pattern))
    assert found == (None if expected is None else frozenset(expected))


def test_case_insensitive_needles_fold_as_the_pattern_does() -> None:
    test = needle_test([re.compile(r"password\s*=", re.IGNORECASE)])
    assert test is not None
    assert test.may_match("PassWord = 1")
    assert test.may_match("pas\u017fword = 1")  # the long s is an s under IGNORECASE
    assert not test.may_match("passwd = 1")


def test_a_pattern_without_needles_makes_the_test_none() -> None:
    assert needle_test([re.compile("abc"), re.compile("[0-9]+")]) is None


def _matches(pattern: re.Pattern[str]) -> st.SearchStrategy[str]:
    return st.from_regex(pattern)


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda pattern: pattern.pattern[:40])
def test_every_match_of_a_detector_pattern_passes_its_needle_test(pattern: re.Pattern[str]) -> None:
    test = needle_test([pattern])
    if test is None:
        return  # no needles: the detector always runs

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_matches(pattern))
    def check(text: str) -> None:
        if pattern.search(text):
            assert test.may_match(text)

    try:
        check()
    except re.error:
        pytest.skip("Hypothesis cannot build matches of this pattern")


def test_the_screen_keeps_every_group_that_may_match() -> None:
    folded = needle_test([re.compile("secret", re.IGNORECASE)])
    exact = needle_test([re.compile("AKIA[0-9]+")])
    dotted = needle_test([re.compile(r"[a-z]+\.[a-z]+")])
    screen = Screen([folded, exact, dotted, None])
    assert screen.groups("nothing here\n") == [3]
    assert screen.groups("a.b\n") == [2, 3]
    assert screen.groups("SECRET = 1\n") == [0, 3]
    assert screen.groups("pas \u017fecret\n") == [0, 3]  # non-ASCII: searched as the pattern folds
    assert screen.groups("AKIA1 x.y Secret\n") == [0, 1, 2, 3]
