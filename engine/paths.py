"""Where a repository keeps nodeforge's state: ``<repo>/.nodeforge/`` (git-ignored)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

STATE_DIR = ".nodeforge"


def find_repo_root(start: Path | None = None) -> Path:
    """The git work tree holding ``start`` (default: cwd); ``start`` itself outside git."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return here


def state_dir(repo: Path) -> Path:
    """``<repo>/.nodeforge``, or ``NODEFORGE_HOME`` when set (tests, CI caches)."""
    override = os.environ.get("NODEFORGE_HOME")
    path = Path(override) if override else repo / STATE_DIR
    path.mkdir(parents=True, exist_ok=True)
    ignore = path / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    return path


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` and return its stdout; raises CalledProcessError on failure."""
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout
