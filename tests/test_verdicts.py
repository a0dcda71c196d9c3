"""The verdict book (``.nodeforge/verdicts.json``) and the JUnit XML reader."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from nodeforge.errors import InputError
from nodeforge.learning.nodes import discover
from nodeforge.learning.verdicts import (
    KEEP_PER_NODE,
    Outcome,
    Verdict,
    VerdictBook,
    tally,
    verdicts_from_junit,
)


def verdict(node_key: str = "node_user_effect", content_hash: str = "h1", *, passed: bool = True) -> Verdict:
    return Verdict(
        node_key=node_key,
        content_hash=content_hash,
        passed=passed,
        passed_count=2 if passed else 1,
        failed_count=0 if passed else 1,
        error_count=0,
        skipped_count=1,
        recorded_at="2025-01-01T00:00:00+00:00",
        source="pytest",
    )


def test_round_trip_get_latest_all(tmp_path: Path) -> None:
    book = VerdictBook(tmp_path)
    first, second, other = verdict(content_hash="h1"), verdict(content_hash="h2", passed=False), verdict("b")
    book.record([first, second, other])

    reopened = VerdictBook(tmp_path)
    assert reopened.get("node_user_effect", "h1") == first
    assert reopened.get("node_user_effect", "h2") == second
    assert reopened.get("node_user_effect", "h3") is None
    assert reopened.get("missing", "h1") is None
    assert reopened.latest("node_user_effect") == second
    assert reopened.latest("missing") is None
    assert reopened.all() == [other, first, second]


def test_empty_book_reads_empty_and_record_nothing_writes_nothing(tmp_path: Path) -> None:
    book = VerdictBook(tmp_path)
    book.record([])
    assert book.all() == []
    assert not book.path.exists()


def test_same_hash_again_replaces_and_becomes_latest(tmp_path: Path) -> None:
    book = VerdictBook(tmp_path)
    book.record([verdict(content_hash="h1", passed=False), verdict(content_hash="h2")])
    book.record([verdict(content_hash="h1", passed=True)])
    assert [v.content_hash for v in book.all()] == ["h2", "h1"]
    latest = book.latest("node_user_effect")
    assert latest is not None and latest.content_hash == "h1" and latest.passed


def test_history_per_node_is_bounded(tmp_path: Path) -> None:
    book = VerdictBook(tmp_path)
    for index in range(KEEP_PER_NODE + 5):
        book.record([verdict(content_hash=f"h{index}")])
    hashes = [v.content_hash for v in book.all()]
    assert len(hashes) == KEEP_PER_NODE
    assert hashes[0] == "h5" and hashes[-1] == f"h{KEEP_PER_NODE + 4}"


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({"format": 99, "nodes": {}}),
        json.dumps({"format": 1, "nodes": {"a": [{"node_key": "a"}]}}),
        json.dumps({"format": 1, "nodes": {"a": [{**vars(verdict("a")), "passed_count": "2"}]}}),
        json.dumps({"format": 1, "nodes": {"a": [{**vars(verdict("b"))}]}}),
    ],
    ids=["syntax", "format", "missing-fields", "wrong-type", "misfiled"],
)
def test_corrupt_book_is_set_aside_with_a_warning_and_kept(
    tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]
) -> None:
    book = VerdictBook(tmp_path)
    book.path.write_text(content, encoding="utf-8")

    assert book.all() == []
    book.record([verdict()])

    (aside,) = tmp_path.glob("verdicts.json.corrupt-*")
    assert aside.read_text(encoding="utf-8") == content  # never silently discarded
    assert [v.node_key for v in book.all()] == [verdict().node_key]
    assert capsys.readouterr().err.count("warning:") == 1


def _record_many(state_dir: str, worker: int, count: int) -> None:
    book = VerdictBook(Path(state_dir))
    for index in range(count):
        book.record([verdict(f"node_{worker}", f"h{index}")])


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_record_many, args=(str(tmp_path), n, 15)) for n in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=30)
        assert process.exitcode == 0
    book = VerdictBook(tmp_path)
    assert len(book.all()) == 4 * 15
    assert {v.node_key for v in book.all()} == {f"node_{n}" for n in range(4)}
    assert not list(tmp_path.glob(".verdicts.*.tmp"))  # no temp file left behind


def test_verdict_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="source"):
        Verdict("a", "h", True, 1, 0, 0, 0, "t", "nose")
    with pytest.raises(ValueError, match=">= 0"):
        Verdict("a", "h", True, -1, 0, 0, 0, "t", "pytest")


def test_tally_counts_and_needs_a_test_that_ran() -> None:
    assert tally("a", "h", [Outcome.SKIPPED, Outcome.SKIPPED], "pytest") is None
    assert tally("a", "h", [], "pytest") is None
    passed = tally("a", "h", [Outcome.PASSED, Outcome.SKIPPED], "pytest", "t")
    assert passed == Verdict("a", "h", True, 1, 0, 0, 1, "t", "pytest")
    failed = tally("a", "h", [Outcome.PASSED, Outcome.ERROR], "pytest")
    assert failed is not None and not failed.passed and failed.error_count == 1


# -- JUnit ---------------------------------------------------------------------------------------


@pytest.fixture
def node_repo(repo: Path) -> Path:
    node = repo / "node_user_effect"
    (node / "handlers").mkdir(parents=True)
    (node / "node.py").write_text("class NodeUserEffect:\n    pass\n", encoding="utf-8")
    (node / "contract.yaml").write_text("name: user\nnode_type: effect\n", encoding="utf-8")
    (node / "handlers" / "handler_user_create.py").write_text(
        "def create():\n    return 1\n", encoding="utf-8"
    )
    (node / "tests").mkdir()
    (node / "tests" / "test_node.py").write_text("def test_a():\n    pass\n", encoding="utf-8")
    (repo / "tests").mkdir()
    (repo / "tests" / "test_user.py").write_text(
        "from node_user_effect.handlers.handler_user_create import create\n", encoding="utf-8"
    )
    (repo / "tests" / "test_unrelated.py").write_text("import json\n", encoding="utf-8")
    return repo


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="7">
  <testcase classname="tests.test_user" name="test_ok" time="0.1"/>
  <testcase classname="tests.test_user.TestUser" name="test_in_class" time="0.1"/>
  <testcase classname="tests.test_user" name="test_xfail" time="0.1">
    <skipped type="pytest.xfail" message="known"/></testcase>
  <testcase classname="tests.test_user" name="test_skip" time="0.1">
    <skipped type="pytest.skip" message="later"/></testcase>
  <testcase classname="node_user_effect.tests.test_node" name="test_a" time="0.1">%s</testcase>
  <testcase classname="tests.test_unrelated" name="test_x" time="0.1"><failure message="x"/></testcase>
  <testcase classname="tests.test_other" name="test_y" file="tests/test_user.py" time="0.1"/>
</testsuite></testsuites>
"""


