"""Where a repository keeps nodeforge's state: ``<repo>/.nodeforge/`` (git-ignored), and its files' names.

Light on purpose (standard library only): the post-commit hook imports it in the commit's time.
"""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR = ".nodeforge"
PENDING_FILE = "pending.json"  # node key -> content hash, for nodes waiting for a verdict
LEARNED_FILE = "learned.json"  # node key -> the content hash it was last learned at
HOOK_LOG_FILE = "hook.log"  # the detached hook learner's summary lines
LEARN_FAILED_FILE = "last-learn-failed"  # written by a background learn that failed, read by the next hook


def find_repo_root(start: Path | None = None) -> Path:
    """The git work tree holding ``start`` (default: cwd); ``start`` itself outside git."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return here


def state_path(repo: Path) -> Path:
    """``<repo>/.nodeforge``, or ``NODEFORGE_HOME`` when set (tests, CI caches); nothing is created."""
    override = os.environ.get("NODEFORGE_HOME")
    return Path(override) if override else repo / STATE_DIR


def state_dir(repo: Path) -> Path:
    """``state_path``, created (with a ``.gitignore`` keeping it out of git) when missing."""
    path = state_path(repo)
    path.mkdir(parents=True, exist_ok=True)
    ignore = path / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    return path
