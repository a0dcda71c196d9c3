"""The pytest plugin, run on small repos inside pytester's folder.

Where verdicts go: ``tests/conftest.py`` unsets ``NODEFORGE_HOME``, so every run here writes to
``<repo>/.nodeforge/verdicts.json``, where ``<repo>`` is the git repo ``<pytester.path>/repo`` (not
pytester.path itself: pytester points ``HOME`` there, and conftest guards ``$HOME/.nodeforge``), and
the tests read that file. The runs happen with ``<repo>`` as working directory; its ``conftest.py``
puts it on ``sys.path`` as pytest's rootdir conftest does in real repos. In-process runs
(``runpytest``) are used where they suffice; subprocess runs where isolation matters (xdist, the
import-cost check).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nodeforge.generation.provenance import GeneratedNode, generated_nodes, record_generated
from nodeforge.learning.nodes import discover
from nodeforge.learning.verdicts import Verdict, VerdictBook, verdicts_from_junit
from nodeforge.storage.edge import open_embedded
from tests.storekit import make_pattern

NODE = "node_user_effect"
OUTSIDE_TEST = """
from node_user_effect.handlers.handler_user_create import create

def test_create():
    assert create("a") == {"name": "a"}
"""
INSIDE_TEST = """
def test_inside():
    assert 1 + 1 == 2
"""


@pytest.fixture
def node_repo(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repo with one directory node, a test inside it and one outside importing it."""
    root = pytester.path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / "conftest.py").write_text("", encoding="utf-8")
    monkeypatch.chdir(root)
    node = root / NODE
    (node / "handlers").mkdir(parents=True)
    (node / "tests").mkdir()
    (node / "node.py").write_text("class NodeUserEffect:\n    pass\n", encoding="utf-8")
    (node / "contract.yaml").write_text("name: user\nnode_type: EFFECT_GENERIC\n", encoding="utf-8")
    (node / "handlers" / "handler_user_create.py").write_text(
        "def create(name):\n    return {'name': name}\n", encoding="utf-8"
    )
    (node / "tests" / "test_inside.py").write_text(INSIDE_TEST, encoding="utf-8")
    (root / "tests").mkdir()
    (root / "tests" / "test_outside.py").write_text(OUTSIDE_TEST, encoding="utf-8")
    return root


def recorded(root: Path) -> dict[str, Verdict]:
    return {v.node_key: v for v in VerdictBook(root / ".nodeforge").all()}


def counts(verdict: Verdict) -> tuple[bool, int, int, int, int]:
    return (
        verdict.passed,
        verdict.passed_count,
        verdict.failed_count,
        verdict.error_count,
        verdict.skipped_count,
    )


def node_hash(root: Path) -> str:
    [node] = discover(root)
    return node.content_hash


def add_test(root: Path, name: str, body: str) -> None:
    (root / "tests" / name).write_text(body, encoding="utf-8")


def test_passing_tests_record_a_passing_verdict_for_the_exact_content(
    pytester: pytest.Pytester, node_repo: Path
) -> None:
    result = pytester.runpytest("--nodeforge", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["nodeforge: verdicts recorded for 1 nodes (1 passed, 0 failed)"])
    verdict = recorded(node_repo)[NODE]
    assert counts(verdict) == (True, 2, 0, 0, 0)
    assert verdict.content_hash == node_hash(node_repo)
    assert verdict.source == "pytest"


def test_failure_fails_the_node(pytester: pytest.Pytester, node_repo: Path) -> None:
    add_test(node_repo, "test_fail.py", "import node_user_effect.node\n\ndef test_bad():\n    assert False\n")
    result = pytester.runpytest("--nodeforge", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["nodeforge: verdicts recorded for 1 nodes (0 passed, 1 failed)"])
    assert counts(recorded(node_repo)[NODE]) == (False, 2, 1, 0, 0)


def test_setup_error_and_teardown_error_count_as_errors(pytester: pytest.Pytester, node_repo: Path) -> None:
    add_test(
        node_repo,
        "test_errors.py",
        "import pytest\nimport node_user_effect.node\n\n"
        "@pytest.fixture\ndef broken():\n    raise RuntimeError('no db')\n\n"
        "@pytest.fixture\ndef leaky():\n    yield\n    raise RuntimeError('leak')\n\n"
        "def test_setup(broken):\n    pass\n\n"
        "def test_teardown(leaky):\n    pass\n",
    )
    result = pytester.runpytest("--nodeforge", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=2)
    # the teardown error outweighs its passed call: 2 passed tests, 2 errors
    assert counts(recorded(node_repo)[NODE]) == (False, 2, 0, 2, 0)


