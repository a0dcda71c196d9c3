"""Nodes that arrive by merge, pull or rebase are seen by the hook: compared with the first parent,
or with ``ORIG_HEAD`` (where HEAD was before) in the post-merge and post-rewrite stages."""

from __future__ import annotations

from pathlib import Path

import yaml

from nodeforge.gitrepo import changed_files as touched_files
from nodeforge.learning.learn import nodes_of_commit
from tests.gitkit import commit_all, git
from tests.reliability.conftest import nodes_of

ROOT = Path(__file__).parents[2]


def _branch_touching_a_node(team: Path) -> Path:
    node = nodes_of(team)[1]
    git(team, "checkout", "-q", "-b", "feature")
    handler = sorted((node / "handlers").glob("handler_*.py"))[0]
    handler.write_text(handler.read_text(encoding="utf-8") + "\n# arrived by merge\n", encoding="utf-8")
    commit_all(team, "feature work")
    git(team, "checkout", "-q", "main")
    return node


def test_a_merge_commit_brings_the_nodes_of_its_second_parent(team: Path) -> None:
    node = _branch_touching_a_node(team)
    (team / "NOTES.md").write_text("main moved on\n", encoding="utf-8")
    commit_all(team, "main work")
    git(team, "merge", "-q", "--no-ff", "-m", "merge feature", "feature")

    files = touched_files(team, "HEAD")

    assert any(name.startswith(node.relative_to(team).as_posix()) for name in files), files
    assert [n.key for n in nodes_of_commit(team, "HEAD").nodes] == [node.relative_to(team).as_posix()]


def test_a_fast_forward_pull_counts_every_commit_since_orig_head(team: Path) -> None:
    node = _branch_touching_a_node(team)
    git(team, "checkout", "-q", "feature")
    (team / "NOTES.md").write_text("a later commit, elsewhere\n", encoding="utf-8")
    commit_all(team, "later")
    git(team, "checkout", "-q", "main")
    git(team, "merge", "-q", "--ff-only", "feature")  # sets ORIG_HEAD, as pull does

    assert not any(node.name in name for name in touched_files(team, "HEAD"))  # the last commit alone
    assert any(node.name in name for name in touched_files(team, "HEAD", since="ORIG_HEAD"))


def test_the_hook_is_offered_for_post_merge_and_post_rewrite() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    arrived = next(hook for hook in hooks if hook["id"] == "nodeforge-learn-arrived")
    assert set(arrived["stages"]) == {"post-merge", "post-rewrite"}
    assert arrived["entry"].endswith("--since ORIG_HEAD")
