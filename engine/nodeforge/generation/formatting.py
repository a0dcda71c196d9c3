"""Generated files in the team's own style: its ruff, or its isort and black, with its configuration.

Which tool is the repository's choice: what its ``pyproject.toml`` (``[tool.ruff]``, ``[tool.isort]``,
``[tool.black]``), ``ruff.toml``/``.ruff.toml``, ``.isort.cfg`` or ``.pre-commit-config.yaml`` names.
The tool itself is the one installed beside the repository's interpreter (``verify.repo_python``),
so its version is the team's. Each file goes through stdin with its future path as the file name,
so the tool reads the configuration (and per-file settings) that applies to that path, before anything
is written: ``--dry-run`` and ``--diff`` show what will land. Only generated files are touched.
"""

from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from nodeforge.yamlload import load_yaml

RUFF, ISORT, BLACK = "ruff", "isort", "black"
_TIMEOUT = 60.0  # seconds for one tool on one file; formatting a generated file takes milliseconds
# pre-commit hook ids that run each tool (ruff-pre-commit, isort's and black's own repositories).
_HOOK_TOOLS = {"ruff": RUFF, "ruff-check": RUFF, "ruff-format": RUFF, "isort": ISORT, "black": BLACK}


@dataclass(frozen=True)
class Formatter:
    """The repository's formatting tools as commands that read stdin, and one line saying what runs."""

    commands: tuple[tuple[str, ...], ...]  # "{path}" stands for the file's path
    note: str

    def apply(self, repo: Path, target: Path, files: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
        """``files`` (node-relative path -> text) with their Python files formatted, and what failed."""
        formatted = dict(files)
        problems: list[str] = []
        for rel, text in files.items():
            if rel.endswith(".py") and self.commands:
                formatted[rel], problem = self._one(repo, target / rel, text)
                problems += [f"format: {rel}: {problem}; left as rendered"] if problem else []
        return formatted, problems

    def _one(self, repo: Path, path: Path, text: str) -> tuple[str, str]:
        current = text
        for command in self.commands:
            argv = [part.replace("{path}", str(path)) for part in command]
            try:
                done = subprocess.run(
                    argv,
                    cwd=repo,
                    input=current,
                    capture_output=True,
                    text=True,
                    timeout=_TIMEOUT,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                return text, f"{Path(argv[0]).name} took longer than {_TIMEOUT:g} s"
            except OSError as error:
                return text, f"{argv[0]} does not run: {error.strerror}"
            if done.returncode != 0:
                return (
                    text,
                    f"{Path(argv[0]).name} exited {done.returncode}: {' '.join(done.stderr.split())[:300]}",
                )
            current = done.stdout
        return current, ""


def configured_tools(repo: Path) -> list[str]:
    """The formatting tools the repository's configuration names, in the order they run."""
    named = set(_pyproject_tools(repo)) | set(_precommit_tools(repo))
    if (repo / "ruff.toml").is_file() or (repo / ".ruff.toml").is_file():
        named.add(RUFF)
    if (repo / ".isort.cfg").is_file():
        named.add(ISORT)
    if RUFF in named:  # ruff sorts imports and formats: it is the whole job where a team has it
        return [RUFF]
    return [tool for tool in (ISORT, BLACK) if tool in named]


def _pyproject_tools(repo: Path) -> list[str]:
    try:
        document = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []  # no readable pyproject: other configuration files may still name a tool
    tools = document.get("tool", {})
    return [tool for tool in (RUFF, ISORT, BLACK) if isinstance(tools, dict) and tool in tools]


def _precommit_tools(repo: Path) -> list[str]:
    try:
        config = load_yaml((repo / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    repos = config.get("repos", []) if isinstance(config, dict) else []
    hooks = [hook for entry in repos if isinstance(entry, dict) for hook in entry.get("hooks", []) or []]
    ids = [str(hook.get("id", "")) for hook in hooks if isinstance(hook, dict)]
    return [_HOOK_TOOLS[hook_id] for hook_id in ids if hook_id in _HOOK_TOOLS]


def _commands(tool: str, executable: Path) -> list[tuple[str, ...]]:
    exe = str(executable)
    if tool == RUFF:
        return [
            (
                exe,
                "check",
                "--select",
                "I",
                "--fix",
                "--exit-zero",
                "--quiet",
                "--stdin-filename",
                "{path}",
                "-",
            ),
            (exe, "format", "--quiet", "--stdin-filename", "{path}", "-"),
        ]
    if tool == ISORT:
        return [(exe, "--filename", "{path}", "-")]
    return [(exe, "--quiet", "--stdin-filename", "{path}", "-")]


def find_formatter(repo: Path, python: str, tools: Sequence[str] | None = None) -> Formatter:
    """The repository's configured tools, taken from beside ``python`` (its interpreter)."""
    wanted = configured_tools(repo) if tools is None else list(tools)
    if not wanted:
        return Formatter(
            (), "format: the repository configures no ruff, isort or black; files left as rendered"
        )
    bin_dir = Path(python).parent  # a virtual environment's scripts sit beside its interpreter
    missing = [tool for tool in wanted if not (bin_dir / tool).is_file()]
    if missing:
        names = " and ".join(missing)
        return Formatter(
            (), f"format: the repository uses {names}, not installed beside {python}; files left as rendered"
        )
    commands = tuple(command for tool in wanted for command in _commands(tool, bin_dir / tool))
    return Formatter(commands, f"format: {' and '.join(wanted)}, with the repository's configuration")