def test_junit_maps_cases_to_nodes_and_counts(node_repo: Path) -> None:
    report = node_repo / "report.xml"
    report.write_text(JUNIT % "", encoding="utf-8")
    nodes = discover(node_repo)
    verdicts = verdicts_from_junit(report, node_repo, nodes, recorded_at="t")
    assert verdicts == [Verdict("node_user_effect", nodes[0].content_hash, True, 5, 0, 0, 1, "t", "junit")]


def test_junit_failure_and_error_fail_the_node(node_repo: Path) -> None:
    report = node_repo / "report.xml"
    report.write_text(JUNIT % '<error message="failed on setup"/>', encoding="utf-8")
    [result] = verdicts_from_junit(report, node_repo, discover(node_repo))
    assert not result.passed and result.error_count == 1 and result.failed_count == 0


def test_junit_from_a_subfolder_rootdir_and_explicit_property(node_repo: Path) -> None:
    # pytest ran with rootdir=tests/: classnames lack the "tests." prefix
    report = node_repo / "report.xml"
    report.write_text(
        '<testsuite><testcase classname="test_user" name="t"/>'
        '<testcase classname="elsewhere.test_z" name="u"><properties>'
        '<property name="nodeforge_node" value="node_user_effect"/></properties>'
        '<failure message="boom"/></testcase></testsuite>',
        encoding="utf-8",
    )
    [result] = verdicts_from_junit(report, node_repo, discover(node_repo))
    assert (result.passed_count, result.failed_count) == (1, 1)


def test_junit_unreadable_report_is_input_error(node_repo: Path) -> None:
    report = node_repo / "report.xml"
    report.write_text("<testsuite><testcase", encoding="utf-8")
    with pytest.raises(InputError, match=r"report\.xml"):
        verdicts_from_junit(report, node_repo, discover(node_repo))


def test_a_partial_run_is_partial_when_clean_and_failed_when_not() -> None:
    from nodeforge.learning.verdicts import Outcome, tally

    clean = tally("n", "h", [Outcome.PASSED, Outcome.PASSED], "pytest", partial=True)
    broken = tally("n", "h", [Outcome.PASSED, Outcome.FAILED], "pytest", partial=True)

    assert clean is not None and (clean.passed, clean.partial, clean.status) == (False, True, "partial")
    assert broken is not None and (broken.passed, broken.partial, broken.status) == (False, False, "failed")
