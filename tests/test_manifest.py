"""The hook manifest other repositories point their .pre-commit-config.yaml at."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]


def test_pre_commit_validates_the_manifest() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(PROJECT / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_hook_runs_after_commits_on_no_filenames() -> None:
    hooks = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["nodeforge-learn", "nodeforge-learn-arrived"]
    hook = hooks[0]
    assert hook["stages"] == ["post-commit"]
    assert hook["always_run"] is True and hook["pass_filenames"] is False
    entry = hook["entry"]
    scripts = (PROJECT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'{entry} = "nodeforge.hooks.precommit:main"' in scripts
