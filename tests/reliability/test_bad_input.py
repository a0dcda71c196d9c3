"""Bad input through the real CLI: one clear line, exit 2, no traceback, no partial output.

Learning inputs (node files) follow another contract: learning never fails the command; the bad file
is reported as ``failed`` with its reason and counted in the summary (exit 0).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from nodeforge.learning.learn import LearnOptions, learn
from nodeforge.learning.nodes import discover
from nodeforge.storage.factory import open_store
from tests.gitkit import git_init
from tests.reliability.conftest import (
    Result,
    assert_one_line_error,
    files_under,
    nodes_of,
    stored,
    template_generate,
)

Cli = Callable[..., Result]
GOOD = "name: node_ping_effect\nnode_type: effect\n"
ROUTED = "name: node_ping_effect\nnode_type: effect\nhandler_routing:\n  handlers:\n"


@pytest.fixture(autouse=True)
def _tmp_path_is_a_git_repository(tmp_path: Path) -> None:
    """nodeforge refuses to run outside a git repository; these tests generate into ``tmp_path``."""
    git_init(tmp_path)


def _alias_bomb(levels: int = 6) -> str:
    """Ten aliases per level: a 300-byte file that expands to 10**levels values."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


ALIAS_BOMB = _alias_bomb()
# (case id, contract text, what the one error line must name)
CONTRACTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("empty file", "", ("expected a mapping at the top level",)),
    ("top-level list", "- name: x\n", ("expected a mapping", "a list")),
    ("top-level string", "just text\n", ("expected a mapping", "a string")),
    ("unclosed bracket", "name: [\n", ("line 2", "malformed YAML")),
    ("tab indentation", "name: x\n\tnode_type: effect\n", ("line 2", "malformed YAML")),
    ("duplicate colon", "name: a: b\nnode_type: effect\n", ("line 1", "malformed YAML")),
    ("control character", "name: node_a_effect\x07\nnode_type: effect\n", ("line 1", "not allowed")),
    ("non-string key", "1: x\nname: node_a_effect\nnode_type: effect\n", ("string keys",)),
    ("null name", "name: null\nnode_type: effect\n", ("name", "expected a string")),
    ("missing node_type", "name: node_ping_effect\n", ("node_type", "required field missing")),
    ("unknown node type", "name: node_ping_effect\nnode_type: widget\n", ("node_type", "widget", "effect")),
    ("name is a number", "name: 12\nnode_type: effect\n", ("name", "expected a string", "12")),
    ("name is a list", "name: [a]\nnode_type: effect\n", ("name", "expected a string")),
    ("path traversal name", "name: ../../etc/evil\nnode_type: effect\n", ("name", "safe identifier", "../")),
    ("absolute path name", "name: /etc/passwd\nnode_type: effect\n", ("name", "/etc/passwd")),
    ("windows path name", "name: 'C:\\\\evil'\nnode_type: effect\n", ("name", "safe identifier")),
    ("dot-dot name", "name: ..\nnode_type: effect\n", ("name", "safe identifier")),
    ("name without words", "name: _\nnode_type: effect\n", ("name", "at least one word")),
    ("name too long", f"name: {'a' * 101}\nnode_type: effect\n", ("name", "at most 100")),
    ("non-ascii name", "name: nöde_a\nnode_type: effect\n", ("name", "safe identifier")),
    ("operations not a list", GOOD + "operations: create\n", ("operations", "expected a list")),
    ("operation escapes", GOOD + "operations: ['a/b']\n", ("operations[0]", "safe identifier")),
    ("operation with slash", GOOD + "operations: [a/b]\n", ("operations[0]", "safe identifier")),
    ("duplicate operations", GOOD + "operations: [a, a]\n", ("operations[1]", "unique", "'a'")),
    (
        "handler module traversal",
        ROUTED + "    - operation: create\n      handler: {name: HandlerX, module: ../../evil}\n",
        ("handler_routing.handlers[0].handler.module", "../../evil"),
    ),
    (
        "handler module absolute",
        ROUTED + "    - operation: create\n      handler: {name: HandlerX, module: /tmp/x}\n",
        ("handler_routing.handlers[0].handler.module", "/tmp/x"),
    ),
    (
        "handler name is a keyword",
        ROUTED + "    - operation: create\n      handler: {name: class, module: a.b}\n",
        ("handler_routing.handlers[0].handler.name", "keyword"),
    ),
    (
        "handler module holds a keyword",
        ROUTED + "    - operation: create\n      handler: {name: HandlerX, module: a.import.b}\n",
        ("handler_routing.handlers[0].handler.module", "'import'"),
    ),
    (
        "handler without operation or name",
        ROUTED + "    - handler: {module: a.b}\n",
        ("handler_routing.handlers[0]",),
    ),
    ("handlers not a list", ROUTED.replace("handlers:\n", "handlers: 3\n"), ("handler_routing.handlers",)),
    ("bad version string", GOOD + "contract_version: banana\n", ("contract_version", "1.0.0", "banana")),
    ("negative version", GOOD + "contract_version: {major: -1, minor: 0, patch: 0}\n", ("contract_version",)),
    ("version is a list", GOOD + "node_version: [1, 0]\n", ("node_version", "a list")),
    ("capability is a number", GOOD + "capabilities: [1]\n", ("capabilities[0]", "an integer")),
    ("empty capability", GOOD + "capabilities: ['  ']\n", ("capabilities[0].name", "non-empty")),
    ("model ref is a number", GOOD + "input_model: 7\n", ("input_model", "expected a mapping")),
    ("model ref missing name", GOOD + "input_model: {module: a.b}\n", ("input_model.name", "missing")),
    ("model name is a keyword", GOOD + "output_model: {name: None, module: a.b}\n", ("output_model.name",)),
    ("error_handling not a mapping", GOOD + "error_handling: [1]\n", ("error_handling", "a mapping")),
    ("io operation traversal", GOOD + "io_operations: ['../x']\n", ("io_operations[0]",)),
    ("alias bomb", ALIAS_BOMB, ("alias bomb",)),
]


