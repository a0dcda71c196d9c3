"""Self-verification: import a node with the repository's own interpreter, run its tests there.

nodeforge runs in its own environment; the node it writes runs in the team's. So the check runs in
a subprocess of the repository's interpreter (``[tool.nodeforge] python``, else the repository's
``.venv``/``venv``, else the interpreter running nodeforge), bounded in time, with the node's import
root first on ``sys.path`` so the files just written are the ones imported. Every failure is named
with the file at fault: an import error with the module imported and the node file where it broke,
a failing test with its id. Nothing fails silently.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nodeforge.errors import InputError
from nodeforge.generation.prune import drop_tests
from nodeforge.learning.runtests import run_bounded
from nodeforge.paths import child_environment
from nodeforge.writer import atomic_write_text

# The node's Python files after a swap -> what they must become for the rest to resolve.
Tidy = Callable[[Mapping[str, str]], Mapping[str, str]]
IMPORT = "import"
TEST = "test"
TIMEOUT = "timeout"

_MARK = "@@nodeforge-imports@@"
# Runs in the repository's interpreter: import each module, report where each failure happened
# (the deepest frame inside the node's folder). It catches everything because it *reports*
# everything: a module that calls sys.exit() at import time must not hide the others' results.
_IMPORT_SCRIPT = """
import importlib, json, sys, traceback
results = {}
for label, module, folder in json.loads(sys.argv[1]):
    try:
        importlib.import_module(module)
    except BaseException as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith(folder)]
        where = getattr(error, "filename", None) if isinstance(error, SyntaxError) else None
        where = where or (frames[-1].filename if frames else "")
        text = " ".join(str(error).split())
        results.setdefault(label, []).append(
            [module, where, type(error).__name__ + (": " + text[:300] if text else "")]
        )
print(MARK + json.dumps(results))
""".replace("MARK", repr(_MARK))


@dataclass(frozen=True)
class Failure:
    """One thing that does not work, with the file at fault (repo-relative; "" when unknown)."""

    kind: str  # IMPORT, TEST or TIMEOUT
    file: str
    what: str  # the module imported, or the test id
    detail: str  # one line


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest test class

    file: str  # repo-relative test module
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class PytestRun:
    outcomes: tuple[TestOutcome, ...]
    timed_out: bool
    detail: str  # pytest's last line, or why it did not finish
    aborted: bool = False  # pytest stopped before reporting anything (a conftest that fails, a bad path)

    def in_files(self, files: Iterable[str]) -> list[TestOutcome]:
        wanted = set(files)
        return [o for o in self.outcomes if o.file in wanted]


@dataclass(frozen=True)
class Verification:
    """What ``generate`` checked in the target repository and what still fails."""

    python: str
    imports: bool
    tests_passed: int = 0
    tests_failed: int = 0
    failures: tuple[Failure, ...] = ()
    replaced: tuple[str, ...] = ()  # node files swapped for their next candidate after a failure
    left_out: tuple[str, ...] = ()  # node files a kept swap left out (a failing borrowed test...)
    dropped_tests: tuple[str, ...] = ()  # "file::test: why" of borrowed tests dropped as failing

    @property
    def ok(self) -> bool:
        return self.imports and not self.failures

    def lines(self) -> list[str]:
        head = "imports" if self.imports else "DOES NOT IMPORT"
        lines = [
            f"  verify ({self.python}): {head}; generated tests: "
            f"{self.tests_passed} passed, {self.tests_failed} failed"
        ]
        lines += [f"  verify: replaced {rel} with its next candidate" for rel in self.replaced]
        lines += [f"  verify: left out {rel}" for rel in self.left_out]
        lines += [f"  verify: dropped failing borrowed test {test}" for test in self.dropped_tests]
        lines += [f"  still fails: {f.kind} {f.file or '?'}: {f.what}: {f.detail}" for f in self.failures]
        return lines


def repo_python(repo: Path, configured: str | None = None) -> str:
    """The interpreter of the repository: configured, else its ``.venv``/``venv``, else ours."""
    if configured:
        path = Path(configured).expanduser()
        path = path if path.is_absolute() else repo / path
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise InputError(f"python {configured}: no executable interpreter at {path}")
        return str(path)
    for venv in (".venv", "venv"):
        candidate = repo / venv / "bin" / "python"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return sys.executable


def import_root(folder: Path) -> Path:
    """The ``sys.path`` entry a package folder is imported from: the first parent without ``__init__``."""
    root = folder.parent
    while (root / "__init__.py").is_file() and root.parent != root:
        root = root.parent
    return root


def _is_test_file(path: Path) -> bool:
    return path.name.startswith("test_") or path.name.endswith("_test.py") or path.name == "conftest.py"


def node_modules(node_dir: Path) -> list[str]:
    """The dotted names of a node folder's modules, tests excluded (pytest imports those)."""
    root = import_root(node_dir)
    modules = []
    for path in sorted(node_dir.rglob("*.py")):
        rel = path.relative_to(node_dir)
        if "tests" in rel.parts or "__pycache__" in rel.parts or _is_test_file(path):
            continue
        parts = path.relative_to(root).with_suffix("").parts
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def node_test_files(node_dir: Path) -> list[Path]:
    return sorted(
        p for p in node_dir.rglob("test*.py") if p.name.startswith("test_") and "__pycache__" not in p.parts
    )


