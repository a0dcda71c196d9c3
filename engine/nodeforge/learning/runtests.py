"""``nodeforge learn --run-tests``: run a pending node's tests, bounded in time, so a verdict arrives.

The tests run the way a developer would run them, ``python -m pytest --nodeforge <test files>`` in the
repository, in a subprocess of the Python running nodeforge (so the plugin is installed there; the
project's own dependencies must be too). The plugin records the verdict, filed under the content the
tests ran against; ``learn`` then looks it up like any other verdict. A run that exceeds
``[tool.nodeforge] test_timeout`` is killed with its whole process group (pytest-xdist workers
included) and reported; the node stays pending.

A node's test files are the ones the plugin would attribute to it: test modules inside the node, and
test modules elsewhere in the repository that import it (``nodeforge.learning.testmap``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from nodeforge.learning.nodes import SKIP_DIRS, NodeSource, discover
from nodeforge.paths import child_environment

PASSED = "passed"
FAILED = "failed"
TIMED_OUT = "timed-out"
NO_TESTS = "no-tests"
NO_VERDICT = "no-verdict"  # pytest ran but recorded nothing for this content (all skipped, edited...)

_OUTPUT_TAIL = 4000  # characters of pytest output kept for the report


@dataclass(frozen=True)
class TestRun:
    """One run of one node's tests."""

    __test__ = False  # not a pytest test class, whatever its name

    node_key: str
    status: str  # PASSED, FAILED, TIMED_OUT, NO_TESTS or NO_VERDICT
    test_files: tuple[str, ...]  # repo-relative
    returncode: int | None  # None when killed or not started
    seconds: float
    detail: str  # one line for the user: pytest's last line, or why nothing ran


def _is_test_module(path: Path) -> bool:
    return path.suffix == ".py" and (path.name.startswith("test_") or path.stem.endswith("_test"))


def test_modules(repo: Path) -> Iterator[Path]:
    """Every pytest-style test module of the repository, skipping caches and virtualenvs."""
    for current, dirs, files in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(current) / name
            if _is_test_module(path):
                yield path


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1].strip("= ") if lines else ""


class TestRunner:
    """Runs nodes' tests in ``repo``. Build one per ``learn`` run: the test index is built once."""

    __test__ = False

    def __init__(
        self,
        repo: Path,
        *,
        node_paths: Sequence[str] = (".",),
        timeout: float = 300.0,
        python: str = sys.executable,
    ) -> None:
        self.repo = repo.resolve()
        self.timeout = timeout
        self.python = python
        self._node_paths = tuple(node_paths)
        self._index: dict[str, list[Path]] | None = None

    def test_files(self, node: NodeSource) -> list[Path]:
        """The test modules the plugin would attribute to ``node``."""
        return list(self._test_index().get(node.key, []))

    def _test_index(self) -> dict[str, list[Path]]:
        if self._index is None:
            from nodeforge.learning.testmap import NodeMapper  # libcst: only when tests are to be run

            nodes = discover(self.repo, [self.repo / p for p in self._node_paths])
            mapper = NodeMapper(self.repo, nodes)
            index: dict[str, list[Path]] = {}
            for module in test_modules(self.repo):
                for owner in mapper.nodes_for_test_file(module):
                    index.setdefault(owner.key, []).append(module)
            self._index = index
        return self._index

    def command(self, files: Sequence[Path]) -> list[str]:
        relative = [path.relative_to(self.repo).as_posix() for path in files]
        return [self.python, "-m", "pytest", "--nodeforge", "-q", "-p", "no:cacheprovider", *relative]

    def run(self, node: NodeSource) -> tuple[TestRun, str]:
        """Run ``node``'s tests; returns the run (status PASSED/FAILED only by exit code) and the output.

        Whether the node may be learned is decided by the verdict the plugin recorded, not by the
        exit code: a test of another node in the same file may be the one that failed.
        """
        files = self.test_files(node)
        rel = tuple(path.relative_to(self.repo).as_posix() for path in files)
        if not files:
            return TestRun(node.key, NO_TESTS, (), None, 0.0, "no test module tests this node"), ""
        started = time.perf_counter()
        returncode, output = run_bounded(self.command(files), cwd=self.repo, timeout=self.timeout)
        seconds = time.perf_counter() - started
        if returncode is None:
            detail = f"tests timed out after {self.timeout:g} s and were killed"
            return TestRun(node.key, TIMED_OUT, rel, None, seconds, detail), output[-_OUTPUT_TAIL:]
        status = PASSED if returncode == 0 else FAILED
        detail = _last_line(output) or f"pytest exited {returncode}"
        return TestRun(node.key, status, rel, returncode, seconds, detail), output[-_OUTPUT_TAIL:]


def run_bounded(
    command: Sequence[str], *, cwd: Path, timeout: float, env: Mapping[str, str] | None = None
) -> tuple[int | None, str]:
    """Run ``command`` (stdout and stderr together); the exit code is ``None`` when it was killed.

    The command gets a session of its own: on timeout the whole group goes (pytest-xdist workers,
    anything a test started), so nothing outlives the bound.
    """
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=child_environment() if env is None else dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        output, _ = process.communicate()
        return None, output
    return process.returncode, output


def _kill_group(process: subprocess.Popen[str]) -> None:
    """Kill the process group this runner started (its id is the child's pid: start_new_session)."""
    with contextlib.suppress(ProcessLookupError):  # it ended between the timeout and the kill
        os.killpg(process.pid, signal.SIGKILL)
