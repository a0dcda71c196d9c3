"""Every environment variable nodeforge knows is read by ``nodeforge.environment`` and nowhere else,
and nothing in the package writes ``os.environ``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from nodeforge.config import load_settings
from nodeforge.environment import read_environment
from nodeforge.paths import child_environment, state_home, state_path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*(ROOT / "engine" / "nodeforge").rglob("*.py"), *(ROOT / "hooks").glob("*.py")])
THE_READER = ROOT / "engine" / "nodeforge" / "environment.py"
# Copies the whole environment for a child process (adding the state folder), reads no variable.
THE_COPIER = ROOT / "engine" / "nodeforge" / "paths.py"


def _environ_uses(path: Path) -> list[str]:
    """Each ``os.environ`` / ``os.getenv`` / ``os.putenv`` use in ``path``, as ``line: code``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"environ", "getenv", "putenv", "unsetenv"}
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_only_the_reader_touches_the_environment() -> None:
    uses = [use for path in SOURCES if path not in {THE_READER, THE_COPIER} for use in _environ_uses(path)]
    assert uses == []
    assert len(_environ_uses(THE_COPIER)) == 1  # dict(os.environ) in child_environment


def test_the_environment_reaches_the_settings(tmp_path: Path) -> None:
    env = {
        "NODEFORGE_MODEL": str(tmp_path / "model"),
        "NODEFORGE_EMBEDDINGS": "off",
        "NODEFORGE_EMBED_LATER": "0",
        "NODEFORGE_HOME": str(tmp_path / "state"),
    }
    settings = load_settings(tmp_path, env=env)
    assert (settings.model_path, settings.dense_embeddings, settings.embed_later) == (
        tmp_path / "model",
        False,
        False,
    )
    assert read_environment(env).home == tmp_path / "state"
    defaults = load_settings(tmp_path, env={"NODEFORGE_EMBEDDINGS": "", "NODEFORGE_EMBED_LATER": "1"})
    assert (defaults.model_path, defaults.dense_embeddings, defaults.embed_later) == (None, True, True)


def test_the_state_folder_follows_nodeforge_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert state_path(tmp_path) == tmp_path / ".nodeforge"
    monkeypatch.setenv("NODEFORGE_HOME", str(tmp_path / "ci-cache"))
    assert state_path(tmp_path) == tmp_path / "ci-cache"


def test_state_home_redirects_this_process_and_its_children_without_writing_the_environment(
    tmp_path: Path,
) -> None:
    import os

    before = dict(os.environ)
    with state_home(tmp_path / "fold-0"):
        assert state_path(tmp_path) == tmp_path / "fold-0"
        assert child_environment()["NODEFORGE_HOME"] == str(tmp_path / "fold-0")
        assert dict(os.environ) == before
    assert state_path(tmp_path) == tmp_path / ".nodeforge"
    assert "NODEFORGE_HOME" not in child_environment()
