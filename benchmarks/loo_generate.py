"""Leave-one-out regeneration in one process: minutes where `nodeforge eval` takes half an hour.

Learns a repository once (``--no-test-gate``) into a scratch state folder, then regenerates each of
``--limit`` nodes from its own contract through the real ``generate`` with every pattern learned
from that node hidden from retrieval (an idiom merged from it and others is hidden too), and scores
the largest handler, node.py and the layout against the real node exactly as ``nodeforge eval``
does, beside the copy-nearest-node baseline. No subprocess runs the node: for the choices
generation makes (which exemplar, which handler), not for whether the result imports.

    .venv/bin/python benchmarks/loo_generate.py /path/to/repo --limit 40 [--state DIR] [--json OUT]
        [--approve-call subprocess.run ...]

The repository is cloned first; ``--state`` keeps the learned store to reuse on the next run.
``--approve-call`` approves the held patterns whose held calls are all named, as a team that
reviewed those calls would (``nodeforge patterns approve --call``), before regenerating.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from nodeforge.cli.evaluation import baseline
from nodeforge.cli.evaluation.similarity import compare
from nodeforge.cli.main import main as nodeforge
from nodeforge.config import load_settings
from nodeforge.errors import NodeforgeError
from nodeforge.generation.contract import load_contract
from nodeforge.generation.generate import GenerateOptions, generate
from nodeforge.learning.nodes import NodeSource, discover
from nodeforge.model import PatternQuery, ScoredPattern
from nodeforge.paths import state_home
from nodeforge.storage.factory import open_store
from nodeforge.storage.protocol import PatternStore

SCORES = ("handler_ast", "handler_identifiers", "node_ast", "node_identifiers", "layout_f1")


class _Without:
    """The store with one node's patterns hidden; remembers generate's queries; records nothing."""

    def __init__(self, store: PatternStore, key: str) -> None:
        self._store, self._key = store, key
        self.queries: list[PatternQuery] = []

    def query(self, q: PatternQuery) -> list[ScoredPattern]:
        self.queries.append(q)
        return self.hidden(q)

    def hidden(self, q: PatternQuery) -> list[ScoredPattern]:
        hits = self._store.query(dataclasses.replace(q, limit=q.limit + 40))
        return [h for h in hits if self._key not in h.pattern.source_nodes][: q.limit]

    def record_usage(self, *args: object, **kwargs: object) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _right_type(store: _Without, node: NodeSource) -> tuple[int, int]:
    """As the eval counts it: generate's queries without type or slot filter, top 5, right type."""
    hits = [
        h
        for q in store.queries
        for h in store.hidden(dataclasses.replace(q, node_type=None, slot=None, limit=5))
    ]
    return sum(h.pattern.node_type == node.node_type for h in hits), len(hits)


def _evaluate(
    repo: Path, nodes: list[NodeSource], held: list[NodeSource], work: Path
) -> list[dict[str, Any]]:
    settings = load_settings(repo)
    rows = []
    with open_store(repo, collection=settings.collection, embedder=None) as store:
        for node in held:
            source = baseline.ranked(node, [n for n in nodes if n.key != node.key])[0]
            copy = work / "baseline" / node.key
            baseline.copy_renamed(source, node.names, copy)
            hidden = _Without(store, node.key)
            contract_path = node.root / "contract.yaml"
            options = GenerateOptions(out=work / "learned", force=True)
            try:
                contract = load_contract(contract_path)
                report = generate(repo, contract, str(contract_path), settings, options, hidden)
            except NodeforgeError as error:  # the eval counts it as an error too: shown, not scored
                print(f"{node.key}: {error}")
                continue
            learned = compare(Path(report.node_dir), node.root)
            right, total = _right_type(hidden, node)
            rows.append(
                {
                    "node": node.key,
                    "learned": dataclasses.asdict(learned),
                    "baseline": dataclasses.asdict(compare(copy, node.root)),
                    "right_type": [right, total],
                    "exemplar": report.exemplar,
                    "handlers": report.handler_sources,
                }
            )
    return rows


def _mean(rows: list[dict[str, Any]], side: str, score: str) -> str:
    values = [r[side][score] for r in rows if r[side][score] is not None]
    return f"{statistics.mean(values):.3f}" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--limit", type=int, default=40, help="held-out nodes, spread over the sorted keys")
    parser.add_argument(
        "--offset", type=int, default=0, help="start the spread at this node: another slice, same size"
    )
    parser.add_argument("--state", type=Path, help="nodeforge's state folder (kept; learned once)")
    parser.add_argument("--json", type=Path, help="write each node's scores here")
    parser.add_argument(
        "--approve-call", action="append", default=[], metavar="NAME", help="approve held code making it"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nodeforge-loo-"))
    state = (args.state or work / "state").resolve()
    clone = state / "repo"
    if not clone.exists():
        subprocess.run(["git", "clone", "-q", "--shared", str(args.repo.resolve()), str(clone)], check=True)
        with state_home(state):  # sparse vectors only: the store is opened without an embedder below
            nodeforge(["learn", "--all", "--no-test-gate", "--no-embed", "--repo", str(clone)])
    if args.approve_call:
        with state_home(state):
            calls = [part for call in args.approve_call for part in ("--call", call)]
            nodeforge(["patterns", "approve", *calls, "--repo", str(clone)])
    paths = [clone / p for p in load_settings(clone).node_paths]
    nodes = sorted(
        (n for n in discover(clone, paths) if (n.root / "contract.yaml").is_file()), key=lambda n: n.key
    )
    held = nodes[args.offset :: max(1, len(nodes) // args.limit)][: args.limit]
    started = time.perf_counter()
    with state_home(state):
        rows = _evaluate(clone, nodes, held, work)
    print(f"{len(rows)} held-out nodes of {len(nodes)} in {time.perf_counter() - started:.0f} s")
    print(f"{'score':22} {'learned':>8} {'copy':>8}")
    for score in SCORES:
        print(f"{score:22} {_mean(rows, 'learned', score):>8} {_mean(rows, 'baseline', score):>8}")
    right, total = (sum(r["right_type"][i] for r in rows) for i in (0, 1))
    print(f"{'top-5 right type':22} {right / max(1, total):>8.3f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
