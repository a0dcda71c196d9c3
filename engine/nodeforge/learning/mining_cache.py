"""Mine each node once when the same nodes are learned again and again (``nodeforge eval``'s folds).

Mining and gating a node (``learn.mine_and_gate``) is a pure function of its task: the node as
found (content hash, files, linked tests), the status its patterns get, the commit, the time
stamp and the quality threshold. k-fold evaluation learns every node in k-1 folds; with one cache
shared by the folds, each node is mined once and each fold only stores its training nodes'
patterns. The key is the whole task, so a node whose content or linked tests differ is mined again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K")
R = TypeVar("R")


@dataclass
class MiningCache(Generic[K, R]):
    """Results by task; ``hits``/``misses`` say how much mining it saved."""

    results: dict[K, R] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0

    def run(self, tasks: Sequence[K], compute: Callable[[Sequence[K]], Iterator[R]]) -> Iterator[tuple[K, R]]:
        """Each task with its result, in order; ``compute`` runs on the tasks not seen before only
        (and must yield their results in the order given)."""
        missing = [task for task in dict.fromkeys(tasks) if task not in self.results]
        self.misses += len(missing)
        self.hits += len(tasks) - len(missing)
        fresh = compute(missing)  # lazily: results stream out as they are mined
        for task in tasks:
            if task not in self.results:
                self.results[task] = next(fresh)
            yield task, self.results[task]
