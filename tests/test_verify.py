"""Self-verification runs the node in a real subprocess: imports, generated tests, next candidates."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from nodeforge.cli.main import main
from nodeforge.errors import InputError
from nodeforge.generation.prune import prune_unresolved
from nodeforge.generation.verify import (
    IMPORT,
    TEST,
    Choices,
    check_imports,
    node_test_files,
    repo_python,
    run_pytest,
    verify_node,
)

GOOD_HANDLER = "def handle(value: int) -> int:\n    return value + 1\n"
BROKEN_HANDLER = (
    "from .missing_helper import helper\n\ndef handle(value: int) -> int:\n    return helper(value)\n"
)
TEST_MODULE = (
    "from pkg.node_demo_effect.handlers.handler_demo import handle\n\n"
    "def test_adds_one() -> None:\n    assert handle(1) == {expected}\n"
)


def _node(repo: Path, handler: str, expected: int = 2) -> Path:
    node = repo / "src" / "pkg" / "node_demo_effect"
    for package in (repo / "src" / "pkg", node, node / "handlers", node / "tests"):
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text("", encoding="utf-8")
    (node / "handlers" / "handler_demo.py").write_text(handler, encoding="utf-8")
    (node / "tests" / "test_handler_demo.py").write_text(TEST_MODULE.format(expected=expected), "utf-8")
    return node


def test_a_node_that_imports_and_passes(repo: Path) -> None:
    node = _node(repo, GOOD_HANDLER)
    result = verify_node(repo, node, sys.executable, 120)
    assert result.ok and result.imports
    assert (result.tests_passed, result.tests_failed) == (1, 0)


def test_a_node_that_does_not_import_names_the_file_and_module(repo: Path) -> None:
    node = _node(repo, BROKEN_HANDLER)
    result = verify_node(repo, node, sys.executable, 120)
    assert not result.imports
    failure = next(f for f in result.failures if f.kind == IMPORT)
    assert failure.file == "src/pkg/node_demo_effect/handlers/handler_demo.py"
    assert failure.what == "pkg.node_demo_effect.handlers.handler_demo"
    assert "missing_helper" in failure.detail
    assert any("DOES NOT IMPORT" in line for line in result.lines())
    assert result.tests_passed == result.tests_failed == 0  # tests are not run against a broken node


def test_a_failing_generated_test_is_reported_by_its_id(repo: Path) -> None:
    node = _node(repo, GOOD_HANDLER, expected=3)
    result = verify_node(repo, node, sys.executable, 120)
    assert result.imports and not result.ok
    assert [(f.kind, f.file, f.what) for f in result.failures] == [
        (TEST, "src/pkg/node_demo_effect/tests/test_handler_demo.py", "test_adds_one")
    ]
    assert any(line.startswith("  still fails: test ") for line in result.lines())


def test_a_collection_or_setup_error_is_reported_by_its_error_line_not_a_generic_message(
    repo: Path,
) -> None:
    # The code under test imports; the test module asks it for a name it lacks. pytest's junit
    # message is only "collection failure": the report must carry the ImportError itself.
    node = _node(repo, GOOD_HANDLER)
    (node / "tests" / "test_handler_demo.py").write_text(
        "from pkg.node_demo_effect.handlers.handler_demo import handle, absent_helper\n\n"
        "def test_adds_one() -> None:\n    assert absent_helper(handle(1)) == 2\n",
        encoding="utf-8",
    )
    # A test asking for a fixture nobody defines: junit buries the reason in a multi-line message.
    (node / "tests" / "test_fixture_demo.py").write_text(
        "def test_uses_a_bus(event_bus: object) -> None:\n    assert event_bus\n", encoding="utf-8"
    )
    run = run_pytest(repo, sys.executable, node_test_files(node), 120)
    tests = "src/pkg/node_demo_effect/tests/"
    assert sorted((o.file, o.passed) for o in run.outcomes) == [
        (f"{tests}test_fixture_demo.py", False),
        (f"{tests}test_handler_demo.py", False),
    ]
    details = {o.file.removeprefix(tests): o.detail for o in run.outcomes}
    detail = details["test_handler_demo.py"]
    assert detail.startswith("ImportError: cannot import name 'absent_helper'"), detail
    assert "collection failure" not in detail and len(detail) <= 300
    assert details["test_fixture_demo.py"] == "failed on setup: fixture 'event_bus' not found"


def test_a_failing_file_gets_its_next_candidate_and_a_worse_one_is_undone(repo: Path) -> None:
    node = _node(repo, BROKEN_HANDLER)
    fixed = verify_node(
        repo, node, sys.executable, 120, Choices({"handlers/handler_demo.py": [GOOD_HANDLER]})
    )
    assert fixed.ok and fixed.replaced == ("handlers/handler_demo.py",)
    assert (node / "handlers" / "handler_demo.py").read_text(encoding="utf-8") == GOOD_HANDLER

    node = _node(repo, BROKEN_HANDLER)
    worse = BROKEN_HANDLER + "raise RuntimeError('worse')\n"
    kept = verify_node(repo, node, sys.executable, 120, Choices({"handlers/handler_demo.py": [worse]}))
    assert not kept.imports and kept.replaced == ()
    assert (node / "handlers" / "handler_demo.py").read_text(encoding="utf-8") == BROKEN_HANDLER

    # A candidate no better than the file is undone, and the one after it is still tried.
    node = _node(repo, BROKEN_HANDLER)
    later = verify_node(
        repo, node, sys.executable, 120, Choices({"handlers/handler_demo.py": [worse, GOOD_HANDLER]})
    )
    assert later.ok and later.replaced == ("handlers/handler_demo.py",)
    assert (node / "handlers" / "handler_demo.py").read_text(encoding="utf-8") == GOOD_HANDLER


def test_imports_run_in_the_repository_interpreter_not_ours(repo: Path, tmp_path: Path) -> None:
    venv = repo / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = repo_python(repo)
    assert python == str(venv / "bin" / "python")
    node = _node(repo, "import pytest  # only nodeforge's interpreter has it\n")
    failures = check_imports(repo, python, {"demo": node}, 120)["demo"]
    assert failures and "pytest" in failures[0].detail
    with pytest.raises(InputError, match="no executable interpreter"):
        repo_python(repo, str(tmp_path / "nowhere" / "python"))


EXAMPLE = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def team_repo(tmp_path: Path) -> Path:
    root = tmp_path / "team"
    shutil.copytree(EXAMPLE / "team_repo", root, ignore=shutil.ignore_patterns("__pycache__", ".nodeforge"))
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    return root


def _generate(team_repo: Path, *extra: str) -> int:
    contract = EXAMPLE / "contracts" / "node_order_effect.yaml"
    out = team_repo / "src" / "teamapp" / "nodes"
    argv = ["generate", str(contract), "--repo", str(team_repo), "--out", str(out), "--no-learning"]
    return main([*argv, "--python", sys.executable, *extra])


def test_generate_verifies_by_default_in_a_git_repository(
    team_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _generate(team_repo, "--json") == 0
    verification = json.loads(capsys.readouterr().out)["verification"]
    assert verification["imports"] is True and verification["tests_passed"] > 0
    assert verification["failures"] == [] and verification["python"] == sys.executable


def test_generate_exits_1_naming_what_does_not_import(
    team_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = team_repo / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").replace('"teamapp.core.nodes"', '"teamapp.gone.nodes"')
    pyproject.write_text(text, encoding="utf-8")
    assert _generate(team_repo) == 1
    out = capsys.readouterr().out
    assert "DOES NOT IMPORT" in out
    assert "still fails: import src/teamapp/nodes/node_order_effect/node.py" in out
    assert "teamapp.gone" in out
    assert _generate(team_repo, "--force", "--no-verify") == 0
    assert "verify: skipped (--no-verify)" in capsys.readouterr().out


def test_a_failing_test_blames_the_module_it_tests_too(repo: Path) -> None:
    wrong = "def handle(value: int) -> int:\n    return value + 2\n"  # imports; its test fails
    node = _node(repo, wrong)
    fixed = verify_node(
        repo, node, sys.executable, 120, Choices({"handlers/handler_demo.py": [GOOD_HANDLER]})
    )
    assert fixed.ok and fixed.replaced == ("handlers/handler_demo.py",) and fixed.tests_passed == 1


def test_a_swap_that_stops_the_node_importing_is_undone_though_fewer_things_fail(repo: Path) -> None:
    # The handler imports but its test fails; its next candidate lacks a name the node's
    # __main__ imports, so the node would not import and no test would run: fewer failures, worse.
    wrong = "LIMIT = 1\n\n\ndef handle(value: int) -> int:\n    return value + 2\n"
    node = _node(repo, wrong)
    (node / "__main__.py").write_text("from .handlers.handler_demo import LIMIT\n\nprint(LIMIT)\n", "utf-8")
    more = TEST_MODULE.format(expected=2).replace("test_adds_one", "test_adds_one_again")
    (node / "tests" / "test_more.py").write_text(more, encoding="utf-8")  # two failing tests > one import
    kept = verify_node(repo, node, sys.executable, 120, Choices({"handlers/handler_demo.py": [GOOD_HANDLER]}))
    assert kept.imports and kept.replaced == () and kept.tests_failed == 2
    assert (node / "handlers" / "handler_demo.py").read_text(encoding="utf-8") == wrong


def test_a_borrowed_test_that_still_fails_is_dropped_once_its_code_has_no_candidate_left(repo: Path) -> None:
    wrong = "def handle(value: int) -> int:\n    return value + 2\n"
    node = _node(repo, wrong)
    test = "tests/test_handler_demo.py"
    passing = "\n\ndef test_returns_an_int() -> None:\n    assert isinstance(handle(1), int)\n"
    (node / test).write_text(TEST_MODULE.format(expected=2) + passing, encoding="utf-8")
    # The handler's learned candidate is tried first (no better), then the failing test goes, and
    # only it: the test that passes stays. The template never replaces code that imports.
    choices = Choices(
        {"handlers/handler_demo.py": [wrong + "\n"]},
        fallbacks={"handlers/handler_demo.py": GOOD_HANDLER},
        borrowed_tests=frozenset({test}),
    )
    result = verify_node(repo, node, sys.executable, 120, choices)
    assert result.ok and result.replaced == () and (result.tests_passed, result.tests_failed) == (1, 0)
    [dropped] = result.dropped_tests
    assert dropped.startswith(f"src/pkg/node_demo_effect/{test}::test_adds_one: assert 3 == 2")
    assert "def test_adds_one" not in (node / test).read_text(encoding="utf-8")
    assert (node / "handlers" / "handler_demo.py").read_text(encoding="utf-8") == wrong
    assert any(line.startswith("  verify: dropped failing borrowed test ") for line in result.lines())

    # A test the team's template wrote is not borrowed: it stays, failing, and is reported.
    node = _node(repo, wrong)
    kept = verify_node(repo, node, sys.executable, 120, Choices())
    assert not kept.ok and kept.dropped_tests == () and (node / test).is_file()


def test_after_a_swap_the_node_is_tidied_so_what_imported_the_old_file_does_not_break_it(repo: Path) -> None:
    # The swapped-in handler lacks LIMIT, which __main__ imported: tidying leaves __main__ out.
    wrong = "LIMIT = 1\n\n\ndef handle(value: int) -> int:\n    return value + 2\n"
    node = _node(repo, wrong)
    (node / "__main__.py").write_text("from .handlers.handler_demo import LIMIT\n\nprint(LIMIT)\n", "utf-8")

    def tidy(files: Mapping[str, str]) -> Mapping[str, str]:
        return prune_unresolved(files, frozenset()).files

    fixed = verify_node(
        repo, node, sys.executable, 120, Choices({"handlers/handler_demo.py": [GOOD_HANDLER]}, tidy=tidy)
    )
    assert fixed.ok and fixed.replaced == ("handlers/handler_demo.py",) and fixed.left_out == ("__main__.py",)
    assert not (node / "__main__.py").exists()


def test_a_support_module_that_does_not_import_blames_the_handler_that_brought_it(repo: Path) -> None:
    # The handler brought models/model_config.py along; the model re-exports from a package that
    # does not exist. The model has no candidate: the handler importing it gets its next one, and
    # the model, now imported by nothing, is left out.
    brought = (
        "from ..models.model_config import Config\n\n\n"
        "def handle(value: int) -> int:\n    return value + Config.step\n"
    )
    node = _node(repo, brought)
    (node / "models").mkdir()
    (node / "models" / "__init__.py").write_text("", encoding="utf-8")
    (node / "models" / "model_config.py").write_text("from absent_package.models import Config\n", "utf-8")

    fixed = verify_node(
        repo, node, sys.executable, 120, Choices({"handlers/handler_demo.py": [GOOD_HANDLER]})
    )
    assert fixed.ok and fixed.replaced == ("handlers/handler_demo.py",)
    assert fixed.left_out == ("models/model_config.py",)
    assert not (node / "models" / "model_config.py").exists()