def _pytest_pythonpath(repo: Path) -> list[Path]:
    """``[tool.pytest.ini_options] pythonpath`` of the repository: where its own imports resolve."""
    try:
        document = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # no or unreadable pyproject: the import roots and the repository still apply
    options = document.get("tool", {}).get("pytest", {}).get("ini_options", {})
    entries = options.get("pythonpath", []) if isinstance(options, dict) else []
    entries = [entries] if isinstance(entries, str) else entries
    return [repo / str(entry) for entry in entries if isinstance(entry, str)]


def _environment(repo: Path, roots: Iterable[Path]) -> dict[str, str]:
    """The child's environment: the node's import roots first, then the repository's own paths."""
    env = child_environment()
    paths = [*roots, *_pytest_pythonpath(repo), repo]
    entries = [str(p) for p in dict.fromkeys(paths)]
    if env.get("PYTHONPATH"):
        entries.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(entries)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def check_imports(
    repo: Path, python: str, nodes: Mapping[str, Path], timeout: float
) -> dict[str, list[Failure]]:
    """Import every module of each node (label -> folder) in one subprocess; failures per label."""
    requests = [
        [label, module, str(folder)] for label, folder in nodes.items() for module in node_modules(folder)
    ]
    env = _environment(repo, (import_root(folder) for folder in nodes.values()))
    code, output = run_bounded(
        [python, "-c", _IMPORT_SCRIPT, json.dumps(requests)], cwd=repo, timeout=timeout, env=env
    )
    if code is None:
        why = Failure(TIMEOUT, "", "import", f"importing took longer than {timeout:g} s")
        return {label: [why] for label in nodes}
    reported = [line for line in output.splitlines() if line.startswith(_MARK)]
    if not reported:
        tail = " ".join(output.split())[-300:] or f"exit {code}"
        why = Failure(IMPORT, "", "interpreter", f"{python} could not run the import check: {tail}")
        return {label: [why] for label in nodes}
    results: dict[str, list[list[str]]] = json.loads(reported[-1][len(_MARK) :])
    failures: dict[str, list[Failure]] = {label: [] for label in nodes}
    for label, entries in results.items():
        for module, where, detail in entries:
            file = _relative(Path(where), repo) if where else ""
            failures[label].append(Failure(IMPORT, file, module, detail))
    return failures


def _relative(path: Path, repo: Path) -> str:
    resolved, base = path.resolve(), repo.resolve()
    return resolved.relative_to(base).as_posix() if resolved.is_relative_to(base) else str(path)


