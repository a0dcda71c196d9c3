"""What every command starts from: its git repository, its store, and paths as the team sees them."""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nodeforge.config import Settings
from nodeforge.errors import InputError
from nodeforge.gitrepo import git
from nodeforge.storage.factory import open_configured
from nodeforge.storage.protocol import PatternStore


def repo_of(args: argparse.Namespace) -> Path:
    """The git work tree to work on. Outside one there is nothing committed to learn from, and
    ``.nodeforge/`` would land in whatever folder the user happened to be in: refuse, and say why."""
    if args.repo is not None and not args.repo.is_dir():
        raise InputError(f"--repo {args.repo}: no such folder")
    start = (args.repo or Path.cwd()).resolve()
    try:
        top = git(start, "rev-parse", "--show-toplevel").strip()
    except (OSError, subprocess.CalledProcessError):
        raise InputError(
            f"{start} is not inside a git repository: nodeforge learns from committed code and keeps "
            "its state next to it (run `git init` first, or pass --repo PATH)"
        ) from None
    return Path(top).resolve() if args.repo is None else start


def shown(path: Path, repo: Path) -> str:
    """``path`` as the team sees it: relative to the repository, never the author's absolute path."""
    resolved = path.resolve()
    return resolved.relative_to(repo).as_posix() if resolved.is_relative_to(repo) else resolved.name


@contextmanager
def store_for(settings: Settings, *, embed: bool = True) -> Iterator[PatternStore]:
    """The configured store; dense embeddings unless asked not to (``--no-embed``, or
    ``NODEFORGE_EMBEDDINGS=0`` forcing sparse retrieval)."""
    dense = embed and settings.dense_embeddings
    with open_configured(settings, embedder="auto" if dense else None) as store:
        yield store


def head_commit(repo: Path) -> str:
    try:
        return git(repo, "rev-parse", "HEAD").strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