@pytest.mark.parametrize(("text", "needles"), [c[1:] for c in CONTRACTS], ids=[c[0] for c in CONTRACTS])
def test_bad_contract_is_one_line_exit_2_and_writes_nothing(
    cli: Cli, tmp_path: Path, text: str, needles: tuple[str, ...]
) -> None:
    contract = tmp_path / "contract.yaml"
    contract.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = cli("generate", contract, "--out", out, "--repo", tmp_path, "--no-learning", "--no-verify")
    assert_one_line_error(result, str(contract), *needles)
    assert files_under(out) == []


def test_the_suite_has_plenty_of_contract_cases() -> None:
    assert len(CONTRACTS) >= 40


def test_non_utf8_contract_names_the_line(cli: Cli, tmp_path: Path) -> None:
    contract = tmp_path / "c.yaml"
    contract.write_bytes(b"name: node_ping_effect\ndescription: caf\xe9\nnode_type: effect\n")
    result = cli(
        "generate", contract, "--out", tmp_path / "out", "--repo", tmp_path, "--no-learning", "--no-verify"
    )
    assert_one_line_error(result, str(contract), "line 2", "UTF-8", "0xe9")


def test_binary_contract(cli: Cli, tmp_path: Path) -> None:
    contract = tmp_path / "c.yaml"
    contract.write_bytes(bytes(range(256)) * 4)
    result = cli(
        "generate", contract, "--out", tmp_path / "out", "--repo", tmp_path, "--no-learning", "--no-verify"
    )
    assert_one_line_error(result, str(contract), "line 2", "expected UTF-8")
    assert files_under(tmp_path / "out") == []


def test_huge_contract_is_refused_before_parsing(cli: Cli, tmp_path: Path) -> None:
    contract = tmp_path / "c.yaml"
    contract.write_text(GOOD + "description: '" + "x" * (1024 * 1024 + 10) + "'\n", encoding="utf-8")
    result = cli(
        "generate", contract, "--out", tmp_path / "out", "--repo", tmp_path, "--no-learning", "--no-verify"
    )
    assert_one_line_error(result, str(contract), "larger than 1024 KiB")


def test_large_but_valid_contract_generates(cli: Cli, tmp_path: Path) -> None:
    contract = tmp_path / "c.yaml"
    ops = ", ".join(f"op{i}" for i in range(200))
    contract.write_text(GOOD + f"operations: [{ops}]\n", encoding="utf-8")
    result = cli(
        "generate", contract, "--out", tmp_path / "out", "--repo", tmp_path, "--no-learning", "--no-verify"
    )
    assert result.code == 0, result.err
    assert len(list((tmp_path / "out" / "node_ping_effect" / "handlers").glob("handler_*.py"))) == 200


@pytest.mark.parametrize(
    "argv", [["generate", "missing.yaml"], ["generate", "."]], ids=["missing", "a folder"]
)
def test_contract_path_that_is_not_a_file(cli: Cli, tmp_path: Path, argv: list[str]) -> None:
    os.chdir(tmp_path)
    result = cli(*argv, "--out", tmp_path / "out", "--repo", tmp_path, "--no-learning", "--no-verify")
    assert_one_line_error(result, argv[1])


