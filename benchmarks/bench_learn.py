"""Learning benchmark: ``nodeforge learn --all`` over a generated team repository, phase by phase.

    python benchmarks/bench_learn.py                    # 200 nodes, as the issue asks
    python benchmarks/bench_learn.py --nodes 20 --cli-repeat 0   # a quick look
    python benchmarks/bench_learn.py --json out.json    # for run_all.py

In process (the engine's own functions, one timer per phase): discovery, extraction (libcst parse +
every extractor, per node), the quality and secret gates, the store upsert with sparse vectors only
and with MiniLM dense vectors, and embedding itself (the first call imports torch and loads the
model; later calls are the steady rate). End to end (the console script in a new process, like a
user or CI): ``learn --all --no-test-gate`` with embeddings, and with ``--no-embed`` (the hook's
way, and what a machine without the extra costs). Verdicts are not recorded: ``--no-test-gate``
learns every node as unverified, which costs the same as a passing gate minus one JSON lookup
per node.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from _common import (
    NODES_DIR,
    Bench,
    Result,
    bench_env,
    machine,
    make_repo,
    nodeforge,
    ratio,
    repeat,
    run,
)

from nodeforge.learning.extract.miner import mine_node
from nodeforge.learning.nodes import NodeSource, discover
from nodeforge.learning.quality import analyze
from nodeforge.learning.secrets import check_pattern_code
from nodeforge.model import Pattern, PatternStatus
from nodeforge.storage.edge import open_embedded
from nodeforge.storage.embeddings import find_embedder, pattern_text

# The original system's and the design's figures this is read against (docs/performance.md).
DESIGN_EMBED_RATE = "design: 18-22 snippets/s"
DESIGN_ST_IMPORT = "design: import 5.9 s + load 0.4 s"


def measure_in_process(bench: Bench, repo: Path, scratch: Path, store_repeat: int) -> None:
    roots = [repo / NODES_DIR]
    discovered: list[NodeSource] = []

    def discover_all() -> None:
        discovered[:] = discover(repo, roots)

    bench.seconds("discover nodes", repeat(discover_all, 3))
    nodes = list(discovered)

    per_node: list[float] = []
    patterns: list[Pattern] = []
    for node in nodes:
        started = time.perf_counter()
        mined = mine_node(node, commit="", status=PatternStatus.UNVERIFIED, learned_at="")
        per_node.append(time.perf_counter() - started)
        patterns.extend(mined.patterns)
    bench.seconds("extract (parse + all extractors) per node", per_node)
    bench.add(Result("extract, all nodes (sum)", sum(per_node), "s", len(per_node)))
    bench.add(Result("patterns mined", len(patterns), "count"))

    gate_times: list[float] = []
    for pattern in patterns:
        started = time.perf_counter()
        analyze(pattern.code)
        for text in (pattern.code, *(d.code for d in pattern.dependencies)):
            check_pattern_code(text)
        gate_times.append(time.perf_counter() - started)
    bench.seconds("quality + secret gate per pattern", gate_times)
    bench.add(Result("gates, all patterns (sum)", sum(gate_times), "s", len(gate_times)))

    counter = iter(range(10_000))

    def upsert(embedder: object | None) -> None:
        folder = scratch / f"store-{next(counter)}"
        folder.mkdir()
        with open_embedded(folder, embedder=embedder) as store:  # type: ignore[arg-type]
            store.upsert(patterns, embed=embedder is not None)

    sparse = bench.seconds(
        "store upsert, sparse only (all patterns)", repeat(lambda: upsert(None), store_repeat)
    )
    unique = {p.id: p for p in patterns}
    bench.add(Result("distinct patterns stored", len(unique), "count"))

    lookup = find_embedder()
    if lookup.embedder is None:
        bench.add(Result("dense embeddings", 0, "count", note=f"unavailable: {lookup.reason}"))
        return
    embedder = lookup.embedder
    texts = [pattern_text(p) for p in unique.values()]
    first = time.perf_counter()
    embedder.embed(texts[:1])
    bench.add(
        Result(
            "embedder first call (import torch + load)",
            time.perf_counter() - first,
            "s",
            target=DESIGN_ST_IMPORT,
        )
    )
    embed_times = repeat(lambda: embedder.embed(texts), store_repeat)
    rate = len(texts) / statistics.median(embed_times)
    bench.add(Result("embedding rate (warm)", rate, "/s", len(embed_times), target=DESIGN_EMBED_RATE))
    dense = bench.seconds(
        "store upsert, sparse + dense (model warm)", repeat(lambda: upsert(embedder), store_repeat)
    )
    bench.add(
        Result("upsert dense / sparse", ratio(dense.value, sparse.value), "x", note="same unit, both medians")
    )


def measure_cli(bench: Bench, repo: Path, scratch: Path, times: int) -> None:
    modes = (
        ("learn --all, embeddings on", ("--no-test-gate",), True),
        ("learn --all --no-embed", ("--no-test-gate", "--no-embed"), True),
    )
    medians: dict[str, float] = {}
    for label, flags, embeddings in modes:
        totals: list[float] = []
        phases: dict[str, list[float]] = {}
        for attempt in range(times):
            state = scratch / f"cli-{len(medians)}-{attempt}"
            started = time.perf_counter()
            done = run(
                nodeforge("learn", "--all", "--json", *flags), repo, bench_env(state, embeddings=embeddings)
            )
            totals.append(time.perf_counter() - started)
            for phase, seconds in json.loads(done.stdout).get("seconds", {}).items():
                phases.setdefault(phase, []).append(seconds)
        medians[label] = bench.seconds(f"{label} (new process, total)", totals).value
        for phase, samples in sorted(phases.items()):
            bench.seconds(f"  {label}: {phase} phase", samples)
    on, off = medians[modes[0][0]], medians[modes[1][0]]
    bench.add(Result("learn with / without dense vectors", ratio(on, off), "x", note="end to end"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--store-repeat", type=int, default=3, help="repetitions of the store phases")
    parser.add_argument("--cli-repeat", type=int, default=1, help="end-to-end runs per mode (0: skip)")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args()

    bench = Bench(f"learn --all over {args.nodes} generated nodes", context=machine())
    with tempfile.TemporaryDirectory(prefix="nodeforge-bench-learn-") as tmp:
        scratch = Path(tmp)
        repo = make_repo(scratch / "repo", args.nodes)
        bench.context["nodes"] = str(args.nodes)
        print(bench.title, flush=True)
        measure_in_process(bench, repo, scratch, args.store_repeat)
        if args.cli_repeat > 0:
            measure_cli(bench, repo, scratch, args.cli_repeat)
    bench.print_table()
    if args.json:
        bench.write_json(args.json)


if __name__ == "__main__":
    main()
