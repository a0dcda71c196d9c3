"""The store's semantics as pure functions: merging a pattern learned again, versioning a changed one.

Both backends run these, so they agree by construction; the congruence tests check the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from nodeforge.learning.antiunify import HOLES_KEY, merge_hole_values
from nodeforge.model import Pattern, PatternStatus

LIVE = frozenset({PatternStatus.ACTIVE, PatternStatus.UNVERIFIED})


def is_live(pattern: Pattern) -> bool:
    return pattern.status in LIVE


def merged_status(existing: PatternStatus, incoming: PatternStatus) -> PatternStatus:
    """A retirement sticks; a live copy revives a superseded one; ACTIVE beats UNVERIFIED.

    An incoming SUPERSEDED copy (an import or a sync of history) leaves the status alone: the
    version that replaced it arrives on its own and supersedes whatever is live then.
    """
    if PatternStatus.RETIRED in (existing, incoming):
        return PatternStatus.RETIRED
    if incoming in (PatternStatus.SUPERSEDED, PatternStatus.HELD):
        return existing  # a review already made of this very code stands
    if existing == PatternStatus.HELD:
        return existing  # still awaiting review, however often it is learned
    if PatternStatus.ACTIVE in (existing, incoming):
        return PatternStatus.ACTIVE
    return PatternStatus.UNVERIFIED


def merge_same_id(existing: Pattern, incoming: Pattern) -> Pattern:
    """The same generalized code learned again: unite the nodes it came from, keep the record.

    Counters are not merged here: the store joins the two copies' tallies (``counters.Tally``),
    which adds up what different writers counted and never counts one event twice.
    """
    nodes = tuple(dict.fromkeys((*existing.source_nodes, *incoming.source_nodes)))
    return replace(
        existing,
        source_nodes=nodes,
        support=len(nodes) if nodes else max(existing.support, incoming.support),
        quality=max(existing.quality, incoming.quality),
        confidence=max(existing.confidence, incoming.confidence),
        status=merged_status(existing.status, incoming.status),
        learned_at=existing.learned_at or incoming.learned_at,
        extra=_merged_extra(existing.extra, incoming.extra),
    )


def _merged_extra(existing: dict[str, str], incoming: dict[str, str]) -> dict[str, str]:
    """The existing record's details win, except hole values: every node's are kept."""
    extra = {**incoming, **existing}
    if HOLES_KEY in existing or HOLES_KEY in incoming:
        extra[HOLES_KEY] = merge_hole_values(existing.get(HOLES_KEY, ""), incoming.get(HOLES_KEY, ""))
    return extra


def next_version(pattern: Pattern, replaced: Sequence[Pattern]) -> Pattern:
    """``pattern`` as the successor of the live patterns it ``replaced`` (same slot and symbol)."""
    if not replaced:
        return pattern
    newest = max(replaced, key=lambda p: (p.version, p.learned_at, p.id))
    return replace(pattern, version=max(pattern.version, newest.version + 1), supersedes=newest.id)