def test_out_is_a_file(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(GOOD, encoding="utf-8")
    blocker = tmp_path / "blocker"
    blocker.write_text("mine", encoding="utf-8")
    for out in (blocker, blocker / "sub"):
        result = cli(
            "generate", tmp_path / "c.yaml", "--out", out, "--repo", tmp_path, "--no-learning", "--no-verify"
        )
        assert_one_line_error(result, "expected a folder")
    assert blocker.read_text(encoding="utf-8") == "mine"


def test_missing_repo_is_refused_and_not_created(cli: Cli, tmp_path: Path) -> None:
    ghost = tmp_path / "no" / "repo"
    for argv in (["learn", "--all"], ["patterns", "list"], ["store", "info"]):
        assert_one_line_error(cli(*argv, "--repo", ghost), "--repo", str(ghost))
    assert not (tmp_path / "no").exists()


def test_unknown_revisions_for_learn(cli: Cli, team: Path) -> None:
    assert_one_line_error(cli("learn", "--commit", "nosuchrev", "--repo", team), "--commit nosuchrev")
    assert_one_line_error(cli("learn", "--since", "nosuchrev", "--repo", team), "--since nosuchrev")


def test_learn_path_that_does_not_exist(cli: Cli, team: Path) -> None:
    ghost = team / "src" / "nope"
    assert_one_line_error(cli("learn", ghost, "--no-test-gate", "--repo", team), str(ghost))


@pytest.mark.parametrize(
    ("content", "needle"),
    [(b"<testsuite><testcase", "JUnit"), (b"\xff\xfe\x00garbage", "JUnit")],
    ids=["truncated xml", "binary xml"],
)
def test_bad_junit_report(cli: Cli, team: Path, content: bytes, needle: str) -> None:
    report = team / "junit.xml"
    report.write_bytes(content)
    assert_one_line_error(cli("learn", "--junit", report, "--repo", team), needle, str(report))


@pytest.mark.parametrize(
    ("section", "needles"),
    [
        ("[tool.nodeforge\n", ("pyproject.toml", "malformed TOML")),
        ("[tool.nodeforge]\nquality_treshold = 0.5\n", ("quality_treshold", "did you mean")),
        ("[tool.nodeforge]\nquality_threshold = 7\n", ("quality_threshold", "between 0 and 1")),
        ("[tool.nodeforge]\nnode_paths = ['../outside']\n", ("node_paths[0]", "..")),
        ("[tool.nodeforge]\ntemplates_dir = '/etc'\n", ("templates_dir", "relative")),
    ],
    ids=[
        "malformed toml",
        "unknown key",
        "threshold out of range",
        "node path escapes",
        "absolute templates",
    ],
)
def test_bad_settings(cli: Cli, tmp_path: Path, section: str, needles: tuple[str, ...]) -> None:
    (tmp_path / "pyproject.toml").write_text(section, encoding="utf-8")
    (tmp_path / "c.yaml").write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    result = cli(
        "generate", tmp_path / "c.yaml", "--out", out, "--repo", tmp_path, "--no-learning", "--no-verify"
    )
    assert_one_line_error(result, *needles)
    assert files_under(out) == []


@pytest.mark.parametrize(
    ("template", "needle"),
    [
        ("{{ header }}\n{{ no_such_variable }}\n", "no_such_variable"),
        ("{{ header }}\n{% if %}\n", "package_init.py.j2"),
        ("{{ ''.__class__.__mro__ }}\n", "package_init.py.j2"),
    ],
    ids=["undefined variable", "template syntax error", "sandbox escape"],
)
def test_team_template_errors(cli: Cli, tmp_path: Path, template: str, needle: str) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.nodeforge]\ntemplates_dir = 'tpl'\n", encoding="utf-8")
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "package_init.py.j2").write_text(template, encoding="utf-8")
    (tmp_path / "c.yaml").write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    result = cli(
        "generate", tmp_path / "c.yaml", "--out", out, "--repo", tmp_path, "--no-learning", "--no-verify"
    )
    assert_one_line_error(result, needle)
    assert files_under(out) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["patterns", "list", "--kind", "nope"],
        ["patterns", "list", "--node-type", "nope"],
        ["patterns", "show", "x"],
    ],
    ids=["kind", "node type", "unknown id"],
)
def test_bad_pattern_queries(cli: Cli, team: Path, argv: list[str]) -> None:
    assert_one_line_error(cli(*argv, "--repo", team), argv[-1])


def test_usage_errors_exit_2(cli: Cli) -> None:
    result = cli("frobnicate")
    assert result.code == 2 and "Traceback" not in result.err and "invalid choice" in result.err


