"""The verdict book: ``.nodeforge/verdicts.json``, whether a node's tests passed for one content hash.

A verdict belongs to one exact content hash of a node's files (``NodeSource.content_hash``): editing a
node makes its old verdicts irrelevant to the new content, which waits for a verdict of its own.

File layout (``format`` 1)::

    {"format": 1, "nodes": {"<node key>": [<verdict>, ...]}}

Each node keeps its verdicts oldest first, one per content hash (recording a hash again replaces its
entry and moves it to the end), at most ``KEEP_PER_NODE`` of them so the file does not grow forever.
Writers take an ``fcntl`` lock on ``verdicts.json.lock`` and replace the file atomically, so readers
never see a half-written file and concurrent writers (two pytest runs, a hook) never lose verdicts.
"""

from __future__ import annotations

import contextlib
import enum
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from xml.etree import ElementTree

from nodeforge.errors import InputError, NodeforgeError
from nodeforge.filelock import locked
from nodeforge.learning.nodes import NodeSource
from nodeforge.statefile import set_aside
from nodeforge.writer import atomic_write_text

VERDICTS_FILE = "verdicts.json"
FORMAT = 1
KEEP_PER_NODE = 20
LOCK_TIMEOUT_SECONDS = 30.0
SOURCES = frozenset({"pytest", "junit", "run-tests"})

_T = TypeVar("_T")


class Outcome(enum.IntEnum):
    """One test's outcome. Ordered so that ``max`` combines the phases of one test (worst wins)."""

    SKIPPED = 0  # neither passes nor fails the node
    PASSED = 1  # passed, or failed as expected (xfail)
    ERROR = 2  # failed in setup or teardown, or its module failed to import
    FAILED = 3


@dataclass(frozen=True)
class Verdict:
    """The result of one node's tests for one exact content hash."""

    node_key: str
    content_hash: str
    passed: bool
    passed_count: int
    failed_count: int
    error_count: int
    skipped_count: int
    recorded_at: str  # ISO-8601 UTC
    source: str  # "pytest", "junit" or "run-tests"
    # Some of the node's tests were deselected (-k, -m, --deselect, --lf): what ran passed, but that
    # certifies nothing. Never together with ``passed``; a failure in a partial run is a failure.
    partial: bool = False

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"verdict source {self.source!r} is not one of {', '.join(sorted(SOURCES))}")
        counts = (self.passed_count, self.failed_count, self.error_count, self.skipped_count)
        if any(count < 0 for count in counts):
            raise ValueError(f"verdict counts must be >= 0, got {counts}")
        if not self.node_key or not self.content_hash:
            raise ValueError("verdict needs a node key and a content hash")
        if self.partial and self.passed:
            raise ValueError("a partial verdict certifies nothing: it cannot be passed")

    @property
    def status(self) -> str:
        """``passed``, ``failed`` or ``partial``."""
        return "passed" if self.passed else "partial" if self.partial else "failed"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def tally(
    node_key: str,
    content_hash: str,
    outcomes: Iterable[Outcome],
    source: str,
    recorded_at: str | None = None,
    *,
    partial: bool = False,
) -> Verdict | None:
    """The verdict of a node whose tests had ``outcomes``; None when none of them ran (all skipped)."""
    counts = dict.fromkeys(Outcome, 0)
    for outcome in outcomes:
        counts[outcome] += 1
    if counts[Outcome.PASSED] + counts[Outcome.FAILED] + counts[Outcome.ERROR] == 0:
        return None
    clean = counts[Outcome.FAILED] == 0 and counts[Outcome.ERROR] == 0
    return Verdict(
        node_key=node_key,
        content_hash=content_hash,
        passed=clean and not partial,
        partial=clean and partial,
        passed_count=counts[Outcome.PASSED],
        failed_count=counts[Outcome.FAILED],
        error_count=counts[Outcome.ERROR],
        skipped_count=counts[Outcome.SKIPPED],
        recorded_at=recorded_at or now_iso(),
        source=source,
    )


class VerdictBook:
    """``<state_dir>/verdicts.json``: record and look up verdicts. Safe across processes."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / VERDICTS_FILE
        self._lock_path = state_dir / (VERDICTS_FILE + ".lock")

    def record(self, verdicts: Iterable[Verdict]) -> None:
        """Add ``verdicts``; a verdict for a (node, hash) already in the book replaces the old one."""
        new = list(verdicts)
        if not new:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            book = self._read()
            for verdict in new:
                history = [
                    v for v in book.get(verdict.node_key, []) if v.content_hash != verdict.content_hash
                ]
                history.append(verdict)
                book[verdict.node_key] = history[-KEEP_PER_NODE:]
            self._write(book)

    def get(self, node_key: str, content_hash: str) -> Verdict | None:
        for verdict in self._read().get(node_key, []):
            if verdict.content_hash == content_hash:
                return verdict
        return None

    def latest(self, node_key: str) -> Verdict | None:
        history = self._read().get(node_key, [])
        return history[-1] if history else None

    def all(self) -> list[Verdict]:
        book = self._read()
        return [verdict for key in sorted(book) for verdict in book[key]]

    # -- the file --------------------------------------------------------------------------------

    def _read(self) -> dict[str, list[Verdict]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except UnicodeDecodeError:
            set_aside(self.path, "not UTF-8 text")
            return {}
        except OSError as error:
            raise NodeforgeError(f"cannot read verdict book {self.path}: {error}") from error
        try:
            return _parse_book(json.loads(text))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            # verdicts are rebuilt by the next test run: set the book aside, warn once, go on
            set_aside(self.path, str(error) or type(error).__name__)
            return {}

    def _write(self, book: dict[str, list[Verdict]]) -> None:
        document = {
            "format": FORMAT,
            "nodes": {key: [_verdict_to_json(v) for v in book[key]] for key in sorted(book)},
        }
        atomic_write_text(self.path, json.dumps(document, indent=1, sort_keys=True) + "\n")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive lock on the book's lock file, waiting at most ``LOCK_TIMEOUT_SECONDS``."""
        with locked(self._lock_path, f"verdict book {self.path}", LOCK_TIMEOUT_SECONDS):
            yield


