"""Mining many nodes on several cores: worker processes mine, the parent keeps everything else.

Mining and gating are pure per node (a node in; its patterns, file outcomes and gate decisions
out), so they can run anywhere; the ledger and the store stay in the parent. Results come back in
the order the nodes were given, so a run with ``jobs=4`` stores exactly what ``jobs=1`` stores.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Workers start from a server that has already imported the miner (libcst, the extractors): each
# one then costs a fork, not an interpreter start plus imports, and nothing of the parent's state
# (an open store, its threads) is inherited.
_PRELOAD = ["nodeforge.learning.learn"]
# Small batches keep the cores busy to the end while sparing a round trip per node.
_NODES_PER_TASK = 4


def available_cores() -> int:
    """The cores this process may run on (its affinity mask, not the machine's count)."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counter is not None:
        return int(counter() or 1)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def run_in_order(work: Callable[[T], R], items: Sequence[T], jobs: int) -> Iterator[R]:
    """``work`` over ``items`` on up to ``jobs`` processes, results in the order of ``items``.

    ``work`` must be a module-level function and the items picklable: they travel to the workers.
    """
    workers = min(jobs, len(items))
    if workers <= 1:
        yield from map(work, items)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        yield from pool.map(work, items, chunksize=_NODES_PER_TASK)


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")  # Windows, and macOS without forkserver