def run_pytest(repo: Path, python: str, files: Sequence[Path], timeout: float) -> PytestRun:
    """Run ``files`` with pytest in ``repo`` under ``python``; every test's outcome, per file."""
    if not files:
        return PytestRun((), False, "no tests")
    with tempfile.TemporaryDirectory(prefix="nodeforge-junit-") as scratch:
        report = Path(scratch) / "junit.xml"
        command = [
            python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--continue-on-collection-errors",
            f"--rootdir={repo}", f"--junitxml={report}", "-o", "junit_family=xunit1",
            *(_relative(f, repo) for f in files),
        ]  # fmt: skip
        env = _environment(repo, (import_root(f.parent) for f in files))
        code, output = run_bounded(command, cwd=repo, timeout=timeout, env=env)
        if code is None:
            return PytestRun((), True, f"tests took longer than {timeout:g} s and were killed")
        last = next((line.strip("= ") for line in reversed(output.splitlines()) if line.strip()), "")
        if not report.is_file():
            return PytestRun((), False, last or f"pytest exited {code}", aborted=True)
        return PytestRun(tuple(_outcomes(report, repo, files)), False, last)


def _outcomes(report: Path, repo: Path, files: Sequence[Path]) -> list[TestOutcome]:
    by_dotted = {_relative(f, repo).removesuffix(".py").replace("/", "."): _relative(f, repo) for f in files}
    outcomes = []
    for case in ET.parse(report).getroot().iter("testcase"):
        if case.find("skipped") is not None:
            continue
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        name = case.get("name", "")
        file = case.get("file") or _file_of(f"{case.get('classname', '')}.{name}", by_dotted)
        message = _message(problem) if problem is not None else ""
        outcomes.append(TestOutcome(file, name, problem is None, message))
    return outcomes


_GENERIC = {"", "collection failure"}
_WRAPPED = re.compile(r'(failed on \w+) with "')  # a setup/teardown error around a multi-line report


def _message(problem: ET.Element) -> str:
    """One line on why a test failed: junit's message, or the last ``E `` line of the report where
    the message says nothing (pytest's generic "collection failure": ``ImportError: cannot import
    ...``) or buries it (a missing fixture: ``failed on setup: fixture 'event_bus' not found``)."""
    raw = problem.get("message") or ""
    message = " ".join(raw.split())
    wrapped = _WRAPPED.match(raw) if "\n" in raw.strip() else None
    if message.lower() in _GENERIC or wrapped:
        said = [line[1:].strip() for line in (problem.text or "").splitlines() if line.startswith("E ")]
        last = next((line for line in reversed(said) if line), "")
        if last:
            message = f"{wrapped.group(1)}: {last}" if wrapped else last
    return message[:300]


def _file_of(dotted: str, by_dotted: Mapping[str, str]) -> str:
    matches = [d for d in by_dotted if dotted == d or dotted.startswith(f"{d}.") or f".{d}." in f".{dotted}"]
    return by_dotted[max(matches, key=len)] if matches else ""


@dataclass
class _Attempt:
    imports: list[Failure] = field(default_factory=list)
    tests: PytestRun | None = None


def _attempt(repo: Path, node_dir: Path, python: str, timeout: float) -> _Attempt:
    attempt = _Attempt(check_imports(repo, python, {"node": node_dir}, timeout)["node"])
    if not attempt.imports:
        attempt.tests = run_pytest(repo, python, node_test_files(node_dir), timeout)
    return attempt


def _failures(attempt: _Attempt) -> list[Failure]:
    failures = list(attempt.imports)
    if attempt.tests is not None and attempt.tests.timed_out:
        failures.append(Failure(TIMEOUT, "", "tests", attempt.tests.detail))
    if attempt.tests is not None:
        failures += [Failure(TEST, o.file, o.name, o.detail) for o in attempt.tests.outcomes if not o.passed]
    return failures


def _standing(attempt: _Attempt) -> tuple[bool, int]:
    """How bad an attempt is: not importing is worse than any number of failing tests (a node that
    does not import runs no test, so it would otherwise look like it fails less)."""
    return bool(attempt.imports), len(_failures(attempt))