def test_description_with_triple_quotes_generates(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(GOOD + 'description: \'says """ and ends with \\\'\n', encoding="utf-8")
    result = cli(*template_generate(tmp_path / "c.yaml", tmp_path / "out", tmp_path))
    assert result.code == 0, result.err


# -- learning inputs: reported, counted, never fatal ----------------------------------------------------


def _handler(node: Path) -> Path:
    return sorted((node / "handlers").glob("handler_*.py"))[0]


def _break_syntax(node: Path) -> Path:
    path = _handler(node)
    path.write_text(path.read_text(encoding="utf-8") + "\ndef broken(:\n", encoding="utf-8")
    return path


def _non_utf8(node: Path) -> Path:
    path = _handler(node)
    path.write_bytes(b"# caf\xe9\n" + path.read_bytes())
    return path


def _binary(node: Path) -> Path:
    path = node / "handlers" / "handler_blob.py"
    path.write_bytes(bytes(range(256)) * 64)
    return path


def _broken_model(node: Path) -> Path:
    path = sorted((node / "models").glob("model_*.py"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\nclass (:\n", encoding="utf-8")
    return path


BAD_FILES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("syntax error", _break_syntax, "Syntax Error"),
    ("non-UTF-8 bytes", _non_utf8, "can't decode byte 0xe9"),
    ("binary content", _binary, "Error"),
    ("broken sibling model", _broken_model, "Syntax Error"),
]


@pytest.mark.parametrize(("spoil", "reason"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_node_file_is_reported_failed_and_counted(
    cli: Cli, team: Path, spoil: Callable[[Path], Path], reason: str
) -> None:
    node = nodes_of(team)[0]
    bad = spoil(node).relative_to(team).as_posix()
    result = cli("learn", node, "--no-test-gate", "--no-embed", "--repo", team, "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    failed = {f["path"]: f["detail"] for f in report["files"] if f["status"] == "failed"}
    assert bad in failed and reason in failed[bad], failed
    assert "\n" not in failed[bad]
    text = cli("learn", node, "--no-test-gate", "--no-embed", "--force", "--repo", team)
    assert text.code == 0 and "file(s) failed" in text.out.splitlines()[0]
    assert f"failed: {bad}:" in text.out


def test_empty_file_is_skipped_not_failed(cli: Cli, team: Path) -> None:
    node = nodes_of(team)[0]
    (node / "handlers" / "handler_empty.py").write_text("", encoding="utf-8")
    result = cli("learn", node, "--no-test-gate", "--no-embed", "--repo", team, "--json")
    assert result.code == 0, result.err
    outcomes = {f["path"].rsplit("/", 1)[-1]: f for f in json.loads(result.out)["files"]}
    assert outcomes["handler_empty.py"]["status"] == "skipped"
    assert json.loads(result.out)["patterns_new"] > 0  # the node's good handlers are still learned


@pytest.mark.slow  # libcst needs about 30 s for 50k lines; see docs/reliability.md
def test_50k_line_file_does_not_fail_learning(cli: Cli, team: Path) -> None:
    node = nodes_of(team)[0]
    huge = node / "handlers" / "handler_generated.py"
    huge.write_text("\n".join(f"value_{i} = {i}" for i in range(50_000)) + "\n", encoding="utf-8")
    result = cli("learn", node, "--no-test-gate", "--no-embed", "--repo", team, "--json")
    assert result.code == 0, result.err
    outcomes = {f["path"].rsplit("/", 1)[-1]: f for f in json.loads(result.out)["files"]}
    assert outcomes["handler_generated.py"]["status"] == "skipped"
    assert json.loads(result.out)["patterns_new"] > 0


def test_broken_contract_inside_a_node_does_not_stop_learning(cli: Cli, team: Path) -> None:
    node = nodes_of(team)[0]
    (node / "contract.yaml").write_text("name: [\n", encoding="utf-8")
    result = cli("learn", node, "--no-test-gate", "--no-embed", "--repo", team, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["patterns_new"] > 0


def test_file_vanishing_mid_run_is_reported(team: Path) -> None:
    first, second = nodes_of(team)
    nodes = discover(team, [first, second])
    victim = _handler(second)

    def delete_ahead(key: str) -> None:
        if key.endswith(first.name):
            victim.unlink()

    from nodeforge.paths import state_dir  # noqa: F401  (state goes under the repo)

    with open_store(team, embedder=None) as store:
        report = learn(team, nodes, store, LearnOptions(test_gate=False, embed=False), progress=delete_ahead)
    failed = {f.path: f.detail for f in report.failed_files}
    assert victim.relative_to(team).as_posix() in failed
    assert "No such file" in failed[victim.relative_to(team).as_posix()]
    assert sorted(report.learned) == sorted(n.key for n in nodes)
    assert stored(team)
