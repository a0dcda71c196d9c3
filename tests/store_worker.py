"""A separate process writing to a store, for the concurrency and kill -9 tests.

``python -m tests.store_worker upsert STATE NAME COUNT LOCK_TIMEOUT``: open, upsert COUNT
patterns (one open per pattern batch of 5), close. ``... loop STATE``: learn forever, printing
``done <batch>`` after each upsert returns, until killed. ``... ingest STATE``: open the store,
which replays its spool, and close it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nodeforge.model import Pattern
from nodeforge.storage.edge import open_embedded
from tests.storekit import make_pattern, relearned


def batch_patterns(name: str, batch: int) -> list[Pattern]:
    slot_number = batch % 7
    return [
        make_pattern(
            f"{name}_{batch}_{i}",
            slot=f"effect:op{slot_number}_{i}",
            symbol=f"Handler{slot_number}_{i}.handle",
            node=f"node_{name}_effect",
        )
        for i in range(5)
    ]


def upsert(state: Path, name: str, count: int, lock_timeout: float) -> None:
    for batch in range(count // 5):
        with open_embedded(state, lock_timeout=lock_timeout) as store:
            store.upsert(batch_patterns(name, batch))


def loop(state: Path) -> None:
    with open_embedded(state) as store:
        batch = 0
        while True:
            patterns = batch_patterns("loop", batch)
            # Re-learn an earlier batch from another node: merges in the same put.
            earlier = [relearned(p, f"node_other{batch}_effect") for p in batch_patterns("loop", batch // 2)]
            store.upsert([*patterns, *earlier])
            print(f"done {batch}", flush=True)
            batch += 1


def ingest(state: Path) -> None:
    with open_embedded(state, lock_timeout=30):
        pass


if __name__ == "__main__":
    command, state = sys.argv[1], Path(sys.argv[2])
    if command == "upsert":
        upsert(state, sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    elif command == "ingest":
        ingest(state)
    else:
        loop(state)
