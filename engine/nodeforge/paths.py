"""Where a repository keeps nodeforge's state: ``<repo>/.nodeforge/`` (git-ignored), and its files' names.

Light on purpose (standard library only): the post-commit hook imports it in the commit's time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from nodeforge.environment import HOME, read_environment

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


# A state folder chosen by this process for a while (``state_home``), before NODEFORGE_HOME.
_HOME: ContextVar[Path | None] = ContextVar("nodeforge_state_home", default=None)


def state_path(repo: Path) -> Path:
    """``<repo>/.nodeforge``, or ``NODEFORGE_HOME`` when set (tests, CI caches); nothing is created."""
    return _HOME.get() or read_environment().home or repo / STATE_DIR


@contextmanager
def state_home(folder: Path) -> Iterator[None]:
    """Keep nodeforge's state in ``folder`` meanwhile (``eval``'s folds): in this process, and in
    the child processes started with ``child_environment``. ``os.environ`` is left as it is."""
    token = _HOME.set(folder)
    try:
        yield
    finally:
        _HOME.reset(token)


def child_environment() -> dict[str, str]:
    """The environment for a child process nodeforge starts: this one's, with the state folder
    ``state_home`` chose (so a test run's verdicts land where this process reads them)."""
    env = dict(os.environ)
    chosen = _HOME.get()
    if chosen is not None:
        env[HOME] = str(chosen)
    return env


def state_dir(repo: Path) -> Path:
    """``state_path``, created (with a ``.gitignore`` keeping it out of git) when missing."""
    path = state_path(repo)
    path.mkdir(parents=True, exist_ok=True)
    ignore = path / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")
    return path
