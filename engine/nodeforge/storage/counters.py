"""Feedback counters that add up: one slot per writer (a G-counter), and events that count once.

A pattern's uses, passes and failures are kept per *writer* -- the store identity that applied
them -- in the payload field ``_tally``. A writer only ever grows its own slot, so the states of
one slot form a chain and merging two copies of a pattern takes, slot by slot, the further one
(``Tally.join``): idempotent, commutative and associative, whatever order stores sync in. The
figures shown (``Pattern.usage_count`` ...) are the sums over the slots.

Every increment is the effect of one *event* with an id (``provenance.feedback_event``: a
generated node, its content hash and the patterns it used at their versions). A slot remembers
the keys of its last ``RECENT_EVENTS`` events, written in the same point as the counts, so
replaying an event (a spool file applied again after a crash, a test session re-run) finds it
and changes nothing.

A payload written before counters existed has no ``_tally``: its figures are read as the slot of
the writer ``LEGACY``, so existing stores keep their counts and old copies merge as they used to.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from nodeforge.errors import StoreError
from nodeforge.model import Pattern

TALLY_KEY = "_tally"
LEGACY = "legacy"
# How many event keys a slot remembers. Replays come right after the crash or interruption that
# caused them (the spool is ingested on the next open, owed feedback at the next session), long
# before a writer applies this many newer events to the same pattern.
RECENT_EVENTS = 32
WRITER_FILE = "writer_id"
SERVER_SUFFIX = "@server"

Counter = Literal["uses", "passes", "failures"]
USES: Counter = "uses"
PASSES: Counter = "passes"
FAILURES: Counter = "failures"


@dataclass(frozen=True, order=True)
class Slot:
    """One writer's counts for one pattern, and the keys of the last events it applied."""

    uses: int = 0
    passes: int = 0
    failures: int = 0
    recent: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return self.uses + self.passes + self.failures

    def rank(self) -> tuple[int, Slot]:
        """Position in the slot's chain: every event adds one to ``total``; ties broken by content."""
        return self.total, self

    def counted(self, counter: Counter, key: str) -> Slot:
        recent = (*self.recent, key)[-RECENT_EVENTS:]
        return replace(self, recent=recent, **{counter: getattr(self, counter) + 1})


@dataclass(frozen=True)
class Tally:
    """A pattern's counters: writer -> ``Slot``. The empty tally is the identity of ``join``."""

    slots: Mapping[str, Slot] = field(default_factory=dict)

    @classmethod
    def legacy(cls, uses: int, passes: int, failures: int) -> Tally:
        """Figures that predate counters, as the slot of the ``LEGACY`` writer."""
        if uses == passes == failures == 0:
            return cls()
        return cls({LEGACY: Slot(uses, passes, failures)})

    @property
    def uses(self) -> int:
        return sum(s.uses for s in self.slots.values())

    @property
    def passes(self) -> int:
        return sum(s.passes for s in self.slots.values())

    @property
    def failures(self) -> int:
        return sum(s.failures for s in self.slots.values())

    def join(self, other: Tally) -> Tally:
        """Slot by slot, the further state: what both copies together have counted."""
        slots = dict(self.slots)
        for writer, theirs in other.slots.items():
            mine = slots.get(writer)
            if mine is None or theirs.rank() > mine.rank():
                slots[writer] = theirs
        return Tally(slots)

    def has_seen(self, key: str) -> bool:
        return any(key in slot.recent for slot in self.slots.values())

    def count(self, writer: str, counter: Counter, key: str) -> Tally:
        """``counter`` + 1 in ``writer``'s slot for the event ``key``; unchanged if already counted."""
        if self.has_seen(key):
            return self
        return Tally({**self.slots, writer: self.slots.get(writer, Slot()).counted(counter, key)})

    def to_json(self) -> dict[str, Any]:
        return {
            writer: {"uses": s.uses, "passes": s.passes, "failures": s.failures, "recent": list(s.recent)}
            for writer, s in sorted(self.slots.items())
        }


def _slot(data: Mapping[str, Any]) -> Slot:
    return Slot(
        int(data.get("uses", 0)),
        int(data.get("passes", 0)),
        int(data.get("failures", 0)),
        tuple(str(k) for k in data.get("recent", ())),
    )


def read(payload: Mapping[str, Any]) -> Tally:
    """The tally of a stored payload or an export line; the legacy slot when it predates counters."""
    stored = payload.get(TALLY_KEY)
    if isinstance(stored, Mapping):
        return Tally({str(writer): _slot(slot) for writer, slot in stored.items()})
    return Tally.legacy(
        int(payload.get("usage_count", 0)),
        int(payload.get("success_count", 0)),
        int(payload.get("failure_count", 0)),
    )


def of_pattern(pattern: Pattern) -> Tally:
    """A new pattern handed in without a tally: its figures are all anyone knows of its counts."""
    return Tally.legacy(pattern.usage_count, pattern.success_count, pattern.failure_count)


def with_figures(pattern: Pattern, tally: Tally) -> Pattern:
    """``pattern`` showing ``tally``'s sums."""
    return replace(pattern, usage_count=tally.uses, success_count=tally.passes, failure_count=tally.failures)


# -- events ---------------------------------------------------------------------------------------


def new_event() -> str:
    """An id for an event nobody will replay under another name (a direct call without one)."""
    return uuid.uuid4().hex[:24]


def event_key(counter: Counter, event: str, pattern_id: str) -> str:
    """What a slot remembers of ``event`` applied to one pattern.

    Passes and failures share a key: one verdict counts once, even if a flaky re-run disagrees.
    """
    family = "use" if counter == USES else "verdict"
    return hashlib.sha256(f"{family}\0{event}\0{pattern_id}".encode()).hexdigest()[:16]


# -- writer identity ------------------------------------------------------------------------------


def writer_id(store_root: Path) -> str:
    """This store's stable identity, kept in ``<store_root>/writer_id``; made once, atomically."""
    path = store_root / WRITER_FILE
    if not path.is_file():
        store_root.mkdir(parents=True, exist_ok=True)
        tmp = store_root / f".{WRITER_FILE}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        tmp.write_text(uuid.uuid4().hex + "\n", encoding="utf-8")
        try:
            os.link(tmp, path)  # fails if another process made it first: theirs wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    writer = path.read_text(encoding="utf-8").strip()
    if not writer:
        raise StoreError(f"{path} is empty; delete it and a new store identity is made")
    return writer


def server_writer(local: str) -> str:
    """The slot a machine's writes straight to the team server go to.

    Not ``local`` itself: the embedded store grows that slot offline while the server may grow
    the same machine's slot online, and merging two copies of one slot keeps only the further one.
    """
    return f"{local}{SERVER_SUFFIX}"
