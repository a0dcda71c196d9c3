"""``nodeforge init``: from nothing to learning in one command.

It finds the folders that hold ``node_*`` folders, writes ``[tool.nodeforge]`` into pyproject.toml,
adds the ``nodeforge-learn`` post-commit hook to ``.pre-commit-config.yaml`` and installs it. What
is already there is kept: a configured section or hook entry is left as it is, and said so.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from nodeforge.cli.doctor import HOOK_ID, PRE_COMMIT_CONFIG
from nodeforge.errors import InputError
from nodeforge.gitrepo import git

PYPROJECT = "pyproject.toml"

# A local hook runs the nodeforge installed next to the team's tools: no `rev` to keep up to date.
HOOK_ENTRY = f"""\
- repo: local
  hooks:
  - id: {HOOK_ID}
    name: nodeforge learn (patterns from the commit just made)
    entry: nodeforge-learn-hook
    language: system
    stages: [post-commit]
    always_run: true
    pass_filenames: false
"""


@dataclass
class SetupReport:
    node_paths: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    hook_installed: bool = False

    def lines(self) -> list[str]:
        done = [f"nodeforge: {action}" for action in self.actions]
        return [
            *done,
            "next: pytest --nodeforge, then commit: the hook learns from the nodes whose tests passed",
        ]


def find_node_paths(repo: Path) -> list[str]:
    """Folders (repo-relative) holding ``node_*/contract.yaml``, from git's view of the tree."""
    listed = git(repo, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    found = set()
    for rel in filter(None, listed.split("\0")):
        path = PurePosixPath(rel)
        if path.name in {"contract.yaml", "contract.yml"} and len(path.parts) >= 2:
            node = path.parent
            if node.name.startswith("node_"):
                found.add(node.parent.as_posix() or ".")
    # A folder inside another found one is already covered by it.
    return sorted(p for p in found if not any(p != q and p.startswith(q + "/") for q in found if q != "."))


def set_up(repo: Path, *, node_paths: tuple[str, ...] | None, install_hook: bool) -> SetupReport:
    report = SetupReport()
    paths = list(node_paths) if node_paths else find_node_paths(repo)
    if not paths:
        raise InputError(
            f"{repo}: no node_*/contract.yaml found; name the folder of your nodes: "
            "nodeforge init --node-path src/myteam/nodes"
        )
    report.node_paths = paths
    report.actions.append(_write_settings(repo, paths))
    report.actions.append(_write_hook_entry(repo))
    if install_hook:
        report.actions.append(_install_hook(repo))
        report.hook_installed = True
    return report


def _write_settings(repo: Path, paths: list[str]) -> str:
    pyproject = repo / PYPROJECT
    text = pyproject.read_text(encoding="utf-8") if pyproject.is_file() else ""
    try:
        tool = tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{pyproject}: not valid TOML ({error})") from None
    if "nodeforge" in tool:
        return f"{PYPROJECT} already has [tool.nodeforge]; left as it is"
    listed = ", ".join(f'"{p}"' for p in paths)
    section = (
        "[tool.nodeforge]\n"
        f"node_paths = [{listed}]\n"
        '# base_module = "omnibase_core.nodes"   # where NodeEffect & co. come from\n'
    )
    separator = "" if not text else ("\n" if text.endswith("\n") else "\n\n")
    pyproject.write_text(text + separator + section, encoding="utf-8")
    return f"wrote [tool.nodeforge] to {PYPROJECT}: node_paths = [{listed}]"


def _write_hook_entry(repo: Path) -> str:
    config = repo / PRE_COMMIT_CONFIG
    if not config.is_file():
        config.write_text("repos:\n" + HOOK_ENTRY, encoding="utf-8")
        return f"wrote {PRE_COMMIT_CONFIG} with the {HOOK_ID} hook"
    text = config.read_text(encoding="utf-8")
    if HOOK_ID in text:
        return f"{PRE_COMMIT_CONFIG} already lists {HOOK_ID}; left as it is"
    loaded = yaml.safe_load(text) or {}
    if not isinstance(loaded, dict) or not isinstance(loaded.get("repos"), list):
        raise InputError(
            f"{PRE_COMMIT_CONFIG}: expected a `repos:` list; add this entry by hand:\n{HOOK_ENTRY}"
        )
    # Append in the file's own indentation of `- repo:` lines, so comments and layout stay.
    first = re.search(r"^( *)- +repo:", text, re.MULTILINE)
    indent = first.group(1) if first else ""
    block = "".join(f"{indent}{line}\n" for line in HOOK_ENTRY.splitlines())
    config.write_text(text + ("" if text.endswith("\n") else "\n") + block, encoding="utf-8")
    return f"added the {HOOK_ID} hook to {PRE_COMMIT_CONFIG}"


def _install_hook(repo: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install", "--hook-type", "post-commit"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip().splitlines()
        raise InputError(
            "pre-commit could not install the hook"
            + (f" ({why[-1]})" if why else "")
            + ": pip install pre-commit, then pre-commit install --hook-type post-commit"
        )
    return "installed the post-commit hook (pre-commit install --hook-type post-commit)"
