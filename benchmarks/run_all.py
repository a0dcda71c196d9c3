"""Run every nodeforge benchmark, each in its own process, then print one combined summary.

    python benchmarks/run_all.py              # the full runs (about 20-30 minutes on 2 cores)
    python benchmarks/run_all.py --quick      # smaller sizes, a few minutes
    python benchmarks/run_all.py --only learn generate --json results.json

Each benchmark's own output streams through as it runs. The summary lists, per benchmark, its exit
status and wall time; the results of ``bench_learn`` and ``bench_generate`` (which write JSON) as
one table; and the closing lines of the others (their own tables). Benchmarks whose file does not
exist yet are listed as missing, not failed. Numbers depend on the machine and on what else runs
on it: the summary prints the load average at the start.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from _common import machine, print_table

HERE = Path(__file__).resolve().parent
TAIL_LINES = 14


@dataclass(frozen=True)
class Spec:
    name: str
    script: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    writes_json: bool = False  # accepts --json PATH (ours)


SPECS = (
    Spec("learn", "bench_learn.py", (), ("--nodes", "40", "--store-repeat", "2"), writes_json=True),
    Spec(
        "generate", "bench_generate.py", (), ("--nodes", "12", "--cold", "2", "--warm", "4"), writes_json=True
    ),
    # 100k on the embedded default every time (the goal is set there); local mode stops at 10k
    Spec("store", "bench_store.py", ("--full",), ("--sizes", "1000", "100000", "--queries", "100")),
    Spec("extract", "bench_extract.py", (), ("--repeats", "3")),
    # a real repository (NODEFORGE_OMNIMARKET); without one it says so and exits 0
    Spec("learn_repo", "bench_learn_repo.py", (), (), writes_json=True),
    # CPU by stage of a cold serial learn: omnimarket when NODEFORGE_OMNIMARKET is set, else skipped
    Spec("learn_phases", "bench_learn_phases.py", (), (), writes_json=True),
    # the secret scan's fast path against its plain one over every text that learn gates (same repository)
    Spec("secret_scan", "bench_secret_scan.py", (), (), writes_json=True),
    Spec("quality", "bench_quality.py", (), ("--repeats", "3")),
    Spec("hook", "bench_hook.py", (), ("--rounds", "5"), writes_json=True),
    Spec("team", "bench_team.py", (), ("--per-runner", "4"), writes_json=True),
    Spec("detection", "detection_report.py", (), ()),
)


@dataclass(frozen=True)
class Outcome:
    spec: Spec
    status: str  # "ok", "exit N", "missing"
    seconds: float
    output: list[str]
    results: dict[str, object] | None


def run_one(spec: Spec, quick: bool, scratch: Path) -> Outcome:
    script = HERE / spec.script
    if not script.is_file():
        return Outcome(spec, "missing", 0.0, [], None)
    args = [sys.executable, str(script), *(spec.quick if quick else spec.full)]
    result_file = scratch / f"{spec.name}.json"
    if spec.writes_json:
        args += ["--json", str(result_file)]
    print(f"\n=== {spec.name}: {' '.join(args[1:])}", flush=True)
    started = time.perf_counter()
    lines: list[str] = []
    with subprocess.Popen(
        args, cwd=HERE.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            lines.append(line.rstrip("\n"))
        code = process.wait()
    seconds = time.perf_counter() - started
    results = json.loads(result_file.read_text(encoding="utf-8")) if result_file.is_file() else None
    return Outcome(spec, "ok" if code == 0 else f"exit {code}", seconds, lines, results)


def summarize(outcomes: Sequence[Outcome], context: dict[str, str]) -> None:
    print("\n" + "=" * 100)
    print("nodeforge benchmarks: summary  (" + ", ".join(f"{k}: {v}" for k, v in context.items()) + ")")
    print()
    print_table(
        ("benchmark", "status", "wall time"),
        [(o.spec.name, o.status, f"{o.seconds:.0f} s" if o.status != "missing" else "-") for o in outcomes],
    )
    rows = []
    for outcome in outcomes:
        if outcome.results is None:
            continue
        for result in outcome.results.get("results", []):  # type: ignore[union-attr]
            rows.append(
                (outcome.spec.name, result["name"], _cell(result), str(result["samples"]), result["target"])
            )
    if rows:
        print()
        print_table(("benchmark", "measure", "median", "n", "compared with"), rows)
    for outcome in outcomes:
        if outcome.results is None and outcome.output:
            print(f"\n--- {outcome.spec.name} (last lines of its own report)")
            for line in outcome.output[-TAIL_LINES:]:
                print("  " + line)


def _cell(result: dict[str, object]) -> str:
    value, unit = float(result["value"]), str(result["unit"])  # type: ignore[arg-type]
    if unit == "count":
        return f"{value:.0f}"
    if unit == "x":
        return f"{value:.1f}x"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "/s":
        return f"{value:.1f}/s"
    return f"{value:.2f} {unit}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repetitions")
    parser.add_argument("--only", nargs="*", choices=[s.name for s in SPECS], help="run only these")
    parser.add_argument("--json", type=Path, default=None, help="write every outcome here")
    args = parser.parse_args()

    context = machine()
    chosen = [s for s in SPECS if not args.only or s.name in args.only]
    with tempfile.TemporaryDirectory(prefix="nodeforge-bench-") as tmp:
        outcomes = [run_one(spec, args.quick, Path(tmp)) for spec in chosen]
    summarize(outcomes, context)
    if args.json:
        payload = {
            "context": context,
            "quick": args.quick,
            "benchmarks": [
                {
                    "name": o.spec.name,
                    "status": o.status,
                    "seconds": round(o.seconds, 1),
                    "results": o.results,
                    "tail": o.output[-TAIL_LINES:],
                }
                for o in outcomes
            ],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    failed = [o for o in outcomes if o.status not in ("ok", "missing")]
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