def _verdict_to_json(verdict: Verdict) -> dict[str, Any]:
    return asdict(verdict)


def _parse_book(document: Any) -> dict[str, list[Verdict]]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"expected an object with format {FORMAT}")
    nodes = document["nodes"]
    if not isinstance(nodes, dict):
        raise TypeError("'nodes' must be an object")
    book: dict[str, list[Verdict]] = {}
    for key, entries in nodes.items():
        if not isinstance(entries, list):
            raise TypeError(f"verdicts of {key!r} must be a list")
        book[key] = [_verdict_from_json(key, entry) for entry in entries]
    return book


def _verdict_from_json(node_key: str, entry: Any) -> Verdict:
    if not isinstance(entry, dict):
        raise TypeError(f"a verdict of {node_key!r} is not an object")
    verdict = Verdict(
        node_key=_typed(entry, "node_key", str),
        content_hash=_typed(entry, "content_hash", str),
        passed=_typed(entry, "passed", bool),
        passed_count=_typed(entry, "passed_count", int),
        failed_count=_typed(entry, "failed_count", int),
        error_count=_typed(entry, "error_count", int),
        skipped_count=_typed(entry, "skipped_count", int),
        recorded_at=_typed(entry, "recorded_at", str),
        source=_typed(entry, "source", str),
        partial=_typed(entry, "partial", bool) if "partial" in entry else False,
    )
    if verdict.node_key != node_key:
        raise ValueError(f"a verdict filed under {node_key!r} names node {verdict.node_key!r}")
    return verdict


def _typed(entry: dict[str, Any], field: str, kind: type[_T]) -> _T:
    value = entry[field]
    # bool is an int in Python; a count of True is as corrupt as a count of "3"
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"field {field!r} must be {kind.__name__}, got {value!r}")
    return value


# -- JUnit XML -----------------------------------------------------------------------------------


def verdicts_from_junit(
    xml_path: Path,
    repo: Path,
    nodes: Sequence[NodeSource],
    *,
    rootdir: Path | None = None,
    recorded_at: str | None = None,
) -> list[Verdict]:
    """Verdicts from a JUnit XML report (pytest's ``--junitxml``), one per node with tests that ran.

    Each ``<testcase>`` is mapped to its test file by its ``file`` attribute or its dotted
    ``classname`` (relative to ``rootdir``, the repo root, ``src/``, or any test file whose path ends
    the same way), then to nodes with ``nodeforge.learning.testmap``. A ``<property name="nodeforge_node">``
    on a test case names its node explicitly, like the pytest marker. The verdicts carry the nodes'
    current content hashes: read the report in the checkout that produced it.
    """
    # libcst only when a report is read: the plugin imports this module in every enabled session
    from nodeforge.learning.testmap import NodeMapper, TestFileLocator

    try:
        tree = ElementTree.parse(xml_path)
    except (OSError, ElementTree.ParseError) as error:
        raise InputError(f"cannot read JUnit report {xml_path}: {error}") from error
    mapper = NodeMapper(repo, nodes)
    locator = TestFileLocator(repo.resolve(), rootdir.resolve() if rootdir else None)
    outcomes: dict[str, list[Outcome]] = {}
    for case in tree.getroot().iter("testcase"):
        explicit = [
            prop.get("value", "")
            for prop in case.iter("property")
            if prop.get("name") == "nodeforge_node" and prop.get("value")
        ]
        if explicit:
            case_nodes = [node for name in explicit for node in mapper.nodes_named(name)]
        else:
            test_file = locator.locate(case.get("file"), case.get("classname", ""))
            case_nodes = mapper.nodes_for_test_file(test_file) if test_file else []
        outcome = _junit_outcome(case)
        for node in {node.key: node for node in case_nodes}.values():
            outcomes.setdefault(node.key, []).append(outcome)
    stamp = recorded_at or now_iso()
    hashes = {node.key: node.content_hash for node in nodes}
    found = (tally(key, hashes[key], outcomes[key], "junit", stamp) for key in sorted(outcomes))
    return [verdict for verdict in found if verdict is not None]


def _junit_outcome(case: ElementTree.Element) -> Outcome:
    tags = {child.tag: child for child in case}
    if "failure" in tags:
        return Outcome.FAILED
    if "error" in tags:
        return Outcome.ERROR
    skipped = tags.get("skipped")
    if skipped is not None:
        # pytest writes an expected failure as <skipped type="pytest.xfail">: it behaved as expected
        return Outcome.PASSED if skipped.get("type") == "pytest.xfail" else Outcome.SKIPPED
    return Outcome.PASSED
