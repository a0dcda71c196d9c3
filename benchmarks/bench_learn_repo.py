"""``learn --all`` over a real repository: cold on one and on several cores, then again unchanged.

    NODEFORGE_OMNIMARKET=/path/to/omnimarket python benchmarks/bench_learn_repo.py [--jobs 2] [--json F]
    python benchmarks/bench_learn_repo.py --repo PATH

The repository (a git checkout; read only) is copied to a scratch folder for each cold run, so
every run starts with git's stat cache stale, as after a fresh clone. Sparse vectors only
(``NODEFORGE_EMBEDDINGS=0``) and no test gate. Each run is a new ``nodeforge`` process; the
in-process figure (``learn`` without the interpreter start and imports) is the sum of the phases
``learn --json`` reports. The floor is the bare ``libcst.parse_module`` of every Python file the
nodes hold, on one core. Goals (issue 15): cold <= 20 s sparse on 2 cores; unchanged again
well under 1 s in process. Without a repository (``NODEFORGE_OMNIMARKET`` unset) it prints why and
exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import libcst as cst
from _common import Bench, Result, bench_env, machine, nodeforge, ratio, run

from nodeforge.learning.nodes import discover


def _learn(repo: Path, state: Path, jobs: int) -> tuple[float, float, dict[str, float]]:
    """(wall seconds of the process, seconds inside learn, the phases) of one ``learn --all``."""
    started = time.perf_counter()
    done = run(
        nodeforge("learn", "--all", "--no-test-gate", "--json", "-j", str(jobs)),
        repo,
        bench_env(state, embeddings=False),
    )
    wall = time.perf_counter() - started
    phases = {str(k): float(v) for k, v in json.loads(done.stdout).get("seconds", {}).items()}
    return wall, sum(phases.values()), phases


def _bare_parse(repo: Path) -> tuple[float, int]:
    files = sorted({f for node in discover(repo) for f in node.files if f.suffix == ".py"})
    texts = [f.read_text(encoding="utf-8") for f in files]
    started = time.process_time()
    for text in texts:
        cst.parse_module(text)
    return time.process_time() - started, len(files)


def _cold(bench: Bench, source: Path, scratch: Path, jobs: int) -> tuple[float, Path, Path]:
    repo = scratch / f"repo-j{jobs}"
    shutil.copytree(source, repo, symlinks=True)
    state = scratch / f"state-j{jobs}"
    wall, inside, phases = _learn(repo, state, jobs)
    bench.add(Result(f"cold, -j {jobs}: new process", wall, "s", target="<= 20 s sparse on 2 cores"))
    bench.add(Result(f"cold, -j {jobs}: inside learn", inside, "s"))
    for phase, seconds in sorted(phases.items()):
        bench.add(Result(f"  -j {jobs}: {phase}", seconds, "s"))
    return wall, repo, state


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repo", type=Path, default=None, help="default: $NODEFORGE_OMNIMARKET")
    parser.add_argument("--jobs", type=int, default=2, help="the parallel run's -j (default: 2)")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args()
    source = args.repo or (
        Path(os.environ["NODEFORGE_OMNIMARKET"]) if "NODEFORGE_OMNIMARKET" in os.environ else None
    )
    if source is None or not (source / ".git").exists():
        print("bench_learn_repo: no repository (set NODEFORGE_OMNIMARKET or pass --repo); skipped")
        return
    bench = Bench(f"learn --all over {source.name}", context=machine())
    print(bench.title, flush=True)
    with tempfile.TemporaryDirectory(prefix="nodeforge-bench-repo-") as tmp:
        scratch = Path(tmp)
        serial, _, _ = _cold(bench, source, scratch, 1)
        parallel, repo, state = _cold(bench, source, scratch, args.jobs)
        bench.add(Result(f"-j 1 / -j {args.jobs}", ratio(serial, parallel), "x", note="cold, new process"))
        wall, inside, _ = _learn(repo, state, args.jobs)
        bench.add(Result("again, unchanged: new process", wall, "s"))
        bench.add(Result("again, unchanged: inside learn", inside * 1000, "ms", target="well under 1 s"))
        parse, files = _bare_parse(repo)
        bench.context["python files"] = str(files)
        bench.add(Result("floor: bare parse of the nodes' files (1 core)", parse, "s"))
        bench.add(
            Result("cold -j 1 / bare parse", ratio(serial, parse), "x", note="learn's whole cost per parse")
        )
    bench.print_table()
    if args.json:
        bench.write_json(args.json)


if __name__ == "__main__":
    sys.exit(main())