@dataclass(frozen=True)
class Choices:
    """What self-verification may change in a node that fails, by node-relative path."""

    learned: Mapping[str, Sequence[str]] = field(default_factory=dict)  # next learned candidates
    # The template's version of a file: tried only while the node does not import. A node that
    # imports keeps its learned code; a failing test is no reason to trade it for the template.
    fallbacks: Mapping[str, str] = field(default_factory=dict)
    # Test modules taken from other nodes: a test of theirs that still fails once the code it
    # tests has no candidate left tests the other node, and is dropped (and said).
    borrowed_tests: frozenset[str] = frozenset()
    tidy: Tidy | None = None  # after a swap: the node's files as they must be for the rest to resolve


def verify_node(
    repo: Path, node_dir: Path, python: str, timeout: float, choices: Choices | None = None
) -> Verification:
    """Import ``node_dir`` and run its tests; a file at fault gets its next candidate, then again.

    Code is swapped before tests. A swap is kept only when the node stands better with it (it
    imports where it did not, or fewer things fail); otherwise every file goes back as it was and
    the next candidate is tried. Each candidate is tried once, so the loop ends.
    """
    choices = choices or Choices()
    learned = {rel: list(texts) for rel, texts in choices.learned.items()}
    fallbacks = dict(choices.fallbacks)
    replaced: list[str] = []
    left_out: list[str] = []
    dropped: list[str] = []
    attempt = _attempt(repo, node_dir, python, timeout)
    failures = _failures(attempt)
    while failures:
        broken = bool(attempt.imports)
        swaps = _next_swaps(failures, node_dir, repo, learned, fallbacks if broken else {})
        if not swaps and broken:
            swaps = _unused_broken_modules(failures, node_dir, repo)
        drops: list[Failure] = []
        if not swaps and not broken:
            swaps, drops = _without_failing_tests(failures, node_dir, repo, choices.borrowed_tests)
        if not swaps:
            break
        before = _snapshot(node_dir)
        _apply(node_dir, swaps, choices.tidy)
        retry = _attempt(repo, node_dir, python, timeout)
        if _standing(retry) >= _standing(attempt):
            _restore(node_dir, before)
            if drops:
                break  # dropping failing tests did not help: nothing else is left to try
            continue
        attempt, failures = retry, _failures(retry)
        after = _snapshot(node_dir)
        replaced += [rel for rel in swaps if rel in after and rel not in replaced and not drops]
        left_out += [rel for rel in sorted(set(before) - set(after)) if rel not in left_out]
        dropped += [f"{f.file}::{f.what}: {f.detail}" for f in drops]
    tests_run = attempt.tests.outcomes if attempt.tests is not None else ()
    return Verification(
        python=python,
        imports=not attempt.imports,
        tests_passed=sum(o.passed for o in tests_run),
        tests_failed=sum(not o.passed for o in tests_run),
        failures=tuple(failures),
        replaced=tuple(replaced),
        left_out=tuple(left_out),
        dropped_tests=tuple(dropped),
    )


def _next_swaps(
    failures: Sequence[Failure],
    node_dir: Path,
    repo: Path,
    learned: dict[str, list[str]],
    fallbacks: dict[str, str],
) -> dict[str, str | None]:
    """The next candidate of each file at fault (code first, tests only when no code has one)."""
    pools = {rel for rel, texts in learned.items() if texts} | set(fallbacks)
    at_fault = _at_fault(failures, node_dir, repo, pools)
    code = [rel for rel in sorted(at_fault & pools) if not _is_test_file(Path(rel))]
    tests = [rel for rel in sorted(at_fault & pools) if _is_test_file(Path(rel))]
    return {rel: learned[rel].pop(0) if learned.get(rel) else fallbacks.pop(rel) for rel in (code or tests)}


