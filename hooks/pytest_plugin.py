"""The nodeforge pytest plugin: records whether each node's tests passed, for its exact content.

Installed as the ``pytest11`` entry point ``nodeforge``, so pytest imports this module in every session
of an environment that has nodeforge installed. Unless enabled (``--nodeforge`` or the ini option
``nodeforge = true``) it only registers that option and the ``nodeforge_node`` marker: no other hooks
run, nothing heavy is imported, nothing is written or printed.

When enabled:

* at session start it discovers the repo's nodes and their content hashes;
* every test report (setup / call / teardown, and failed collections) is folded into one outcome per
  test; on pytest-xdist the workers only tag reports with their ``nodeforge_node`` markers and the
  controller, which receives every report, does the rest;
* at session finish each test is mapped to its nodes (marker, else ``nodeforge.learning.testmap``), and one
  verdict per node whose tests ran is written to ``<repo>/.nodeforge/verdicts.json`` (or
  ``$NODEFORGE_HOME``) — but only for nodes whose files are unchanged since the session started, so a
  verdict is never attributed to content the tests did not run against.
"""

# Imports of nodeforge modules live inside the hooks: this module is imported by every pytest session
# of the environment and must cost nothing when the plugin is off.

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Generator, Sequence

    from nodeforge.learning.nodes import NodeSource
    from nodeforge.learning.testmap import NodeMapper
    from nodeforge.learning.verdicts import Outcome, Verdict

MARKER = "nodeforge_node"
_REPORT_ATTRIBUTE = "nodeforge_nodes"  # marker values carried on a report from an xdist worker
_RECORDER_NAME = "nodeforge-recorder"
_TAGGER_NAME = "nodeforge-marker-tagger"
_FEEDBACK_MODULE = "nodeforge.generation.provenance"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nodeforge", "nodeforge: record test verdicts per node")
    group.addoption(
        "--nodeforge",
        action="store_true",
        default=False,
        help="record whether each node's tests passed in .nodeforge/verdicts.json",
    )
    parser.addini("nodeforge", type="bool", default=False, help="record nodeforge verdicts (as --nodeforge)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(node): the nodeforge node (folder name or repo-relative key) this test tests",
    )
    if not _enabled(config):
        return
    config.pluginmanager.register(_MarkerTagger(), _TAGGER_NAME)
    if not hasattr(config, "workerinput"):  # xdist workers report to the controller; only it writes
        config.pluginmanager.register(_Recorder(config), _RECORDER_NAME)


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("nodeforge", default=False)) or bool(config.getini("nodeforge"))


