"""``patterns review`` / ``approve ID`` / ``reject ID``: a person decides on held code.

Learned code that shells out, evaluates strings, deserializes unsafely or opens paths and
addresses from its input is stored *held* (``nodeforge.learning.danger``): kept, shown, never reused.
Approving restores the status it would have had (active, or unverified when learned without the
test gate); rejecting retires it, and a retirement sticks however often the code is learned again.
"""

from __future__ import annotations

import argparse
import dataclasses

from nodeforge.cli.output import emit
from nodeforge.errors import EXIT_OK, InputError
from nodeforge.model import Pattern, PatternStatus
from nodeforge.storage.protocol import PatternStore


def held_patterns(store: PatternStore) -> list[Pattern]:
    return store.list(statuses=(PatternStatus.HELD,))


def run(args: argparse.Namespace, store: PatternStore) -> int:
    action = args.patterns_command
    if action == "review":
        held = held_patterns(store)
        lines = [
            f"{p.id}  {p.kind.value:<15} {p.slot:<28} {p.provenance.path}:{p.provenance.start_line}\n"
            f"    held: {p.extra.get('held_reason', 'no reason recorded')}"
            for p in held
        ]
        emit(args, held, lines or ["nodeforge: nothing held for review"])
        return EXIT_OK
    pattern = store.get(args.id)
    if pattern is None:
        raise InputError(f"no pattern with id {args.id!r}")
    if pattern.status is not PatternStatus.HELD:
        raise InputError(f"pattern {args.id} is {pattern.status.value}, not held for review")
    if action == "approve":
        status = PatternStatus(pattern.extra.get("held_from", PatternStatus.UNVERIFIED.value))
        if status not in (PatternStatus.ACTIVE, PatternStatus.UNVERIFIED):
            status = PatternStatus.UNVERIFIED
    else:
        status = PatternStatus.RETIRED
    store.set_status([pattern.id], status)
    decided = dataclasses.replace(pattern, status=status)
    emit(args, decided, [f"nodeforge: {pattern.id} {action}d: now {status.value}"])
    return EXIT_OK
