"""Fixtures for end-to-end tests: a snapshot of this repository that pre-commit can install from."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gitkit import wait_for_log

PROJECT = Path(__file__).resolve().parents[2]
EXAMPLE = PROJECT / "examples" / "team_repo"
BIN = Path(sys.executable).parent


def run(
    args: list[str], cwd: Path, *, check: bool = True, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def hook_env(pre_commit_home: Path) -> dict[str, str]:
    """The environment of a developer's shell: this venv first on PATH, one pre-commit cache."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    env["NODEFORGE_EMBED_LATER"] = "0"
    return env


def install_hook(
    repo: Path, snapshot: tuple[Path, str], env: dict[str, str], args: tuple[str, ...] = ()
) -> None:
    """``.pre-commit-config.yaml`` using this repository's ``nodeforge-learn``, installed as post-commit."""
    source, sha = snapshot
    hook_args = f"    args: [{', '.join(args)}]\n" if args else ""
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {source}\n  rev: {sha}\n  hooks:\n  - id: nodeforge-learn\n{hook_args}",
        encoding="utf-8",
    )
    (repo / ".gitignore").write_text(".nodeforge/\n__pycache__/\n.pytest_cache/\n", encoding="utf-8")
    run([str(BIN / "pre-commit"), "install", "--hook-type", "post-commit"], repo, env=env)


def wait_for_hook_log(repo: Path, text: str, timeout: float = 180.0) -> str:
    """The detached learner's log once it holds ``text`` (the post-commit hook returns at once)."""
    return wait_for_log(repo / ".nodeforge" / "hook.log", text, timeout)


@pytest.fixture(scope="session")
def project_snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This working tree (committed or not) as a git repo at one commit, like ``pre-commit try-repo``."""
    snapshot = tmp_path_factory.mktemp("nodeforge-snapshot")
    listed = run(["git", "ls-files", "-co", "--exclude-standard", "-z"], PROJECT).stdout.split("\0")
    for rel in filter(None, listed):
        source = PROJECT / rel
        if source.is_file():
            target = snapshot / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    run(["git", "init", "-q", "-b", "main"], snapshot)
    run(["git", "add", "-A"], snapshot)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "snapshot"], snapshot)
    sha = run(["git", "rev-parse", "HEAD"], snapshot).stdout.strip()
    return snapshot, sha


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-commit cache for the session: the hook's environment is installed once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def team_repo(tmp_path: Path) -> Iterator[Path]:
    """A git repository holding the shipped example team repo, with nothing committed yet."""
    root = tmp_path / "team"
    shutil.copytree(
        EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__", ".nodeforge", ".pytest_cache")
    )
    run(["git", "init", "-q", "-b", "main"], root)
    yield root
