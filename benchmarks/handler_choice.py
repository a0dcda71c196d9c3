"""How much of a handler can a contract pick? Real code only: no learning, no generation.

For every node with a handler, leave it out, pick one other node of its type by a rule, and score
the picked node's largest handler against the real one with the eval's handler AST overlap
(``nodeforge.cli.evaluation.similarity``). The rules: copy-nearest-node's (contract words), the
nearest by nodeforge's contract similarity (``generation.similarity``), the consensus of the 20
most similar (``generation.consensus``, what generation chooses by), and an oracle (the best node
of the type). Also how much the overlap is a matter of size, and how well a contract tells size.

    .venv/bin/python benchmarks/handler_choice.py /path/to/omnimarket
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nodeforge.cli.evaluation import baseline
from nodeforge.cli.evaluation.similarity import largest_handler
from nodeforge.codeshape import ast_types, multiset_jaccard, parse_or_none
from nodeforge.errors import NodeforgeError
from nodeforge.generation.consensus import expected_similarity
from nodeforge.generation.contract import load_contract
from nodeforge.generation.features import ContractFeatures, features_of_contract
from nodeforge.generation.similarity import compare
from nodeforge.learning.nodes import NodeSource, discover

POOL = 20  # as generation's HANDLER_POOL


@dataclass(frozen=True)
class _Node:
    source: NodeSource
    features: ContractFeatures
    handler: str
    shape: Counter[str]
    contract_chars: int


def _nodes(repo: Path) -> list[_Node]:
    found = []
    for node in discover(repo):
        path, handler = node.root / "contract.yaml", largest_handler(node.root)
        if handler is None or not path.is_file():
            continue
        code = handler.read_text(encoding="utf-8")
        tree = parse_or_none(code)
        try:
            features = features_of_contract(load_contract(path))
        except NodeforgeError:
            continue
        if tree is not None:
            found.append(_Node(node, features, code, ast_types(tree), len(path.read_text(encoding="utf-8"))))
    return found


Rule = Callable[[_Node, Sequence[_Node], Sequence[_Node]], _Node]


def _copy(target: _Node, same: Sequence[_Node], others: Sequence[_Node]) -> _Node:
    by_source = {n.source.key: n for n in others}
    return by_source[baseline.ranked(target.source, [n.source for n in others])[0].key]


def _nearest(target: _Node, same: Sequence[_Node], others: Sequence[_Node]) -> _Node:
    return max(same, key=lambda n: compare(target.features, n.features).score)


def _consensus(target: _Node, same: Sequence[_Node], others: Sequence[_Node]) -> _Node:
    scored = sorted(((compare(target.features, n.features).score, n) for n in same), key=lambda p: -p[0])
    pool = scored[:POOL]
    expected = expected_similarity([n.handler for _, n in pool], [score for score, _ in pool])
    return pool[max(range(len(pool)), key=lambda i: expected[i])][1]


def _oracle(target: _Node, same: Sequence[_Node], others: Sequence[_Node]) -> _Node:
    return max(same, key=lambda n: multiset_jaccard(n.shape, target.shape))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    args = parser.parse_args()
    nodes = _nodes(args.repo.resolve())
    rules: dict[str, Rule] = {
        "copy's rule: most contract words in common": _copy,
        "contract similarity, the nearest": _nearest,
        f"consensus of the {POOL} most similar": _consensus,
        "the best node of the type (oracle)": _oracle,
    }
    scores: dict[str, list[float]] = {name: [] for name in rules}
    for target in nodes:
        others = [n for n in nodes if n is not target]
        same = [n for n in others if n.source.node_type == target.source.node_type]
        if not same:
            continue
        for name, rule in rules.items():
            scores[name].append(multiset_jaccard(rule(target, same, others).shape, target.shape))
    print(f"{len(scores[next(iter(rules))])} nodes with a handler and a sibling of their type")
    print(f"{'picking rule':48} {'handler AST':>11}")
    for name, values in scores.items():
        print(f"{name:48} {statistics.mean(values):>11.3f}")
    sizes = [sum(n.shape.values()) for n in nodes]
    pairs = [
        (a, b)
        for i, a in enumerate(nodes)
        for b in nodes[i + 1 :]
        if a.source.node_type == b.source.node_type
    ]
    ratio = [
        min(sum(a.shape.values()), sum(b.shape.values())) / max(sum(a.shape.values()), sum(b.shape.values()))
        for a, b in pairs
    ]
    overlap = [multiset_jaccard(a.shape, b.shape) for a, b in pairs]
    size_r = statistics.correlation(ratio, overlap)
    print(f"handler size ratio vs AST overlap, same-type pairs: r = {size_r:.2f}")
    length = [math.log(n.contract_chars) for n in nodes]
    print(
        "log contract length vs log handler size: "
        f"r = {statistics.correlation(length, [math.log(s) for s in sizes]):.2f}"
    )


if __name__ == "__main__":
    main()
