"""The post-commit hook's added time: real ``git commit`` with the hook installed vs without.

Two identical team repositories; in each round both get five new nodes of the same shape (an
effect, a compute, a reducer, an orchestrator and another effect, under new names) with passing
verdicts for their exact content, and ``git commit`` is timed in each. The hook is installed by the
real pre-commit framework from a snapshot of this working tree (like ``pre-commit try-repo``), so
the measured time includes pre-commit's own start-up. Dense embeddings are deferred (the hook never
computes them). Also timed: a commit that touches no node (the hook's fast path).

    python benchmarks/bench_hook.py --rounds 7 [--pre-commit-home DIR] [--json]

Goal: median added time <= 0.8 s for a 5-node commit.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from nodeforge.learning.nodes import discover  # noqa: E402
from nodeforge.learning.verdicts import Outcome, VerdictBook, tally  # noqa: E402
from nodeforge.paths import state_dir  # noqa: E402
from tests.fixtures.repo_factory import NodeSpec, entity_names, write_base, write_node  # noqa: E402

BIN = Path(sys.executable).parent
SHAPE = (
    ("effect", ("create", "get")),
    ("compute", ("transform",)),
    ("reducer", ("aggregate",)),
    ("orchestrator", ("orchestrate",)),
    ("effect", ("create", "delete")),
)
GOAL_SECONDS = 0.8


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _snapshot(target: Path, env: dict[str, str]) -> tuple[Path, str]:
    listed = _run(["git", "ls-files", "-co", "--exclude-standard", "-z"], PROJECT, env).stdout.split("\0")
    for rel in filter(None, listed):
        source = PROJECT / rel
        if source.is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)
    _run(["git", "init", "-q", "-b", "main"], target, env)
    _run(["git", "add", "-A"], target, env)
    _run(["git", "commit", "-qm", "snapshot"], target, env)
    return target, _run(["git", "rev-parse", "HEAD"], target, env).stdout.strip()


def _repo(root: Path, env: dict[str, str], hook: tuple[Path, str] | None) -> Path:
    root.mkdir()
    _run(["git", "init", "-q", "-b", "main"], root, env)
    write_base(root)
    (root / ".gitignore").write_text(".nodeforge/\n__pycache__/\n.pytest_cache/\n", encoding="utf-8")
    if hook is not None:
        source, sha = hook
        (root / ".pre-commit-config.yaml").write_text(
            f"repos:\n- repo: {source}\n  rev: {sha}\n  hooks:\n  - id: nodeforge-learn\n", encoding="utf-8"
        )
        _run([str(BIN / "pre-commit"), "install", "--hook-type", "post-commit"], root, env)
        _run([str(BIN / "pre-commit"), "install-hooks"], root, env)  # the hook env, outside the timing
    _run(["git", "add", "-A"], root, env)
    _run(["git", "commit", "-qm", "base"], root, env)
    return root


def _add_nodes(repo: Path, names: list[str]) -> None:
    """Five nodes of the fixed shape, with passing verdicts for their exact content (as the plugin)."""
    keys = {
        write_node(repo, NodeSpec(name, kind, ops)) for name, (kind, ops) in zip(names, SHAPE, strict=True)
    }
    verdicts = [
        tally(n.key, n.content_hash, [Outcome.PASSED], "pytest") for n in discover(repo) if n.key in keys
    ]
    VerdictBook(state_dir(repo)).record([v for v in verdicts if v is not None])


def _timed_commit(repo: Path, env: dict[str, str], message: str) -> tuple[float, str]:
    _run(["git", "add", "-A"], repo, env)
    started = time.perf_counter()
    result = _run(["git", "commit", "-qm", message], repo, env)
    seconds = time.perf_counter() - started
    line = next((ln for ln in (result.stdout + result.stderr).splitlines() if "nodeforge:" in ln), "")
    return seconds, line[line.find("nodeforge:") :] if line else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pre-commit-home", type=Path, default=None, help="reuse a pre-commit cache")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-hook-"))
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    env["PRE_COMMIT_HOME"] = str(args.pre_commit_home or work / "pre-commit-home")
    env.update(GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@b")
    env.pop("NODEFORGE_HOME", None)
    env.pop("QDRANT_URL", None)
    try:
        (work / "snapshot").mkdir()
        snapshot = _snapshot((work / "snapshot").resolve(), env)
        with_hook = _repo(work / "with", env, snapshot)
        without = _repo(work / "without", env, None)
        names = entity_names((args.rounds + 1) * len(SHAPE))
        timings: dict[str, list[float]] = {"with": [], "without": [], "hook_reported": []}
        lines = []
        for index in range(args.rounds + 1):  # round 0 warms caches (store creation, .pyc files)
            batch = names[index * len(SHAPE) : (index + 1) * len(SHAPE)]
            for repo in (with_hook, without):
                _add_nodes(repo, batch)
            with_seconds, line = _timed_commit(with_hook, env, f"round {index}")
            without_seconds, _ = _timed_commit(without, env, f"round {index}")
            if index == 0:
                continue
            timings["with"].append(with_seconds)
            timings["without"].append(without_seconds)
            reported = re.search(r"\[(\d+\.\d+) s\]", line)
            timings["hook_reported"].append(float(reported.group(1)) if reported else float("nan"))
            lines.append(line)
        fast = []
        for index in range(args.rounds):
            for repo in (with_hook, without):
                (repo / "NOTES.md").write_text(f"note {index}\n", encoding="utf-8")
            fast.append(
                _timed_commit(with_hook, env, f"notes {index}")[0]
                - _timed_commit(without, env, f"n {index}")[0]
            )
        medians = {key: statistics.median(values) for key, values in timings.items()}
        added = statistics.median(w - o for w, o in zip(timings["with"], timings["without"], strict=True))
        result = {
            "rounds": args.rounds,
            "commit_with_hook_median_s": round(medians["with"], 3),
            "commit_without_hook_median_s": round(medians["without"], 3),
            "added_median_s": round(added, 3),
            "hook_reported_median_s": round(medians["hook_reported"], 3),
            "added_no_node_commit_median_s": round(statistics.median(fast), 3),
            "goal_s": GOAL_SECONDS,
            "within_goal": added <= GOAL_SECONDS,
            "last_summary_line": lines[-1] if lines else "",
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