def test_skips_count_for_nothing_and_xfail_counts_as_passed(
    pytester: pytest.Pytester, node_repo: Path
) -> None:
    add_test(
        node_repo,
        "test_expectations.py",
        "import pytest\nimport node_user_effect\n\n"
        "@pytest.mark.skip(reason='later')\ndef test_skipped():\n    pass\n\n"
        "def test_skipped_inside():\n    pytest.skip('not here')\n\n"
        "@pytest.mark.xfail(reason='known')\ndef test_xfail():\n    assert False\n\n"
        "@pytest.mark.xfail(reason='fixed', strict=False)\ndef test_xpass():\n    pass\n",
    )
    result = pytester.runpytest("--nodeforge", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, skipped=2, xfailed=1, xpassed=1)
    assert counts(recorded(node_repo)[NODE]) == (True, 4, 0, 0, 2)


def test_strict_xpass_fails_the_node(pytester: pytest.Pytester, node_repo: Path) -> None:
    add_test(
        node_repo,
        "test_strict.py",
        "import pytest\nimport node_user_effect\n\n"
        "@pytest.mark.xfail(reason='fixed?', strict=True)\ndef test_xpass():\n    pass\n",
    )
    pytester.runpytest("--nodeforge", "-p", "no:cacheprovider").assert_outcomes(passed=2, failed=1)
    assert counts(recorded(node_repo)[NODE]) == (False, 2, 1, 0, 0)


def test_node_whose_tests_were_all_skipped_gets_no_verdict(
    pytester: pytest.Pytester, node_repo: Path
) -> None:
    (node_repo / NODE / "tests" / "test_inside.py").unlink()
    add_test(
        node_repo,
        "test_outside.py",
        "import pytest\nimport node_user_effect\n\npytestmark = pytest.mark.skip\ndef test_a():\n    pass\n",
    )
    result = pytester.runpytest("--nodeforge", "-p", "no:cacheprovider")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["nodeforge: verdicts recorded for 0 nodes (0 passed, 0 failed)"])
    assert not (node_repo / ".nodeforge" / "verdicts.json").exists()


def test_collection_error_of_a_test_module_is_a_node_error(
    pytester: pytest.Pytester, node_repo: Path
) -> None:
    add_test(node_repo, "test_broken.py", "from node_user_effect.handlers.handler_user_create import gone\n")
    stopped = pytester.runpytest("--nodeforge", "-p", "no:cacheprovider")
    assert stopped.ret == pytest.ExitCode.INTERRUPTED  # collection errors stop the session: still recorded
    assert counts(recorded(node_repo)[NODE]) == (False, 0, 0, 1, 0)
    result = pytester.runpytest("--nodeforge", "-p", "no:cacheprovider", "--continue-on-collection-errors")
    result.assert_outcomes(passed=2, errors=1)
    assert counts(recorded(node_repo)[NODE]) == (False, 2, 0, 1, 0)


def test_marker_names_the_node(pytester: pytest.Pytester, node_repo: Path) -> None:
    add_test(
        node_repo,
        "test_marked.py",
        "import pytest\n\n"
        "@pytest.mark.nodeforge_node('node_user_effect')\ndef test_by_name():\n    assert False\n\n"
        "@pytest.mark.nodeforge_node('node_ghost_effect')\ndef test_ghost():\n    pass\n",
    )
    result = pytester.runpytest("--nodeforge", "-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["nodeforge: nodeforge_node marker names unknown nodes: node_ghost_effect"])
    assert counts(recorded(node_repo)[NODE]) == (False, 2, 1, 0, 0)


def test_ini_option_enables_the_plugin(pytester: pytest.Pytester, node_repo: Path) -> None:
    (node_repo / "pytest.ini").write_text("[pytest]\nnodeforge = true\n", encoding="utf-8")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["nodeforge: verdicts recorded for 1 nodes (1 passed, 0 failed)"])
    assert recorded(node_repo)[NODE].passed


def test_disabled_plugin_writes_nothing_prints_nothing_imports_nothing(
    pytester: pytest.Pytester, node_repo: Path
) -> None:
    # the marker stays registered, so --strict-markers passes even when the plugin is off
    add_test(
        node_repo,
        "test_imports.py",
        "import sys\nimport pytest\n\n"
        "@pytest.mark.nodeforge_node('node_user_effect')\n"
        "def test_nothing_heavy_loaded():\n"
        "    heavy = {'libcst', 'nodeforge.learning.nodes', 'nodeforge.learning.testmap',\n"
        "             'nodeforge.learning.verdicts', 'yaml'}\n"
        "    assert not heavy & set(sys.modules)\n",
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=3)
    assert "nodeforge:" not in result.stdout.str()
    assert not (node_repo / ".nodeforge").exists()


