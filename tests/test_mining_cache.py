"""One mining per node across eval's folds: the stores come out exactly as without the cache."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from nodeforge.learning.learn import LearnOptions, MinedAndGated, MineTask, learn
from nodeforge.learning.mining_cache import MiningCache
from nodeforge.learning.nodes import NodeSource, discover
from nodeforge.model import Pattern, PatternStatus
from nodeforge.storage.edge import open_embedded
from tests.fixtures.repo_factory import build_repo

STAMP = "2026-01-01T00:00:00+00:00"


def _fold(
    repo: Path,
    training: Sequence[NodeSource],
    state: str,
    cache: MiningCache[MineTask, MinedAndGated] | None,
) -> list[Pattern]:
    options = LearnOptions(test_gate=False, embed=False, force=True, learned_at=STAMP, mining_cache=cache)
    with open_embedded(repo / state, embedder=None) as store:
        learn(repo, training, store, options)
        return sorted(store.list(statuses=tuple(PatternStatus)), key=lambda p: p.id)


def test_folds_sharing_a_mining_cache_store_what_folds_mining_alone_store(repo: Path) -> None:
    build_repo(repo, 6, seed=7)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "nodes"], cwd=repo, check=True, capture_output=True)
    nodes = sorted(discover(repo), key=lambda n: n.key)
    folds = [nodes[2:], nodes[:4], [*nodes[:1], *nodes[3:]]]  # overlapping training sets, as k-fold's are
    cache: MiningCache[MineTask, MinedAndGated] = MiningCache()
    for index, training in enumerate(folds):
        alone = _fold(repo, training, f"alone-{index}", None)
        shared = _fold(repo, training, f"shared-{index}", cache)
        assert alone, "the fixture's nodes yield patterns"
        assert shared == alone  # every field: code, support, provenance, holes, status, time stamp
    assert cache.misses == len(nodes)  # each node mined once
    assert cache.hits == sum(map(len, folds)) - len(nodes)


def test_a_task_is_computed_once_and_results_keep_the_order_asked() -> None:
    computed: list[str] = []

    def compute(todo: Sequence[str]) -> Iterator[str]:
        for item in todo:
            computed.append(item)
            yield item.upper()

    cache: MiningCache[str, str] = MiningCache()
    assert [r for _, r in cache.run(["b", "a"], compute)] == ["B", "A"]
    assert [r for _, r in cache.run(["a", "c", "c", "b"], compute)] == ["A", "C", "C", "B"]
    assert computed == ["b", "a", "c"]
    assert (cache.hits, cache.misses) == (3, 3)
