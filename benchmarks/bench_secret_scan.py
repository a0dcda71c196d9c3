"""The secret scan over every distinct text a cold ``learn --all`` gates: fast path against plain.

    NODEFORGE_OMNIMARKET=/path/to/omnimarket python benchmarks/bench_secret_scan.py [--rounds 3]
    python benchmarks/bench_secret_scan.py --texts texts.json    # texts saved by --save before

The texts are gathered the way learn gathers them: a serial ``learn --all`` of a copy of the
repository (see ``bench_learn_phases``) records every text its gate hands to the secret check
(each distinct text once: learn caches the check per text). Then ``scan(text)`` and
``scan(text, prefilter=False)`` (the plain path) must give identical findings for every text;
the differences are counted and printed (kind and line only, never a value). Timing alternates
the two paths for ``--rounds`` rounds (CPU time; the fast path with its per-line cache emptied
first, as in a new process) and reports medians and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import Bench, Result, machine
from bench_learn_phases import _learn, _source

from nodeforge.learning import secret_detectors
from nodeforge.learning.secrets import SecretVerdict, scan


def _gather(args: argparse.Namespace) -> list[str] | None:
    if args.texts:
        loaded: list[str] = json.loads(args.texts.read_text(encoding="utf-8"))
        return loaded
    from nodeforge.learning import learn

    texts: list[str] = []
    check = learn.check_pattern_code

    def recording(code: str) -> SecretVerdict:
        texts.append(code)
        return check(code)

    learn.check_pattern_code = recording  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(prefix="nodeforge-bench-secrets-") as tmp:
        repo = _source(args, Path(tmp))
        if repo is None:
            return None
        _learn(repo, Path(tmp) / "state")
    learn.check_pattern_code = check
    return list(dict.fromkeys(texts))


def _cpu(texts: list[str], *, prefilter: bool) -> float:
    secret_detectors.clear_caches()
    started = time.process_time()
    for text in texts:
        scan(text, prefilter=prefilter)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repo", type=Path, default=None, help="default: $NODEFORGE_OMNIMARKET")
    parser.add_argument("--nodes", type=int, default=0, help="learn a generated repository of N nodes")
    parser.add_argument("--texts", type=Path, default=None, help="a JSON list of texts saved by --save")
    parser.add_argument("--save", type=Path, default=None, help="write the gathered texts here")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args()
    texts = _gather(args)
    if texts is None:
        print(
            "bench_secret_scan: no repository (set NODEFORGE_OMNIMARKET, --repo, --nodes or --texts); skipped"
        )
        return
    if args.save:
        args.save.write_text(json.dumps(texts), encoding="utf-8")
    fast = [scan(text) for text in texts]
    plain = [scan(text, prefilter=False) for text in texts]
    differ = [index for index, (a, b) in enumerate(zip(fast, plain, strict=True)) if a != b]
    for index in differ:
        shown = {
            name: [(f.kind, f.line) for f in found[index]]
            for name, found in (("fast", fast), ("plain", plain))
        }
        print(f"  text {index}: {shown}")
    timings: dict[bool, list[float]] = {True: [], False: []}
    for _round in range(args.rounds):
        for prefilter in (False, True):
            timings[prefilter].append(_cpu(texts, prefilter=prefilter))
    bench = Bench(f"secret scan over {len(texts)} distinct gate texts", context=machine())
    bench.context["load average"] = " ".join(f"{load:.1f}" for load in os.getloadavg())
    bench.add(Result("texts", len(texts), "count", note=f"{sum(map(len, texts)):,} characters"))
    bench.add(Result("texts with findings", sum(map(bool, fast)), "count"))
    bench.add(Result("findings", sum(map(len, fast)), "count"))
    bench.add(Result("texts whose findings differ (fast vs plain)", len(differ), "count", target="0"))
    for prefilter, label in ((False, "plain path, CPU"), (True, "fast path, CPU")):
        samples = timings[prefilter]
        note = "rounds: " + ", ".join(f"{sample:.1f}" for sample in samples)
        bench.add(Result(label, statistics.median(samples), "s", len(samples), note=note))
    speedup = statistics.median(timings[False]) / statistics.median(timings[True])
    bench.add(Result("plain / fast", speedup, "x", target=">= 3x"))
    bench.print_table()
    if args.json:
        bench.write_json(args.json)


if __name__ == "__main__":
    sys.exit(main())