def _unused_broken_modules(failures: Sequence[Failure], node_dir: Path, repo: Path) -> dict[str, str | None]:
    """Modules that do not import and that no other module of the node imports (support a swapped-out
    handler brought along): left out. A module the contract declares is kept by the standing check
    (its wiring test fails without it)."""
    files = _snapshot(node_dir)
    return {
        rel: None
        for rel in sorted(_not_importing(failures, node_dir, repo))
        if not _is_test_file(Path(rel))
        and not any(_module_named(rel, text) for other, text in files.items() if other != rel)
    }


def _without_failing_tests(
    failures: Sequence[Failure], node_dir: Path, repo: Path, borrowed: frozenset[str]
) -> tuple[dict[str, str | None], list[Failure]]:
    """Borrowed test modules without their failing tests; a module that fails as a whole (it does
    not collect) or keeps no test is left out."""
    failing: dict[str, list[Failure]] = {}
    for failure in failures:
        rel = _node_relative(failure.file, node_dir, repo) if failure.kind == TEST else ""
        if rel in borrowed:
            failing.setdefault(rel, []).append(failure)
    swaps: dict[str, str | None] = {}
    for rel, found in failing.items():
        text = (node_dir / rel).read_text(encoding="utf-8")
        kept = drop_tests(text, {f.what.split("[", 1)[0] for f in found})
        swaps[rel] = None if kept is None or kept == text else kept
    return swaps, [f for found in failing.values() for f in found]


def _snapshot(node_dir: Path) -> dict[str, str]:
    """Every Python file of the node (node-relative path -> text)."""
    return {
        p.relative_to(node_dir).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(node_dir.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def _apply(node_dir: Path, swaps: Mapping[str, str | None], tidy: Tidy | None) -> None:
    files = _snapshot(node_dir)
    for rel, text in swaps.items():
        if text is None:  # leave the file out
            files.pop(rel, None)
        else:
            files[rel] = text
    if tidy is not None:
        files = dict(tidy(files))
    _restore(node_dir, files)


def _restore(node_dir: Path, files: Mapping[str, str]) -> None:
    """Make the node's Python files exactly ``files``: changed ones rewritten, extra ones removed."""
    now = _snapshot(node_dir)
    for rel in set(now) - set(files):
        (node_dir / rel).unlink()
    for rel, text in files.items():
        if now.get(rel) != text:
            (node_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(node_dir / rel, text)


def _at_fault(failures: Sequence[Failure], node_dir: Path, repo: Path, candidates: set[str]) -> set[str]:
    """The node files to blame: where each failure happened; for a failing test also the node
    modules with candidates left that the test module names (the code under test, not only the
    test); and for a module that does not import and has no candidate of its own (a support module
    a learned handler brought along) the modules with candidates that import it."""
    blamed = {_node_relative(f.file, node_dir, repo) for f in failures}
    for test in {rel for f in failures if f.kind == TEST and (rel := _node_relative(f.file, node_dir, repo))}:
        text = _read(node_dir / test)
        if text is not None:  # gone or unreadable: only the test itself is blamed
            blamed.update(rel for rel in candidates if _module_named(rel, text))
    orphans = _not_importing(failures, node_dir, repo) - candidates
    for rel in candidates - blamed:
        text = _read(node_dir / rel)
        if text is not None and any(_module_named(orphan, text) for orphan in orphans):
            blamed.add(rel)
    return blamed


def _not_importing(failures: Sequence[Failure], node_dir: Path, repo: Path) -> set[str]:
    """The node modules (node-relative) that failed to import."""
    return {rel for f in failures if f.kind != TEST and (rel := _node_relative(f.file, node_dir, repo))}


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _module_named(rel: str, text: str) -> bool:
    """Whether ``text`` imports the node module ``rel`` (``handlers/h.py`` as ``handlers.h``)."""
    dotted = rel.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(dotted)}(?![A-Za-z0-9_])", text) is not None


def _node_relative(file: str, node_dir: Path, repo: Path) -> str:
    path = (repo / file).resolve() if file else None
    if path is None or not path.is_relative_to(node_dir.resolve()):
        return ""
    return path.relative_to(node_dir.resolve()).as_posix()
