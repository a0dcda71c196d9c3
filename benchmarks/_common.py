"""Shared helpers for nodeforge's benchmarks: timing, repositories to measure on, results and tables.

Benchmarks are not tests: they print numbers, they never assert them. Each ``bench_*.py`` of ours
prints a table and, with ``--json PATH``, writes its results for ``run_all.py`` to combine.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:  # the repository factory lives in tests/fixtures
    sys.path.insert(0, str(PROJECT))

BIN = Path(sys.executable).parent
NODES_DIR = "src/teamapp/nodes"
CONTRACTS = PROJECT / "examples" / "contracts"


@dataclass(frozen=True)
class Result:
    """One measured figure. ``target`` is the figure it is compared with (the original's or the design's)."""

    name: str
    value: float
    unit: str  # "s", "ms", "/s", "x", "count"
    samples: int = 1
    target: str = ""
    note: str = ""

    def cell(self) -> str:
        if self.unit == "count":
            return f"{self.value:.0f}"
        if self.unit == "x":
            return f"{self.value:.1f}x"
        if self.unit == "ms":
            return f"{self.value:.1f} ms"
        if self.unit == "/s":
            return f"{self.value:.1f}/s"
        return f"{self.value:.2f} {self.unit}"


@dataclass
class Bench:
    """The results of one benchmark script, in the order measured."""

    title: str
    results: list[Result] = field(default_factory=list)
    context: dict[str, str] = field(default_factory=dict)

    def add(self, result: Result) -> Result:
        self.results.append(result)
        print(f"  {result.name}: {result.cell()}" + (f"  ({result.note})" if result.note else ""), flush=True)
        return result

    def seconds(self, name: str, samples: Sequence[float], *, target: str = "", note: str = "") -> Result:
        """The median of ``samples`` (seconds), as ms below one second and s above."""
        mid = statistics.median(samples)
        if mid < 1.0:
            return self.add(Result(name, mid * 1000, "ms", len(samples), target, note))
        return self.add(Result(name, mid, "s", len(samples), target, note))

    def write_json(self, path: Path) -> None:
        payload = {"title": self.title, "context": self.context, "results": [asdict(r) for r in self.results]}
        path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")

    def print_table(self) -> None:
        print()
        print(self.title)
        if self.context:
            print("  " + ", ".join(f"{k}: {v}" for k, v in self.context.items()))
        print_table(
            ("measure", "median", "n", "target"),
            [(r.name, r.cell(), str(r.samples), r.target) for r in self.results],
        )


def print_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    rows = [tuple(row) for row in rows]
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=False)]
    line = "  ".join("-" * w for w in widths)
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print(line)
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def repeat(action: Callable[[], object], times: int, *, warmup: int = 0) -> list[float]:
    for _ in range(warmup):
        action()
    return [timed(action) for _ in range(times)]


def ratio(slow: float, fast: float) -> float:
    return slow / fast if fast > 0 else float("inf")


def bench_env(state: Path | None = None, *, embeddings: bool = True) -> dict[str, str]:
    """The environment for a measured ``nodeforge`` process: offline, no server, its own state folder.

    ``embeddings=False`` sets ``NODEFORGE_EMBEDDINGS=0``: retrieval with sparse vectors and filters
    only, as on a machine without the ``embeddings`` extra.
    """
    drop = {"QDRANT_URL", "QDRANT_API_KEY", "NODEFORGE_HOME", "NODEFORGE_MODEL", "NODEFORGE_EMBEDDINGS"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONDONTWRITEBYTECODE="1")
    if state is not None:
        env["NODEFORGE_HOME"] = str(state)
    if not embeddings:
        env["NODEFORGE_EMBEDDINGS"] = "0"
    return env


def run(
    args: Sequence[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def nodeforge(*args: str) -> list[str]:
    """The installed console script, as a user runs it (so cold timings include interpreter start)."""
    return [str(BIN / "nodeforge"), *args]


def make_repo(root: Path, count: int, *, seed: int = 0) -> Path:
    """A committed team repository with ``count`` generated nodes (``tests/fixtures/repo_factory``)."""
    from tests.fixtures.repo_factory import build_repo

    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    build_repo(root, count, seed=seed)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    run(["git", "init", "-q", "-b", "main"], root)
    run(["git", "add", "-A"], root)
    run([*git, "commit", "-qm", "team repository"], root)
    return root


def machine() -> dict[str, str]:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return {
        "python": sys.version.split()[0],
        "cpus": str(os.cpu_count() or 0),
        "load (1 min) at start": f"{load:.1f}",
    }
