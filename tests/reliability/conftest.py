"""Fixtures for the reliability suite: small committed team repos, and the real CLI run in-process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nodeforge.cli.main import main
from nodeforge.model import Pattern, PatternStatus
from nodeforge.storage.factory import open_store
from tests.fixtures.repo_factory import NODES_DIR, build_repo
from tests.gitkit import commit_all


def start_nodeforge(*argv: str | Path, cwd: Path, quiet: bool = False) -> subprocess.Popen[str]:
    """``nodeforge argv`` started in ``cwd``, sparse retrieval only; output piped (dropped if ``quiet``)."""
    output = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "nodeforge.cli.main", *map(str, argv)],
        cwd=cwd,
        env={**os.environ, "NODEFORGE_EMBEDDINGS": "0"},
        stdout=output,
        stderr=output,
        text=True,
    )


ALL_STATUSES = tuple(PatternStatus)


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@pytest.fixture(autouse=True)
def _sparse_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No MiniLM in this suite: loading torch would dominate its runtime and test nothing here."""
    monkeypatch.setenv("NODEFORGE_EMBEDDINGS", "0")


@pytest.fixture(scope="session")
def _template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template") / "team"
    root.mkdir()
    build_repo(root, 2, seed=1)  # two effect nodes: enough to learn, quick to mine
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    commit_all(root, "two nodes")
    return root


@pytest.fixture
def team(_template_repo: Path, tmp_path: Path) -> Path:
    """A committed git repo with two effect nodes (``node_<entity>_effect``), private to the test."""
    root = tmp_path / "team"
    shutil.copytree(_template_repo, root, symlinks=True)
    return root


def nodes_of(repo: Path) -> list[Path]:
    return sorted(p for p in (repo / NODES_DIR).iterdir() if p.name.startswith("node_"))


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Iterator[object]:
    def run(*argv: str | Path) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    yield run


def template_generate(contract: Path, out: Path, repo: Path, *extra: str) -> list[str | Path]:
    """``generate`` argv from templates only, unverified: what these tests check is the writing."""
    return ["generate", contract, "--out", out, "--repo", repo, "--no-learning", "--no-verify", *extra]


def assert_one_line_error(result: Result, *needles: str, code: int = 2) -> None:
    """Exit ``code``, exactly one ``nodeforge: error:`` line naming every needle, no traceback."""
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err + result.out
    errors = [line for line in result.error_lines if line.startswith("nodeforge: error:")]
    assert len(errors) == 1, result.err
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])


def files_under(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def stored(repo: Path) -> list[Pattern]:
    """Every pattern in the repo's embedded store, whatever its status."""
    with open_store(repo, embedder=None) as store:
        return store.list(statuses=ALL_STATUSES)