def test_file_changed_during_the_session_is_not_recorded(pytester: pytest.Pytester, node_repo: Path) -> None:
    before = node_hash(node_repo)
    add_test(
        node_repo,
        "test_zz_edit.py",
        "from pathlib import Path\nimport node_user_effect\n\n"
        "def test_edit():\n"
        "    handler = Path('node_user_effect/handlers/handler_user_create.py')\n"
        "    handler.write_text(handler.read_text() + '# edited\\n')\n",
    )
    result = pytester.runpytest("--nodeforge", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "nodeforge: verdicts recorded for 0 nodes (0 passed, 0 failed)",
            "nodeforge: not recorded, changed during the session: node_user_effect",
        ]
    )
    assert node_hash(node_repo) != before
    assert recorded(node_repo) == {}


def test_corrupt_book_is_set_aside_with_a_warning_and_the_run_recorded(
    pytester: pytest.Pytester, node_repo: Path
) -> None:
    (node_repo / ".nodeforge").mkdir()
    (node_repo / ".nodeforge" / "verdicts.json").write_text("{oops", encoding="utf-8")
    result = pytester.runpytest_subprocess("--nodeforge", "-p", "no:cacheprovider")
    assert result.ret == 0
    result.stderr.fnmatch_lines(
        ["nodeforge: warning: *verdicts.json was corrupt*moved to verdicts.json.corrupt-*"]
    )
    result.stdout.fnmatch_lines(["nodeforge: verdicts recorded for 1 nodes (1 passed, 0 failed)"])
    (aside,) = (node_repo / ".nodeforge").glob("verdicts.json.corrupt-*")
    assert aside.read_text(encoding="utf-8") == "{oops"


def test_xdist_gives_the_same_verdicts_as_a_serial_run(pytester: pytest.Pytester, node_repo: Path) -> None:
    add_test(
        node_repo,
        "test_more.py",
        "import pytest\nimport node_user_effect.node\n\n"
        "@pytest.fixture\ndef broken():\n    raise RuntimeError\n\n"
        "@pytest.mark.parametrize('n', range(6))\ndef test_many(n):\n    assert n != 3\n\n"
        "def test_error(broken):\n    pass\n\n"
        "@pytest.mark.xfail\ndef test_xfail():\n    assert False\n\n"
        "@pytest.mark.skip\ndef test_skip():\n    pass\n\n"
        "@pytest.mark.nodeforge_node('node_order_compute')\ndef test_marked():\n    pass\n",
    )
    order = node_repo / "node_order_compute"
    order.mkdir()
    (order / "contract.yaml").write_text("name: order\nnode_type: compute\n", encoding="utf-8")

    serial = pytester.runpytest_subprocess("--nodeforge", "-p", "no:cacheprovider")
    serial.assert_outcomes(passed=8, failed=1, errors=1, skipped=1, xfailed=1)
    serial_verdicts = recorded(node_repo)
    (node_repo / ".nodeforge" / "verdicts.json").unlink()

    parallel = pytester.runpytest_subprocess("--nodeforge", "-p", "no:cacheprovider", "-n", "2")
    parallel.assert_outcomes(passed=8, failed=1, errors=1, skipped=1, xfailed=1)
    parallel.stdout.fnmatch_lines(["nodeforge: verdicts recorded for 2 nodes (1 passed, 1 failed)"])
    parallel_verdicts = recorded(node_repo)

    assert sorted(parallel_verdicts) == ["node_order_compute", NODE]
    assert counts(parallel_verdicts[NODE]) == (False, 8, 1, 1, 1)  # 1 + 1 + 5 + xfail
    assert counts(parallel_verdicts["node_order_compute"]) == (True, 1, 0, 0, 0)
    for key, verdict in serial_verdicts.items():
        assert counts(parallel_verdicts[key]) == counts(verdict)
        assert parallel_verdicts[key].content_hash == verdict.content_hash


def test_junit_report_of_the_same_run_gives_the_same_verdicts(
    pytester: pytest.Pytester, node_repo: Path
) -> None:
    add_test(
        node_repo,
        "test_mix.py",
        "import pytest\nimport node_user_effect\n\n"
        "def test_bad():\n    assert False\n\n"
        "@pytest.mark.xfail\ndef test_xfail():\n    assert False\n\n"
        "@pytest.mark.skip\ndef test_skip():\n    pass\n",
    )
    report = node_repo / "report.xml"
    pytester.runpytest("--nodeforge", "-p", "no:cacheprovider", f"--junitxml={report}")
    [from_plugin] = recorded(node_repo).values()
    [from_junit] = verdicts_from_junit(report, node_repo, discover(node_repo))
    assert counts(from_junit) == counts(from_plugin) == (False, 3, 1, 0, 1)
    assert from_junit.content_hash == from_plugin.content_hash


