"""Generated files follow the team's formatting: its own ruff (or isort and black) with its configuration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nodeforge.config import load_settings
from nodeforge.generation.contract import load_contract
from nodeforge.generation.formatting import BLACK, ISORT, RUFF, configured_tools, find_formatter
from nodeforge.generation.generate import GenerateOptions, generate

BIN = Path(sys.executable).parent
needs_ruff = pytest.mark.skipif(not (BIN / "ruff").is_file(), reason="ruff is not installed beside python")
TEAM_RUFF = '[tool.ruff]\nline-length = 100\n\n[tool.ruff.lint.isort]\nknown-first-party = ["teamapp"]\n'
UNSORTED = '# header\nimport teamapp.kit\nimport os\nfrom pydantic import BaseModel\nVALUE = {"a":1}\n'
CONTRACT = "name: node_refund_effect\nnode_type: effect\noperations: [create, get]\n"


def _git_repo(folder: Path, pyproject: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=folder, check=True)
    if pyproject:
        (folder / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"pyproject.toml": TEAM_RUFF}, [RUFF]),
        ({"ruff.toml": "line-length = 90\n"}, [RUFF]),
        (
            {"pyproject.toml": "[tool.black]\nline-length = 90\n[tool.isort]\nprofile = 'black'\n"},
            [ISORT, BLACK],
        ),
        ({".isort.cfg": "[settings]\nprofile=black\n"}, [ISORT]),
        (
            {".pre-commit-config.yaml": "repos:\n- repo: local\n  hooks: [{id: ruff-format}]\n"},
            [RUFF],
        ),
        (
            {
                "pyproject.toml": "[tool.isort]\n",
                ".pre-commit-config.yaml": "repos:\n- hooks: [{id: ruff}]\n",
            },
            [RUFF],
        ),
        ({"pyproject.toml": "[project]\nname = 'x'\n"}, []),
        ({"pyproject.toml": "not toml ["}, []),
    ],
    ids=[
        "pyproject ruff",
        "ruff.toml",
        "isort and black",
        "isort.cfg",
        "pre-commit",
        "ruff wins",
        "none",
        "bad",
    ],
)
def test_the_repository_configuration_names_its_tools(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert configured_tools(tmp_path) == expected


@needs_ruff
def test_ruff_sorts_and_formats_with_the_team_configuration(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path / "repo", TEAM_RUFF)
    formatter = find_formatter(repo, sys.executable)

    files, problems = formatter.apply(
        repo, repo / "src" / "node", {"a.py": UNSORTED, "contract.yaml": "x:  1\n"}
    )

    assert problems == []
    assert files["a.py"] == (
        '# header\nimport os\n\nfrom pydantic import BaseModel\n\nimport teamapp.kit\n\nVALUE = {"a": 1}\n'
    )
    assert files["contract.yaml"] == "x:  1\n", "only Python files are formatted"
    assert formatter.note == "format: ruff, with the repository's configuration"


def test_a_configured_tool_that_is_not_installed_is_said_once_and_nothing_changes(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path / "repo", TEAM_RUFF)
    interpreter = tmp_path / "empty-venv" / "bin" / "python"  # a venv without ruff

    formatter = find_formatter(repo, str(interpreter))
    files, problems = formatter.apply(repo, repo / "node", {"a.py": UNSORTED})

    assert files == {"a.py": UNSORTED} and problems == []
    assert (
        formatter.note
        == f"format: the repository uses ruff, not installed beside {interpreter}; files left as rendered"
    )


@needs_ruff
def test_a_tool_that_fails_on_a_file_leaves_it_as_rendered_and_says_why(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path / "repo", TEAM_RUFF + "\n[tool.ruff.format]\nquote-style = 'nonsense'\n")
    files, problems = find_formatter(repo, sys.executable).apply(repo, repo / "node", {"a.py": UNSORTED})
    assert files == {"a.py": UNSORTED}
    assert len(problems) == 1 and problems[0].startswith("format: a.py: ruff exited 2")


@needs_ruff
def test_generated_files_pass_the_team_ruff_and_dry_run_shows_them_formatted(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path / "repo", TEAM_RUFF + "\n[tool.ruff.lint]\nselect = ['E', 'I']\n")
    (repo / "c.yaml").write_text(CONTRACT, encoding="utf-8")
    contract = load_contract(repo / "c.yaml")
    settings = load_settings(repo)
    out = repo / "src" / "teamapp" / "nodes"

    dry = generate(
        repo, contract, "c.yaml", settings, GenerateOptions(out=out, dry_run=True, diff=True), None
    )
    report = generate(repo, contract, "c.yaml", settings, GenerateOptions(out=out), None)

    assert "format: ruff, with the repository's configuration" in report.notes
    node = out / "node_refund_effect"
    for command in (["check", "--select", "I", str(node)], ["format", "--check", str(node)]):
        done = subprocess.run(
            [str(BIN / "ruff"), *command], cwd=repo, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
    written = "".join(p.read_text(encoding="utf-8") for p in sorted(node.rglob("*.py")))
    shown = "".join(
        line[1:] + "\n" for line in dry.diff.splitlines() if line.startswith("+") and line[1:2] != "+"
    )
    assert all(line in shown for line in written.splitlines() if line), "the diff shows what is written"


def test_without_a_configured_formatter_the_files_are_left_and_it_says_so(tmp_path: Path) -> None:
    repo = _git_repo(tmp_path / "repo")
    (repo / "c.yaml").write_text(CONTRACT, encoding="utf-8")
    report = generate(
        repo,
        load_contract(repo / "c.yaml"),
        "c.yaml",
        load_settings(repo),
        GenerateOptions(out=repo / "out"),
        None,
    )
    notes = [note for note in report.notes if note.startswith("format:")]
    assert notes == ["format: the repository configures no ruff, isort or black; files left as rendered"]
