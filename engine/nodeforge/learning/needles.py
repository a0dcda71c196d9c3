"""The literal text every match of a regular expression contains, read from the pattern itself.

A pre-filter for regexes we do not write (detect-secrets' detectors): where none of a pattern's
needles occurs in a text, the pattern cannot match anywhere in it, so it need not run. The needles
come from the parsed pattern: a run of literal characters in a sequence must appear in every
match, so must one needle of each branch of an alternation, and the needles of a part repeated at
least once. Anything else (classes, lookarounds, optional parts, flags changed inside) gives no
needle, and a pattern without one is ``None``: always run. With IGNORECASE the needles are
compared as the pattern compares them (``NeedleTest``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from re import _constants as sre  # type: ignore[attr-defined]  # the parser ``re`` compiles with
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

_Needles = frozenset[str]


@dataclass(frozen=True)
class NeedleTest:
    """Whether a text may hold a match of any of some patterns: one of their needles occurs in it."""

    exact: tuple[str, ...]  # from case-sensitive patterns
    folded: tuple[re.Pattern[str], ...]  # from IGNORECASE ones: one search per set of flags
    folded_needles: tuple[str, ...] = ()

    def may_match(self, text: str) -> bool:
        return any(needle in text for needle in self.exact) or any(
            search.search(text) is not None for search in self.folded
        )

    @property
    def has_short_needle(self) -> bool:
        """A one-character needle (``.``, ``:``) is in most lines: screening by it saves nothing."""
        return any(len(needle) == 1 for needle in (*self.exact, *self.folded_needles))


class Screen:
    """Which of several groups of patterns may match a line, with two searches for most lines.

    A group without a test, or with a one-character needle, is tested on every line. The others
    are tested only on a line that holds one of their needles at all: one search for all exact
    needles, one for all folded ones (on ASCII text, IGNORECASE is plain lower-casing, so the
    lower-cased line is searched for the lower-cased needles; other text is searched as each
    group's own test searches it).
    """

    def __init__(self, tests: Sequence[NeedleTest | None]) -> None:
        self._tests = tuple(tests)
        self._everywhere = tuple(
            index for index, test in enumerate(self._tests) if test is None or test.has_short_needle
        )
        screened = [test for test in self._tests if test is not None and not test.has_short_needle]
        self._screened_folded = tuple(search for test in screened for search in test.folded)
        self._exact = _any_of({needle for test in screened for needle in test.exact})
        folded = {needle for test in screened for needle in test.folded_needles}
        self._folded_lower = _any_of({needle.lower() for needle in folded})
        self._folds_ascii = all(needle.isascii() for needle in folded)

    def groups(self, line: str) -> list[int]:
        """The indexes of the groups that may match ``line``, in order."""
        indexes = range(len(self._tests)) if self._may_hold_a_needle(line) else self._everywhere
        return [index for index in indexes if (test := self._tests[index]) is None or test.may_match(line)]

    def _may_hold_a_needle(self, line: str) -> bool:
        if self._exact is not None and self._exact.search(line):
            return True
        if self._folds_ascii and line.isascii():
            return self._folded_lower is not None and self._folded_lower.search(line.lower()) is not None
        return any(search.search(line) for search in self._screened_folded)


def _any_of(needles: set[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(re.escape(needle) for needle in sorted(needles))) if needles else None


def needle_test(patterns: Sequence[re.Pattern[str]]) -> NeedleTest | None:
    """The test for ``patterns`` together; ``None`` when one of them has no needles."""
    exact: set[str] = set()
    folded: dict[int, set[str]] = {}  # flags -> needles
    for pattern in patterns:
        found = needles(pattern)
        if found is None:
            return None
        if pattern.flags & re.IGNORECASE:
            folded.setdefault(pattern.flags & _CASE_FLAGS, set()).update(found)
        else:
            exact |= found
    searches = tuple(
        re.compile("|".join(re.escape(needle) for needle in sorted(found)), flags)
        for flags, found in sorted(folded.items())
    )
    every_folded = tuple(sorted({needle for found in folded.values() for needle in found}))
    return NeedleTest(tuple(sorted(exact)), searches, every_folded)


# What decides how a literal character matches: case folding, and ASCII or Unicode folds.
_CASE_FLAGS = re.IGNORECASE | re.ASCII | re.UNICODE


def needles(pattern: re.Pattern[str]) -> _Needles | None:
    """Strings of which every match of ``pattern`` contains one (same case rules); None if unknown."""
    if not isinstance(pattern.pattern, str) or pattern.flags & re.LOCALE:
        return None
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except re.error:
        return None
    return _sequence(list(parsed))


def _sequence(items: list[tuple[Any, Any]]) -> _Needles | None:
    """The best needles of a sequence: each item (or literal run) must match inside the match."""
    best: _Needles | None = None
    run = ""
    for op, argument in [*items, (None, None)]:
        if op is sre.LITERAL:
            run += chr(argument)
            continue
        if run:
            best = _better(best, frozenset({run}))
            run = ""
        if op is not None:
            best = _better(best, _item(op, argument))
    return best


def _item(op: Any, argument: Any) -> _Needles | None:
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, pattern = argument
        return None if add_flags or del_flags else _sequence(list(pattern))
    if op is sre.ATOMIC_GROUP:
        return _sequence(list(argument))
    if op is sre.BRANCH:
        union: set[str] = set()
        for branch in argument[1]:
            found = _sequence(list(branch))
            if found is None:
                return None
            union |= found
        return frozenset(union)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, _high, pattern = argument
        return _sequence(list(pattern)) if low >= 1 else None
    return None


def _better(one: _Needles | None, other: _Needles | None) -> _Needles | None:
    """Longer shortest needle first (rarer), then fewer needles."""
    if one is None or other is None:
        return one or other
    return max(one, other, key=lambda found: (min(map(len, found)), -len(found)))