def test_interrupted_session_records_nothing(pytester: pytest.Pytester, node_repo: Path) -> None:
    add_test(
        node_repo,
        "test_zz_exit.py",
        "import pytest\nimport node_user_effect\n\ndef test_stop():\n    pytest.exit('stop here')\n",
    )
    result = pytester.runpytest("--nodeforge", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["nodeforge: session interrupted; no verdicts recorded"])
    assert recorded(node_repo) == {}


def test_verdicts_reach_provenance_feedback(pytester: pytest.Pytester, node_repo: Path) -> None:
    record_generated(node_repo, GeneratedNode(NODE, node_hash(node_repo), ()))
    result = pytester.runpytest("--nodeforge", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert "Traceback" not in result.stdout.str()
    [generated] = generated_nodes(node_repo)
    assert generated.credited == (node_hash(node_repo),)  # the feedback hook saw this verdict


FAILING = "import node_user_effect.node\n\ndef test_bad():\n    assert False\n"


@pytest.mark.parametrize(
    "selection",
    [["-k", "not bad"], ["--deselect", "tests/test_fail.py::test_bad"], ["-m", "not slow"]],
    ids=["-k", "--deselect", "-m"],
)
def test_a_deselected_failing_test_makes_the_node_partial_never_passed(
    pytester: pytest.Pytester, node_repo: Path, selection: list[str]
) -> None:
    add_test(
        node_repo, "test_fail.py", "import pytest\n\n" + FAILING.replace("def", "@pytest.mark.slow\ndef")
    )
    (node_repo / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: slow\n", encoding="utf-8")

    result = pytester.runpytest("--nodeforge", "-p", "no:cacheprovider", *selection)

    result.assert_outcomes(passed=2, deselected=1)
    result.stdout.fnmatch_lines(
        ["nodeforge: verdicts recorded for 1 nodes (0 passed, 0 failed); 1 partial (tests deselected)*"]
    )
    verdict = recorded(node_repo)[NODE]
    assert (verdict.passed, verdict.partial, verdict.status) == (False, True, "partial")


def test_last_failed_runs_certify_nothing(pytester: pytest.Pytester, node_repo: Path) -> None:
    add_test(
        node_repo, "test_flaky.py", "import node_user_effect.node\n\ndef test_once():\n    assert False\n"
    )
    pytester.runpytest("--nodeforge")  # with the cache: remembers the failure
    add_test(
        node_repo, "test_flaky.py", "import node_user_effect.node\n\ndef test_once():\n    assert True\n"
    )
    add_test(node_repo, "test_fail.py", FAILING)  # new, failing, and --lf will not run it

    result = pytester.runpytest("--nodeforge", "--lf")

    assert "test_bad" not in result.stdout.str()
    verdict = recorded(node_repo)[NODE]
    assert not verdict.passed and verdict.partial


def test_a_full_run_after_a_partial_one_certifies(pytester: pytest.Pytester, node_repo: Path) -> None:
    pytester.runpytest("--nodeforge", "-p", "no:cacheprovider", "-k", "inside")
    assert recorded(node_repo)[NODE].partial

    pytester.runpytest("--nodeforge", "-p", "no:cacheprovider")

    assert recorded(node_repo)[NODE].passed


def test_a_rerun_after_a_lost_credit_counts_the_verdict_once(
    pytester: pytest.Pytester, node_repo: Path
) -> None:
    pattern = make_pattern("used")
    with open_embedded(node_repo / ".nodeforge") as store:
        store.upsert([pattern])
    record_generated(node_repo, GeneratedNode(NODE, node_hash(node_repo), ((pattern.id, 1),)))
    pytester.runpytest("--nodeforge", "-p", "no:cacheprovider").assert_outcomes(passed=2)
    # As if the session died after the store counted the verdict, before generated.json said so:
    record_generated(node_repo, GeneratedNode(NODE, node_hash(node_repo), ((pattern.id, 1),)))
    pytester.runpytest("--nodeforge", "-p", "no:cacheprovider").assert_outcomes(passed=2)
    [generated] = generated_nodes(node_repo)
    assert generated.credited == (node_hash(node_repo),)
    with open_embedded(node_repo / ".nodeforge") as store:
        found = store.get(pattern.id)
    assert found is not None and (found.success_count, found.failure_count) == (1, 0)
