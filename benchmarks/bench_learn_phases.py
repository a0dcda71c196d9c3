"""Where a cold ``learn --all`` spends its CPU: every stage timed inside one serial run.

    NODEFORGE_OMNIMARKET=/path/to/omnimarket python benchmarks/bench_learn_phases.py [--json F]
    python benchmarks/bench_learn_phases.py --repo PATH
    python benchmarks/bench_learn_phases.py --nodes 40      # a generated repository instead

The repository (a git checkout; read only) is copied to a scratch folder and learned in this
process with ``-j 1`` (so every stage runs here, where it can be timed), sparse vectors only and no
test gate. Each stage's engine function is wrapped with a CPU-time counter (``time.process_time``:
the load of other work on a shared machine barely moves it). Stages nest: ``mine_node`` holds the
parse, the extractors and the test shapes; ``gate_patterns`` holds the secret scan and the hazard
check. The floor is the bare ``libcst.parse_module`` of the same files (``ParsedFile.from_text`` is
that parse plus a wrapper). Goal (issue 15): cold ``learn --all`` over omnimarket <= 20 s on 2 cores.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import functools
import importlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import Bench, Result, bench_env, machine, make_repo

# (module, function or Class.method, what it is), outermost first
STAGES = (
    ("nodeforge.learning.nodes", "scan", "discovery (walk + git blob ids)"),
    ("nodeforge.learning.testmap", "link_tests", "test linking"),
    ("nodeforge.learning.extract.miner", "mine_node", "mining, all of it"),
    ("nodeforge.learning.extract.source", "ParsedFile.from_text", "  libcst parse"),
    ("nodeforge.learning.extract.metadata", "AstLinkProvider._gen_impl", "  ast links"),
    ("nodeforge.learning.extract.miner", "mine_file", "  extractors (a sibling's parse may fall in)"),
    ("nodeforge.learning.extract.testshape", "mine_test_shapes", "  test shapes"),
    ("nodeforge.learning.extract.exemplar", "mine_exemplar", "  exemplar"),
    ("nodeforge.learning.extract.build", "_quality", "  quality scores"),
    ("nodeforge.learning.learn", "gate_patterns", "gates, all of them"),
    ("nodeforge.learning.learn", "check_pattern_code", "  secret scan"),
    ("nodeforge.learning.danger", "hazards", "  hazard check"),
    ("nodeforge.learning.idioms", "merge_with_store", "idiom merge"),
    ("nodeforge.storage.driver_store", "DriverStore.upsert", "store upsert"),
)


def _timed(function: Callable[..., Any], name: str, spent: collections.Counter[str]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.process_time() - started

    return wrapper


def _instrument(spent: collections.Counter[str]) -> None:
    """Wrap each stage where it is defined and wherever it was imported by name."""
    for module_name, attr, _label in STAGES:
        module = importlib.import_module(module_name)
        owner_name, _, name = attr.rpartition(".")
        owner = getattr(module, owner_name) if owner_name else module
        original = getattr(owner, name)
        wrapped = _timed(original, attr, spent)
        setattr(owner, name, wrapped)
        if not owner_name:
            for other in list(sys.modules.values()):
                if other is not None and getattr(other, name, None) is original:
                    setattr(other, name, wrapped)


def _learn(repo: Path, state: Path) -> tuple[float, float, dict[str, Any]]:
    """(wall s, CPU s, the report) of one in-process ``learn --all -j 1``."""
    os.environ.update(bench_env(state, embeddings=False))
    from nodeforge.cli.main import main

    out = io.StringIO()
    started, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(out), contextlib.chdir(repo):
        code = main(["learn", "--all", "--no-test-gate", "--json", "-j", "1"])
    if code != 0:
        raise SystemExit(f"learn exited {code}")
    return time.perf_counter() - started, time.process_time() - cpu, json.loads(out.getvalue())


def _source(args: argparse.Namespace, scratch: Path) -> Path | None:
    if args.nodes:
        repo = make_repo(scratch / "generated", args.nodes)
        return repo
    source = args.repo or (
        Path(os.environ["NODEFORGE_OMNIMARKET"]) if "NODEFORGE_OMNIMARKET" in os.environ else None
    )
    if source is None or not (source / ".git").exists():
        return None
    repo = scratch / source.name
    shutil.copytree(source, repo, symlinks=True)
    subprocess.run(["git", "status", "--short"], cwd=repo, capture_output=True, check=True)  # warm the index
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repo", type=Path, default=None, help="default: $NODEFORGE_OMNIMARKET")
    parser.add_argument("--nodes", type=int, default=0, help="learn a generated repository of N nodes")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nodeforge-bench-phases-") as tmp:
        repo = _source(args, Path(tmp))
        if repo is None:
            print("bench_learn_phases: no repository (set NODEFORGE_OMNIMARKET, --repo or --nodes); skipped")
            return
        spent: collections.Counter[str] = collections.Counter()
        _instrument(spent)
        wall, cpu, report = _learn(repo, Path(tmp) / "state")
    bench = Bench(f"cold learn --all -j 1 over {repo.name}: CPU by stage", context=machine())
    bench.context["patterns stored"] = str(report.get("patterns_new", ""))
    bench.add(Result("whole learn, wall", wall, "s", target="<= 20 s sparse on 2 cores (-j 2)"))
    bench.add(Result("whole learn, CPU", cpu, "s"))
    for _module, attr, label in STAGES:
        bench.add(Result(label, spent[attr], "s", note=attr))
    parse = max(spent["ParsedFile.from_text"], 1e-9)
    bench.add(Result("mining / libcst parse", spent["mine_node"] / parse, "x", target="extraction <= 2.5x"))
    bench.print_table()
    if args.json:
        bench.write_json(args.json)


if __name__ == "__main__":
    sys.exit(main())
