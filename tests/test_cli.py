"""The command line's conventions: --version, JSON errors, help everywhere, git only, init, completion."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nodeforge.cli.doctor import diagnose
from nodeforge.cli.main import main
from nodeforge.cli.parser import build_parser


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += _parsers(child)
    return found


def test_version_names_the_installed_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    code, out, _ = _run(capsys, "--version")
    assert code == 0 and out.strip() == f"nodeforge {version('nodeforge')}"


def test_every_option_has_help_and_every_command_an_example() -> None:
    for parser in _parsers(build_parser()):
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction):  # its choices carry the help
                assert action.help, f"{parser.prog}: {action.dest} has no help"
        leaf = not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
        if leaf and parser.prog != "nodeforge":
            assert parser.epilog and parser.prog in parser.epilog, f"{parser.prog}: no example"


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (("learn", "--json", "--bogus"), 2, "unrecognized arguments"),
        (("patterns", "list", "--json", "--kind", "nonsense"), 2, "unknown kind"),
        (("generate", "--json", "missing.yaml"), 2, "missing.yaml"),
    ],
)
def test_errors_under_json_are_one_json_object_on_stdout(
    repo: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], code: int, words: str
) -> None:
    got, out, err = _run(capsys, *argv, "--repo", str(repo))
    assert got == code and err == ""
    payload = json.loads(out)
    assert payload["exit_code"] == code and words in payload["error"]


def test_outside_git_commands_refuse_and_create_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    for argv in (("patterns", "list"), ("learn", "--all"), ("store", "info"), ("doctor",)):
        code, out, err = _run(capsys, *argv, "--repo", str(plain))
        assert code == 2 and out == "" and "not inside a git repository" in err and "git init" in err
    assert list(plain.iterdir()) == []


def test_learn_without_a_selector_is_a_usage_error_with_a_hint(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "learn", "--repo", str(repo))
    assert code == 2 and out == ""
    assert "--all" in err and "nodeforge learn --all" in err


def test_init_configures_the_repository_and_installs_the_hook(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for node in ("node_a_effect", "node_b_compute"):
        (repo / "src" / "team" / "nodes" / node).mkdir(parents=True)
        (repo / "src" / "team" / "nodes" / node / "contract.yaml").write_text("name: x\n", encoding="utf-8")
    (repo / "pyproject.toml").write_text('[project]\nname = "team"\n', encoding="utf-8")
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: https://example.invalid/other\n    rev: v1\n    hooks:\n      - id: other\n",
        encoding="utf-8",
    )

    code, out, _ = _run(capsys, "init", "--repo", str(repo))

    assert code == 0, out
    from nodeforge.config import load_settings

    assert load_settings(repo).node_paths == ("src/team/nodes",)
    import yaml

    repos = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"]
    assert [r["repo"] for r in repos] == ["https://example.invalid/other", "local"]
    assert repos[1]["hooks"][0]["id"] == "nodeforge-learn"
    hook = next(c for c in diagnose(repo).checks if c.name == "hook")
    assert hook.status.value == "ok", hook
    # A second run keeps what is there.
    before = (repo / "pyproject.toml").read_text(encoding="utf-8")
    assert _run(capsys, "init", "--repo", str(repo), "--no-hook")[0] == 0
    assert (repo / "pyproject.toml").read_text(encoding="utf-8") == before


def test_init_without_nodes_asks_for_the_folder(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "init", "--repo", str(repo))
    assert code == 2 and "--node-path" in err


def test_bash_completion_completes_commands_and_options(tmp_path: Path) -> None:
    script = tmp_path / "nodeforge.bash"
    script.write_text(
        subprocess.run(
            [sys.executable, "-m", "nodeforge.cli.main", "completion", "bash"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout,
        encoding="utf-8",
    )

    def complete(*words: str) -> list[str]:
        line = " ".join(f"'{w}'" for w in ("nodeforge", *words))
        probe = f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words)}; _nodeforge; "
        probe += 'printf "%s\\n" "${COMPREPLY[@]}"'
        done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path)
        return done.stdout.split()

    assert complete("pat") == ["patterns"]
    assert set(complete("patterns", "")) >= {"list", "search", "stats"}
    assert complete("generate", "--dr") == ["--dry-run"]
    assert complete("completion", "z") == ["zsh"]
    (tmp_path / "contract.yaml").write_text("name: x\n", encoding="utf-8")
    assert complete("generate", "cont") == ["contract.yaml"]  # not a command or option: a file
