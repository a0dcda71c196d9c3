"""``patterns review`` / ``approve`` / ``reject``: a person decides on held code.

Learned code that shells out, evaluates strings, deserializes unsafely or opens paths and
addresses from its input is stored *held* (``nodeforge.learning.danger``): kept, shown, never reused.
Approving restores the status it would have had (active, or unverified when learned without the
test gate); rejecting retires it, and a retirement sticks however often the code is learned again.

A real repository holds many patterns for the same few calls (its nodes run ``git`` through
``subprocess.run``, read files they are given): a team decides on a call once, with ``--call``,
for every held pattern whose held calls are all ones it named. ``review`` ends with the count per call.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections import Counter
from collections.abc import Sequence

from nodeforge.cli.output import emit
from nodeforge.errors import EXIT_OK, InputError
from nodeforge.learning.danger import held_calls
from nodeforge.model import Pattern, PatternStatus
from nodeforge.storage.protocol import PatternStore


def held_patterns(store: PatternStore) -> list[Pattern]:
    return store.list(statuses=(PatternStatus.HELD,))


def _calls_of(pattern: Pattern) -> frozenset[str]:
    return held_calls(pattern.extra.get("held_reason", ""))


def _review(args: argparse.Namespace, store: PatternStore) -> int:
    held = held_patterns(store)
    lines = [
        f"{p.id}  {p.kind.value:<15} {p.slot:<28} {p.provenance.path}:{p.provenance.start_line}\n"
        f"    held: {p.extra.get('held_reason', 'no reason recorded')}"
        for p in held
    ]
    by_call = Counter(call for p in held for call in _calls_of(p))
    if by_call:
        lines.append("held, by call: " + ", ".join(f"{call}() {n}" for call, n in by_call.most_common()))
        lines.append("decide on a call for all of them: nodeforge patterns approve --call NAME (or reject)")
    emit(args, held, lines or ["nodeforge: nothing held for review"])
    return EXIT_OK


def _chosen(args: argparse.Namespace, store: PatternStore) -> list[Pattern]:
    """The held patterns the command names: its ID, or every one whose held calls ``--call`` covers."""
    calls: Sequence[str] = args.call
    if bool(args.id) == bool(calls):
        raise InputError(f"patterns {args.patterns_command}: give a pattern ID or --call NAME, not both")
    if calls:
        allowed = frozenset(calls)
        return [p for p in held_patterns(store) if (named := _calls_of(p)) and named <= allowed]
    pattern = store.get(args.id)
    if pattern is None:
        raise InputError(f"no pattern with id {args.id!r}")
    if pattern.status is not PatternStatus.HELD:
        raise InputError(f"pattern {args.id} is {pattern.status.value}, not held for review")
    return [pattern]


def _decided_status(pattern: Pattern, action: str) -> PatternStatus:
    if action == "reject":
        return PatternStatus.RETIRED
    status = PatternStatus(pattern.extra.get("held_from", PatternStatus.UNVERIFIED.value))
    return status if status in (PatternStatus.ACTIVE, PatternStatus.UNVERIFIED) else PatternStatus.UNVERIFIED


def run(args: argparse.Namespace, store: PatternStore) -> int:
    action = args.patterns_command
    if action == "review":
        return _review(args, store)
    chosen = _chosen(args, store)
    decided = [dataclasses.replace(p, status=_decided_status(p, action)) for p in chosen]
    for status in {p.status for p in decided}:
        store.set_status([p.id for p in decided if p.status is status], status)
    if args.id:
        (one,) = decided
        emit(args, one, [f"nodeforge: {one.id} {action}d: now {one.status.value}"])
    else:
        calls = ", ".join(f"{call}()" for call in args.call)
        emit(args, decided, [f"nodeforge: {len(decided)} held pattern(s) calling only {calls} {action}d"])
    return EXIT_OK
