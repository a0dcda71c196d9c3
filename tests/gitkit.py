"""Git and the hook's log, as tests drive them: one copy for every test module."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def git(repo: Path, *args: str) -> str:
    """``git args`` in ``repo``; its standard output (a failure raises)."""
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def git_init(folder: Path) -> Path:
    """``folder`` as a fresh git repository: nodeforge's commands run only inside one."""
    git(folder, "init", "-q", "-b", "main")
    return folder


def commit_all(repo: Path, message: str = "nodes") -> str:
    """Commit everything in ``repo``; the new commit's id."""
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD").strip()


def wait_for_log(log: Path, text: str, timeout: float) -> str:
    """``log``'s content once it holds ``text`` (the detached learner writes it after the commit)."""
    deadline = time.monotonic() + timeout
    content = ""
    while time.monotonic() < deadline:
        content = log.read_text(encoding="utf-8") if log.exists() else ""
        if text in content:
            return content
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never reached {log}:\n{content}")
