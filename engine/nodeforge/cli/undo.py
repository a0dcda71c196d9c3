"""``patterns prune`` leaves a way back: the patterns it retires, as they were, in an export file.

``patterns restore FILE`` puts each pattern of such a file that is retired now back to the status
it had. Patterns changed since (learned again, superseded) are left as they are and named.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from nodeforge.errors import InputError
from nodeforge.model import Pattern, PatternStatus
from nodeforge.storage import codec
from nodeforge.storage.protocol import PatternStore
from nodeforge.writer import atomic_write_text


def write_undo(state: Path, doomed: Sequence[Pattern]) -> Path:
    """The patterns about to be retired, one JSON object a line, in ``state``; returns the file."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = state / f"prune-{stamp}.jsonl"
    atomic_write_text(path, "".join(json.dumps(codec.to_dict(p), sort_keys=True) + "\n" for p in doomed))
    return path


def restore(store: PatternStore, path: Path) -> tuple[list[str], list[str]]:
    """``(restored ids, ids left alone)``: only patterns retired now go back to their old status."""
    if not path.is_file():
        raise InputError(f"{path}: no such prune export")
    try:
        before = [
            codec.from_dict(json.loads(line))
            for line in path.read_text(encoding="utf-8").splitlines()
            if line
        ]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a prune export ({type(error).__name__}: {error})") from None
    restored: list[str] = []
    left: list[str] = []
    for pattern in before:
        now = store.get(pattern.id)
        if now is None or now.status is not PatternStatus.RETIRED:
            left.append(pattern.id)
            continue
        store.set_status([pattern.id], pattern.status)
        restored.append(pattern.id)
    return restored, left
