"""Generation benchmark: ``nodeforge generate`` cold (a new process) and warm (in process, repeated).

    python benchmarks/bench_generate.py                 # 40 learned nodes, the example contracts
    python benchmarks/bench_generate.py --nodes 200 --cold 5 --warm 30
    python benchmarks/bench_generate.py --json out.json

A team repository is generated and learned once (``learn --all --no-test-gate``, with embeddings
when installed); then every contract of ``examples/contracts`` is generated with ``--dry-run``
(rendering, validation and retrieval all run; only the final write and usage record are skipped).
Cold: the console script in a new process, imports included -- what a user waits for. Warm: the
engine's ``generate`` called again and again in one process with the store open and the model
loaded -- the cost of generation itself. Three ways each: learned patterns with hybrid retrieval,
learned patterns with sparse retrieval only (no embeddings extra), and templates only
(``--no-learning``). Their difference is the cost of learning at generation time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from _common import (
    CONTRACTS,
    Bench,
    Result,
    bench_env,
    machine,
    make_repo,
    nodeforge,
    ratio,
    repeat,
    run,
    timed,
)

from nodeforge.config import load_settings
from nodeforge.generation.contract import load_contract
from nodeforge.generation.generate import GenerateOptions, generate
from nodeforge.storage.edge import open_embedded
from nodeforge.storage.embeddings import find_embedder
from nodeforge.storage.protocol import PatternStore

# The original generator's budget for its pattern step
# (OmniNode-ai/omniclaude, docs/PATTERN_STORAGE_INTEGRATION_POINTS.md).
ORIGINAL_OVERHEAD = "original: +20-50 ms, < 100 ms ok"


def measure_cold(bench: Bench, repo: Path, state: Path, out: Path, contracts: list[Path], times: int) -> None:
    contract = str(contracts[0])
    bench.seconds(
        "interpreter start (python -c pass)", repeat(lambda: run([sys.executable, "-c", "pass"], repo), times)
    )
    modes: list[tuple[str, tuple[str, ...], bool]] = [
        ("generate cold, learned, hybrid", (), True),
        ("generate cold, learned, sparse (no extra)", (), False),
        ("generate cold, --no-learning", ("--no-learning",), True),
    ]
    medians: dict[str, float] = {}
    for label, flags, embeddings in modes:
        env = bench_env(state, embeddings=embeddings)
        args = nodeforge("generate", contract, "--dry-run", "--out", str(out), *flags)
        samples = repeat(lambda args=args, env=env: run(args, repo, env), times)
        medians[label] = _seconds(bench.seconds(label, samples))
    bench.add(
        Result(
            "cold: hybrid / templates only",
            ratio(medians[modes[0][0]], medians[modes[2][0]]),
            "x",
            note="the price of torch's import in a new process",
        )
    )


def _seconds(result: Result) -> float:
    return result.value / 1000 if result.unit == "ms" else result.value


def measure_warm(bench: Bench, repo: Path, state: Path, out: Path, contracts: list[Path], times: int) -> None:
    import os

    os.environ["NODEFORGE_HOME"] = str(state)
    settings = load_settings(repo)
    parsed = [(str(path), load_contract(path)) for path in contracts]
    options = GenerateOptions(out=out, dry_run=True)

    used: dict[str, dict[str, int]] = {}  # retrieval mode -> contract -> learned patterns used

    def generate_all(store: PatternStore | None) -> Callable[[], None]:
        def action() -> None:
            for source, contract in parsed:
                report = generate(repo, contract, source, settings, options, store)
                used.setdefault(report.retrieval, {})[source] = len(report.used)

        return action

    per = f"per contract, {len(parsed)} contracts"
    embedder = find_embedder().embedder
    medians: dict[str, float] = {}
    if embedder is not None:
        with open_embedded(state, embedder=embedder) as store:
            first = timed(generate_all(store))
            bench.add(Result("warm-up: first hybrid generate (model load)", first, "s"))
            samples = [s / len(parsed) for s in repeat(generate_all(store), times)]
            medians["hybrid"] = _seconds(bench.seconds(f"generate warm, hybrid ({per})", samples))
    with open_embedded(state, embedder=None) as store:
        samples = [s / len(parsed) for s in repeat(generate_all(store), times, warmup=1)]
        medians["sparse"] = _seconds(bench.seconds(f"generate warm, sparse ({per})", samples))
    samples = [s / len(parsed) for s in repeat(generate_all(None), times, warmup=1)]
    medians["off"] = _seconds(bench.seconds(f"generate warm, templates only ({per})", samples))
    for retrieval, counts in sorted(used.items()):
        total = sum(counts.values())
        bench.add(Result(f"learned patterns used ({retrieval}, all {len(counts)} contracts)", total, "count"))
    for mode in ("hybrid", "sparse"):
        if mode in medians:
            bench.add(
                Result(
                    f"learning overhead, {mode} (warm, per contract)",
                    (medians[mode] - medians["off"]) * 1000,
                    "ms",
                    times,
                    target=ORIGINAL_OVERHEAD,
                )
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, default=40, help="nodes in the learned repository")
    parser.add_argument("--cold", type=int, default=3, help="new processes per mode")
    parser.add_argument("--warm", type=int, default=10, help="in-process rounds over all contracts")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args()

    contracts = sorted(CONTRACTS.glob("*.yaml"))
    bench = Bench(
        f"generate from {len(contracts)} example contracts, {args.nodes} learned nodes", context=machine()
    )
    print(bench.title, flush=True)
    with tempfile.TemporaryDirectory(prefix="nodeforge-bench-generate-") as tmp:
        scratch = Path(tmp)
        repo = make_repo(scratch / "repo", args.nodes)
        state, out = scratch / "state", scratch / "out"
        out.mkdir()
        learn_time = timed(lambda: run(nodeforge("learn", "--all", "--no-test-gate"), repo, bench_env(state)))
        bench.add(Result("setup: learn --all (not part of generate)", learn_time, "s"))
        measure_cold(bench, repo, state, out, contracts, args.cold)
        measure_warm(bench, repo, state, out, contracts, args.warm)
    bench.print_table()
    if args.json:
        bench.write_json(args.json)


if __name__ == "__main__":
    main()
