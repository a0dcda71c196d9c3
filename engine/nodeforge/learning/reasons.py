"""Why a node waits (pending) or a node or pattern is not learned: a closed vocabulary, one formatter.

Learn, the post-commit hook, the rebuild and the CLI all report these; code decides on ``Reason.kind``
(the hook, say, leaves the patterns' reasons out of its node counts), never on the English text,
which ``str(reason)`` writes the one way users see it. Standard library only: the hook imports it in
the commit's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Why(Enum):
    """Each reason's text; ``{}`` slots take the record's ``values`` in order."""

    # pending: the node is learned once this clears
    NOT_IN_COMMIT = "not in commit {} (uncommitted node)"
    DIFFERS_FROM_COMMIT = "working tree differs from commit {}"
    NO_VERDICT = "no verdict for this content"
    NO_VERDICT_AFTER_RUN = "no verdict after running its tests: {}"
    PARTIAL_RUN = "its tests ran only in part"
    # skipped nodes
    UNCHANGED = "unchanged since last learned"
    TESTS_FAILED = "its tests failed for this content"
    TESTS_FAILED_AT_REVISION = "its tests failed"
    UNKNOWN_NODE_TYPE = "{}"  # discovery's own message, naming the type and the known ones
    # skipped patterns (not nodes): the quality and secret gates
    LOW_QUALITY = "quality {:.2f} < {:.2f}"
    HOLDS_SECRETS = "{}; not stored"


_PATTERN_GATES = frozenset({Why.LOW_QUALITY, Why.HOLDS_SECRETS})
# What the full report adds after the short text the hook's one line shows.
_HINTS = {Why.PARTIAL_RUN: " (-k, -m, --deselect or --lf); a full run certifies it"}


@dataclass(frozen=True)
class Reason:
    """One reason, with the values its text names (a commit, a score, a test run's last line)."""

    why: Why
    values: tuple[object, ...] = ()

    def __str__(self) -> str:
        return self.brief + _HINTS.get(self.why, "")

    @property
    def brief(self) -> str:
        """The text without its hint, for one-line summaries."""
        return self.why.value.format(*self.values)

    @property
    def of_pattern(self) -> bool:
        """Whether a gate dropped one pattern (the node itself was learned)."""
        return self.why in _PATTERN_GATES


def not_in_commit(commit: str) -> Reason:
    return Reason(Why.NOT_IN_COMMIT, (commit[:10],))


def differs_from_commit(commit: str) -> Reason:
    return Reason(Why.DIFFERS_FROM_COMMIT, (commit[:10],))


def no_verdict_after_run(detail: str) -> Reason:
    return Reason(Why.NO_VERDICT_AFTER_RUN, (detail,))


def unknown_node_type(message: str) -> Reason:
    return Reason(Why.UNKNOWN_NODE_TYPE, (message,))


def low_quality(quality: float, threshold: float) -> Reason:
    return Reason(Why.LOW_QUALITY, (quality, threshold))


def holds_secrets(findings: str) -> Reason:
    return Reason(Why.HOLDS_SECRETS, (findings,))


NO_VERDICT = Reason(Why.NO_VERDICT)
PARTIAL_RUN = Reason(Why.PARTIAL_RUN)
UNCHANGED = Reason(Why.UNCHANGED)
TESTS_FAILED = Reason(Why.TESTS_FAILED)
TESTS_FAILED_AT_REVISION = Reason(Why.TESTS_FAILED_AT_REVISION)
