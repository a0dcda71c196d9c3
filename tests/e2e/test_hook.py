"""The ``nodeforge-learn`` post-commit hook, run by the real pre-commit framework on real commits.

One commit holds a node whose tests pass, one whose tests fail and one never tested: the first is
learned, the second reported as failed, the third left pending. Fixing the second and running the
tests with the plugin, then committing only the fix, learns the fixed node and the pending one (its
verdict arrived for exactly its committed content).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import BIN, hook_env, install_hook, run
from tests.fixtures.repo_factory import NODES_DIR, NodeSpec, node_files, write_base, write_node

pytestmark = pytest.mark.slow

GOOD = NodeSpec("payment", "effect", ("create", "get"))
BAD = NodeSpec("refund", "compute", ("transform",))
UNTESTED = NodeSpec("coupon", "reducer", ("aggregate",))


def _pytest(repo: Path, env: dict[str, str], *paths: str) -> str:
    result = run(
        [str(BIN / "python"), "-m", "pytest", "-q", "--nodeforge", "-p", "no:cacheprovider", *paths],
        repo,
        env=env,
        check=False,
    )
    assert "nodeforge: verdicts recorded" in result.stdout, result.stdout + result.stderr
    return result.stdout


def _commit(repo: Path, env: dict[str, str], message: str) -> str:
    """Commit; return the hook's one summary line (the commit must succeed whatever it says)."""
    run(["git", "add", "-A"], repo, env=env)
    result = run(["git", "commit", "-m", message], repo, env=env)
    lines = [line for line in (result.stdout + result.stderr).splitlines() if "nodeforge:" in line]
    assert len(lines) == 1, result.stdout + result.stderr
    return lines[0][lines[0].index("nodeforge:") :]


def _patterns(repo: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    result = run([str(BIN / "nodeforge"), "patterns", "list", "--json"], repo, env=env)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _nodes_of(patterns: list[dict[str, Any]]) -> set[str]:
    return {re.sub(r"^.*/(node_[a-z_]+)/.*$", r"\1", p["provenance"]["path"]) for p in patterns}


def test_the_hook_learns_passing_nodes_and_waits_for_the_rest(
    tmp_path: Path, project_snapshot: tuple[Path, str], pre_commit_home: Path
) -> None:
    env = hook_env(pre_commit_home)
    repo = tmp_path / "team"
    repo.mkdir()
    run(["git", "init", "-q", "-b", "main"], repo, env=env)
    write_base(repo)
    write_node(repo, GOOD)
    write_node(repo, BAD, failing=True)
    install_hook(repo, project_snapshot, env, ("--foreground",))  # read the commit's own line
    tested = _pytest(repo, env, f"{NODES_DIR}/{GOOD.dir_name}", f"{NODES_DIR}/{BAD.dir_name}")
    assert "(1 passed, 1 failed)" in tested
    write_node(repo, UNTESTED)  # written after the test run: no verdict for it

    line = _commit(repo, env, "three nodes")
    sha = run(["git", "rev-parse", "HEAD"], repo, env=env).stdout.strip()

    assert line.startswith("nodeforge: learned 1 node(s) node_payment_effect ("), line
    assert "1 pending: node_coupon_reducer (no verdict for this content)" in line, line
    assert "1 skipped: node_refund_compute (its tests failed for this content)" in line, line
    patterns = _patterns(repo, env)
    assert patterns, "the passing node's patterns are stored"
    assert _nodes_of(patterns) == {GOOD.dir_name}
    assert {p["provenance"]["commit"] for p in patterns} == {sha}
    assert {p["status"] for p in patterns} == {"active"}

    # fix the failing test, run the tests of the fixed node and of the untested one, commit the fix
    bad_dir = repo / NODES_DIR / BAD.dir_name
    for relative, text in node_files(BAD, failing=False).items():
        (bad_dir / relative).write_text(text, encoding="utf-8")
    tested = _pytest(repo, env, str(bad_dir.relative_to(repo)), f"{NODES_DIR}/{UNTESTED.dir_name}")
    assert "(2 passed, 0 failed)" in tested

    line = _commit(repo, env, "fix the refund test")

    assert line.startswith("nodeforge: learned 2 node(s) node_coupon_reducer, node_refund_compute ("), line
    assert "0 pending, 0 skipped" in line, line
    assert _nodes_of(_patterns(repo, env)) == {GOOD.dir_name, BAD.dir_name, UNTESTED.dir_name}


def test_a_commit_without_nodes_is_answered_at_once(
    tmp_path: Path, project_snapshot: tuple[Path, str], pre_commit_home: Path
) -> None:
    env = hook_env(pre_commit_home)
    repo = tmp_path / "plain"
    repo.mkdir()
    run(["git", "init", "-q", "-b", "main"], repo, env=env)
    install_hook(repo, project_snapshot, env, ("--foreground",))  # read the commit's own line
    (repo / "README.md").write_text("no nodes here\n", encoding="utf-8")

    line = _commit(repo, env, "docs only")

    assert line == "nodeforge: nothing to learn (no node in this commit, none pending)"
    assert run(["git", "log", "--oneline"], repo, env=env).stdout.count("\n") == 1
