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


def changed_files(repo: Path, commit: str, since: str = "") -> list[str]:
    """Files ``commit`` brought, repo-relative: against ``since`` when it resolves, else its first parent.

    The first parent, not ``git diff-tree <commit>``: that prints nothing for a merge commit, so
    nodes arriving by merge or pull were never seen. After a fast-forward pull or a rebase the hook
    passes ``since=ORIG_HEAD`` (where HEAD was before): every commit that arrived counts.
    """
    base = since if since and _resolves(repo, since) else f"{commit}^1"
    if not _resolves(repo, base):  # a root commit: everything in it is new
        output = git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", "--root", "-z", commit)
    else:
        output = git(repo, "diff", "--name-only", "--no-renames", "-z", base, commit)
    return [name for name in output.split("\0") if name]


def _resolves(repo: Path, revision: str) -> bool:
    command = ["git", "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"]
    done = subprocess.run(command, cwd=repo, capture_output=True, check=False)
    return done.returncode == 0
