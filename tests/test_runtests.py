"""``nodeforge learn --run-tests`` and ``learn --since REV --junit``: verdicts that arrive from runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nodeforge.cli.main import main
from nodeforge.learning.nodes import discover
from nodeforge.learning.runtests import NO_TESTS, TIMED_OUT, TestRunner
from nodeforge.learning.verdicts import VerdictBook
from nodeforge.paths import state_dir
from tests.fixtures.repo_factory import NODES_DIR, NodeSpec, write_base, write_node
from tests.gitkit import commit_all

GOOD = NodeSpec("payment", "effect", ("create", "get"))
BAD = NodeSpec("refund", "compute", ("transform",))
SLOW_TEST = """
import os, pathlib, time

def test_slow():
    pathlib.Path(os.environ["PID_FILE"]).write_text(str(os.getpid()))
    time.sleep(60)
"""


def _learn(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["learn", *args, "--json", "--no-embed", "--repo", str(repo)]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


@pytest.fixture
def team(repo: Path) -> Path:
    write_base(repo)
    (repo / ".gitignore").write_text(".nodeforge/\n__pycache__/\n", encoding="utf-8")
    return repo


def test_run_tests_learns_passing_nodes_and_reports_failing_ones(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = write_node(team, GOOD), write_node(team, BAD, failing=True)
    commit_all(team, "nodes")
    waiting = _learn(team, capsys, "--all")
    assert sorted(waiting["pending"]) == [good, bad]
    assert waiting["test_runs"] == []

    report = _learn(team, capsys, "--all", "--run-tests")

    assert report["learned"] == [good]
    assert [bad, "its tests failed for this content"] in report["skipped"]
    runs = {run["node_key"]: run for run in report["test_runs"]}
    assert runs[good]["status"] == "passed" and runs[good]["returncode"] == 0
    assert runs[bad]["status"] == "failed" and "1 failed" in runs[bad]["detail"]
    assert runs[good]["test_files"] == [
        f"{good}/tests/test_handler_payment_create.py",
        f"{good}/tests/test_handler_payment_get.py",
    ]
    assert report["patterns_new"] > 0
    sources = {v.node_key: v.source for v in VerdictBook(state_dir(team)).all()}
    assert sources == {good: "pytest", bad: "pytest"}  # recorded by the plugin in the subprocess


def test_a_run_over_test_timeout_is_killed_and_the_node_waits(
    team: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = write_node(team, GOOD)
    (team / key / "tests" / "test_slow.py").write_text(SLOW_TEST, encoding="utf-8")
    pyproject = team / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace("[tool.nodeforge]\n", "[tool.nodeforge]\ntest_timeout = 3\n"), "utf-8")
    commit_all(team, "a node with a hanging test")
    pid_file = team.parent / "pid"
    monkeypatch.setenv("PID_FILE", str(pid_file))

    report = _learn(team, capsys, "--all", "--run-tests")

    [run] = report["test_runs"]
    assert run["status"] == TIMED_OUT and run["returncode"] is None
    assert run["seconds"] >= 3  # killed at the timeout, not before
    assert report["learned"] == [] and report["pending"] == [key]
    assert "tests timed out after 3 s and were killed" in report["pending_reasons"][key]
    pid = int(pid_file.read_text(encoding="utf-8"))
    assert not Path(f"/proc/{pid}").exists(), "the pytest process was killed and reaped"


def test_a_node_without_tests_is_reported(team: Path) -> None:
    key = write_node(team, GOOD, with_tests=False)
    [node] = [n for n in discover(team) if n.key == key]
    run, _output = TestRunner(team, node_paths=(NODES_DIR,), timeout=5).run(node)
    assert run.status == NO_TESTS and run.test_files == ()


def test_ci_learns_from_a_real_junit_report(team: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = commit_all(team, "base")
    good, bad = write_node(team, GOOD), write_node(team, BAD, failing=True)
    commit_all(team, "two nodes")
    report_xml = team.parent / "report.xml"
    # CI runs the tests without the plugin and hands over the JUnit XML instead
    tests = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:nodeforge",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report_xml}",
        ],
        cwd=team,
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ),
    )
    assert tests.returncode == 1 and "1 failed" in tests.stdout, tests.stdout
    assert not VerdictBook(state_dir(team)).all()

    report = _learn(team, capsys, "--since", base, "--junit", str(report_xml))

    assert report["learned"] == [good]
    assert [bad, "its tests failed for this content"] in report["skipped"]
    verdicts = {v.node_key: v for v in VerdictBook(state_dir(team)).all()}
    assert verdicts[good].passed and verdicts[good].source == "junit"
    assert verdicts[good].passed_count == 5  # create: 3 tests, get: 2 tests
    assert not verdicts[bad].passed and verdicts[bad].failed_count == 1