class _MarkerTagger:
    """Copies a test's ``nodeforge_node`` marker values onto its reports (xdist ships them over)."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report: pytest.TestReport = yield
        names = [str(value) for marker in item.iter_markers(MARKER) for value in _marker_values(marker)]
        if names:
            setattr(report, _REPORT_ATTRIBUTE, names)
        return report


def _marker_values(marker: pytest.Mark) -> list[object]:
    values = list(marker.args)
    if "node" in marker.kwargs:
        values.append(marker.kwargs["node"])
    return values


@dataclass
class _TestRecord:
    """What the session saw of one test (or of one failed collection)."""

    path: Path
    outcome: Outcome | None = None
    marker_nodes: set[str] = field(default_factory=set)


@dataclass
class _Summary:
    recorded: list[Verdict] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unknown_markers: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


class _Recorder:
    """Aggregates outcomes in the process that writes verdicts (serial run, or xdist controller)."""

    def __init__(self, config: pytest.Config) -> None:
        self._config = config
        self._tests: dict[str, _TestRecord] = {}
        self._repo: Path | None = None
        self._start_nodes: dict[str, NodeSource] = {}
        self._summary = _Summary()
        self._interrupted = False
        self._deselected: list[_TestRecord] = []

    # -- collecting --------------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        from nodeforge.config import load_settings
        from nodeforge.errors import NodeforgeError
        from nodeforge.learning.nodes import discover
        from nodeforge.paths import find_repo_root

        repo = find_repo_root(self._config.rootpath)
        try:
            settings = load_settings(repo)  # [tool.nodeforge] node_paths: where the nodes are
        except NodeforgeError as error:
            self._summary.problems.append(f"verdicts not recorded: {error}")
            return
        self._repo = repo
        # hashes now, before any test runs: a verdict is only ever filed under the content it tested
        self._start_nodes = {node.key: node for node in discover(repo, settings.node_roots)}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = _phase_outcome(report)
        record = self._tests.get(report.nodeid)
        if record is None:
            record = self._tests[report.nodeid] = _TestRecord(self._config.rootpath / report.location[0])
        record.marker_nodes.update(getattr(report, _REPORT_ATTRIBUTE, ()))
        if outcome is not None:
            record.outcome = outcome if record.outcome is None else max(record.outcome, outcome)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # a test module that cannot even be imported (say, a node with a syntax error) is an error
        if report.failed:
            from nodeforge.learning.verdicts import Outcome

            path = self._config.rootpath / report.nodeid.split("::")[0]
            self._tests[f"{report.nodeid}::<collect>"] = _TestRecord(path, Outcome.ERROR)

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        # -k, -m, --deselect and --lf: these tests do not run, so their nodes are not certified
        for item in items:
            names = {str(value) for marker in item.iter_markers(MARKER) for value in _marker_values(marker)}
            self._deselected.append(_TestRecord(item.path, marker_nodes=names))

    def _filtered_blindly(self) -> bool:
        """Tests were left out in a way no per-test event reports.

        ``--lf`` skips whole files that had no failure without a word; under xdist the controller
        never sees the workers' deselections. Then no node of the session is certified.
        """
        options = self._config.option
        selected = any(getattr(options, name, None) for name in ("keyword", "markexpr", "deselect"))
        return bool(getattr(options, "lf", False)) or (
            selected and not self._deselected and _is_xdist(self._config)
        )

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # Ctrl-C and pytest.exit() cut tests short; Session.Interrupted (collection errors, stepwise)
        # is how pytest stops a session early on purpose, like -x: what ran is still a verdict
        if not excinfo.errisinstance(pytest.Session.Interrupted):
            self._interrupted = True

    # -- recording ---------------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from nodeforge.errors import NodeforgeError

        if self._repo is None:
            return
        # a keyboard interrupt cuts a node's tests short at random; collection errors that stop the
        # session (also exit status 2) are still recorded: they are real failures of real content
        if self._interrupted:
            self._summary.problems.append("session interrupted; no verdicts recorded")
            return
        try:
            verdicts = self._verdicts()
            self._write(verdicts)
        except (NodeforgeError, OSError) as error:
            self._summary.problems.append(f"verdicts not recorded: {error}")
            return
        self._summary.recorded = verdicts
        self._feedback(verdicts)

    def _verdicts(self) -> list[Verdict]:
        from nodeforge.learning.testmap import NodeMapper
        from nodeforge.learning.verdicts import now_iso, tally

        assert self._repo is not None
        mapper = NodeMapper(self._repo, list(self._start_nodes.values()))
        outcomes: dict[str, list[Outcome]] = {}
        by_file: dict[Path, list[NodeSource]] = {}  # many tests share a file: map each file once
        for record in self._tests.values():
            if record.outcome is None:
                continue
            for node in self._nodes_of(record, mapper, by_file):
                outcomes.setdefault(node.key, []).append(record.outcome)
        left_out = {
            node.key for record in self._deselected for node in self._nodes_of(record, mapper, by_file)
        }
        blind = self._filtered_blindly()
        stamp = now_iso()
        verdicts: list[Verdict] = []
        for key in sorted(outcomes):
            start = self._start_nodes[key]
            if not _unchanged(start, self._repo):
                self._summary.changed.append(key)
                continue
            partial = blind or key in left_out
            verdict = tally(key, start.content_hash, outcomes[key], "pytest", stamp, partial=partial)
            if verdict is not None:
                verdicts.append(verdict)
        return verdicts

    def _nodes_of(
        self, record: _TestRecord, mapper: NodeMapper, by_file: dict[Path, list[NodeSource]]
    ) -> list[NodeSource]:
        if not record.marker_nodes:
            if record.path not in by_file:
                by_file[record.path] = mapper.nodes_for_test_file(record.path)
            return by_file[record.path]
        named: dict[str, NodeSource] = {}
        for name in sorted(record.marker_nodes):
            found = mapper.nodes_named(name)
            if not found:
                self._summary.unknown_markers.add(name)
            named.update((node.key, node) for node in found)
        return list(named.values())

    def _write(self, verdicts: list[Verdict]) -> None:
        from nodeforge.learning.verdicts import VerdictBook
        from nodeforge.paths import state_dir

        assert self._repo is not None
        if verdicts:
            VerdictBook(state_dir(self._repo)).record(verdicts)

    def _feedback(self, verdicts: list[Verdict]) -> None:
        """Let the patterns that generated nodes used gain or lose credit (once provenance exists)."""
        from nodeforge.errors import NodeforgeError

        verdicts = [verdict for verdict in verdicts if not verdict.partial]  # half a run credits nothing
        if not verdicts or importlib.util.find_spec(_FEEDBACK_MODULE) is None:
            return
        apply_feedback = getattr(importlib.import_module(_FEEDBACK_MODULE), "apply_feedback", None)
        if not callable(apply_feedback):
            return
        try:
            apply_feedback(self._repo, verdicts)
        except (NodeforgeError, OSError, ImportError, ValueError, KeyError) as error:
            # best effort: the verdicts are safely recorded, and a test run must never crash here
            self._summary.problems.append(f"feedback not applied: {error}")

    # -- reporting ---------------------------------------------------------------------------------

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        summary = self._summary
        passed = sum(1 for verdict in summary.recorded if verdict.passed)
        partial = sum(1 for verdict in summary.recorded if verdict.partial)
        failed = len(summary.recorded) - passed - partial
        count = len(summary.recorded)
        terminalreporter.write_line(
            f"nodeforge: verdicts recorded for {count} nodes ({passed} passed, {failed} failed)"
            + (f"; {partial} partial (tests deselected), not certified" if partial else "")
        )
        if summary.changed:
            terminalreporter.write_line(
                f"nodeforge: not recorded, changed during the session: {', '.join(summary.changed)}"
            )
        if summary.unknown_markers:
            names = ", ".join(sorted(summary.unknown_markers))
            terminalreporter.write_line(f"nodeforge: {MARKER} marker names unknown nodes: {names}")
        for problem in summary.problems:
            terminalreporter.write_line(f"nodeforge: {problem}")


def _phase_outcome(report: pytest.TestReport) -> Outcome | None:
    """One phase's contribution to its test's outcome (None: it says nothing, like a passed setup)."""
    from nodeforge.learning.verdicts import Outcome

    expected_failure = hasattr(report, "wasxfail")
    if report.when == "call":
        if report.passed:
            return Outcome.PASSED  # includes a non-strict XPASS
        if report.skipped:
            return Outcome.PASSED if expected_failure else Outcome.SKIPPED
        return Outcome.FAILED  # includes a strict XPASS
    if report.when in ("setup", "teardown"):
        if report.failed:
            return Outcome.ERROR
        if report.skipped:
            # xfail(run=False) skips in setup: the test is expected to fail and is not run
            return Outcome.PASSED if expected_failure else Outcome.SKIPPED
        return None
    # xdist reports a test whose worker crashed with when="???"
    return Outcome.FAILED if report.failed else None


def _unchanged(node: NodeSource, repo: Path) -> bool:
    from nodeforge.learning.nodes import DIRECTORY, UnknownNodeType, load_directory_node, load_module_node

    try:
        if node.layout == DIRECTORY:
            if not node.root.is_dir():
                return False
            now: NodeSource | None = load_directory_node(node.root, repo)
        else:
            now = load_module_node(node.root, repo)
    except (OSError, UnknownNodeType):  # gone, or its contract no longer names a known type
        return False
    return now is not None and now.content_hash == node.content_hash


def _is_xdist(config: pytest.Config) -> bool:
    """This process is an xdist controller: the workers collect and deselect, not it."""
    return config.pluginmanager.has_plugin("dsession")
