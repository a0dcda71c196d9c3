"""The post-commit hook's added time: real ``git commit`` with the hook installed vs without.

Three identical team repositories: one with the hook, one with the hook installed but skipped
(``SKIP=nodeforge-learn``: pre-commit starts, reads its config and skips the hook, so that commit
measures pre-commit's own start-up), and one without pre-commit. In each round all three get five
new nodes of the same shape (an effect, a compute, a reducer, an orchestrator and another effect,
under new names) with passing verdicts for their exact content, and ``git commit`` is timed in
each. The hook is installed by the real pre-commit framework from a snapshot of this working tree
(like ``pre-commit try-repo``). Dense embeddings are deferred (the hook never computes them), and
the hook's detached learner is waited for between rounds, outside the timing, so that it does not
compete with the next commit for the cores. Also timed: a commit that touches no node (the hook's
fast path).

    python benchmarks/bench_hook.py --rounds 7 [--pre-commit-home DIR] [--json PATH]

Reported separately: pre-commit's start-up (skipped - without), the hook's own time (with -
skipped: interpreter start, imports, git and the triage), and the time the hook reports itself
(from its ``main``, after its imports). Goals: the hook's own time <= 0.25 s; the 5-node commit's
added time <= 0.8 s.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from _common import Bench, machine, repeat  # noqa: E402

from nodeforge.learning.nodes import discover  # noqa: E402
from nodeforge.learning.verdicts import Outcome, VerdictBook, tally  # noqa: E402
from nodeforge.paths import HOOK_LOG_FILE, state_dir  # noqa: E402
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
OWN_GOAL_SECONDS = 0.25
Timings = dict[str, list[float]]
Envs = dict[str, dict[str, str]]


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _snapshot(target: Path, env: dict[str, str], project: Path) -> tuple[Path, str]:
    listed = _run(["git", "ls-files", "-co", "--exclude-standard", "-z"], project, env).stdout.split("\0")
    for rel in filter(None, listed):
        source = project / rel
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


def _wait_for_learner(repo: Path, done_before: int, timeout: float = 600.0) -> int:
    """Wait until the detached learner has logged one more summary (its cores free again)."""
    log = state_dir(repo) / HOOK_LOG_FILE
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = log.read_text(encoding="utf-8").count("nodeforge: learned") if log.is_file() else 0
        if done > done_before:
            return done
        time.sleep(0.2)
    raise SystemExit(f"the detached learner of {repo} logged nothing new in {timeout:.0f} s")


def _reported(line: str) -> float:
    found = re.search(r"\[(\d+\.\d+) s\]", line)
    return float(found.group(1)) if found else float("nan")


def _rounds(
    repos: dict[str, Path], envs: dict[str, dict[str, str]], names: list[str], rounds: int
) -> Timings:
    timings: Timings = {key: [] for key in (*repos, "reported")}
    learned = 0
    for index in range(rounds + 1):  # round 0 warms caches (store creation, .pyc files)
        batch = names[index * len(SHAPE) : (index + 1) * len(SHAPE)]
        for repo in repos.values():
            _add_nodes(repo, batch)
        seconds = {key: _timed_commit(repo, envs[key], f"round {index}") for key, repo in repos.items()}
        learned = _wait_for_learner(repos["with"], learned)
        if index == 0:
            continue
        for key, (spent, _) in seconds.items():
            timings[key].append(spent)
        timings["reported"].append(_reported(seconds["with"][1]))
    return timings


def _no_node_rounds(repos: dict[str, Path], envs: Envs, rounds: int) -> Timings:
    timings: Timings = {key: [] for key in repos}
    for index in range(rounds):
        for key, repo in repos.items():
            (repo / "NOTES.md").write_text(f"note {index}\n", encoding="utf-8")
            timings[key].append(_timed_commit(repo, envs[key], f"notes {index}")[0])
    return timings


def _differences(first: list[float], second: list[float]) -> list[float]:
    return [a - b for a, b in zip(first, second, strict=True)]


def report(bench: Bench, nodes: Timings, plain: Timings) -> None:
    startup = _differences(nodes["skipped"], nodes["without"])
    bench.seconds("commit without pre-commit (5 nodes)", nodes["without"])
    bench.seconds("pre-commit start-up (hook skipped - no pre-commit)", startup, note="not ours")
    bench.seconds(
        "hook's own time, 5-node commit (hook - hook skipped)",
        _differences(nodes["with"], nodes["skipped"]),
        target=f"goal <= {OWN_GOAL_SECONDS} s",
        note="interpreter start, imports, git, triage",
    )
    bench.seconds("hook's own time as it reports it (after its imports)", nodes["reported"])
    bench.seconds(
        "added time of a 5-node commit (hook - no pre-commit)",
        _differences(nodes["with"], nodes["without"]),
        target=f"goal <= {GOAL_SECONDS} s",
    )
    bench.seconds(
        "hook's own time, commit without a node (fast path)", _differences(plain["with"], plain["skipped"])
    )
    bench.seconds("floor: interpreter start (python -c pass)", repeat(_interpreter, len(nodes["with"])))


def _interpreter() -> None:
    subprocess.run([sys.executable, "-c", "pass"], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pre-commit-home", type=Path, default=None, help="reuse a pre-commit cache")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument(
        "--source", type=Path, default=PROJECT, help="the nodeforge checkout whose hook is measured"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-hook-"))
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    env["PRE_COMMIT_HOME"] = str(args.pre_commit_home or work / "pre-commit-home")
    env.update(GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@b", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@b")
    env.pop("NODEFORGE_HOME", None)
    env.pop("QDRANT_URL", None)
    env.pop("SKIP", None)
    envs = {"with": env, "skipped": dict(env, SKIP="nodeforge-learn"), "without": env}
    bench = Bench("post-commit hook: added time of a real git commit", context=machine())
    try:
        (work / "snapshot").mkdir()
        snapshot = _snapshot((work / "snapshot").resolve(), env, args.source.resolve())
        repos = {
            "with": _repo(work / "with", env, snapshot),
            "skipped": _repo(work / "skipped", env, snapshot),
            "without": _repo(work / "without", env, None),
        }
        names = entity_names((args.rounds + 1) * len(SHAPE))
        report(bench, _rounds(repos, envs, names, args.rounds), _no_node_rounds(repos, envs, args.rounds))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    bench.print_table()
    if args.json:
        bench.write_json(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
