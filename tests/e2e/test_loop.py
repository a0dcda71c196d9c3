"""The whole loop with real tools.

pytest plugin -> pre-commit post-commit hook -> Qdrant -> generate -> generated tests -> feedback.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import BIN, PROJECT, hook_env, install_hook, run, wait_for_hook_log

pytestmark = pytest.mark.slow

CONTRACT = PROJECT / "examples" / "contracts" / "node_order_effect.yaml"
NODES = Path("src/teamapp/nodes")
TEAM_IDIOM = "await with_retry(self._store.put, request.key, request.payload, attempts=3)"


def _nodeforge(repo: Path, *args: str, env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    result = run([str(BIN / "nodeforge"), *args, "--json"], repo, env=env)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_the_loop_closes(team_repo: Path, project_snapshot: tuple[Path, str], pre_commit_home: Path) -> None:
    env = hook_env(pre_commit_home)
    install_hook(team_repo, project_snapshot, env)
    # The user's repository has its own top-level `engine` and `hooks` packages, first on sys.path
    # (python -m pytest puts the working folder there): nodeforge must never import them.
    for package in ("engine", "hooks"):
        (team_repo / package).mkdir()
        (team_repo / package / "__init__.py").write_text(
            f"raise ImportError('the user repo's own {package} package was imported')\n", encoding="utf-8"
        )

    tests = run(
        [str(BIN / "python"), "-m", "pytest", "-q", "--nodeforge", "-p", "no:cacheprovider"],
        team_repo,
        env=env,
    )
    assert "nodeforge: verdicts recorded" in tests.stdout

    run(["git", "add", "-A"], team_repo, env=env)
    commit = run(["git", "commit", "-m", "team nodes"], team_repo, env=env)
    sha = run(["git", "rev-parse", "HEAD"], team_repo, env=env).stdout.strip()
    assert f"nodeforge: learning 5 node(s) of {sha[:10]} in the background" in commit.stdout + commit.stderr
    log = wait_for_hook_log(team_repo, "nodeforge: learned 5 node(s)")
    assert "Traceback" not in log

    patterns = _nodeforge(team_repo, "patterns", "list", env=env)
    create = [p for p in patterns if p["slot"] == "effect:create" and p["kind"] == "operation"]
    assert create, patterns
    assert create[0]["provenance"]["commit"] == sha
    assert create[0]["support"] == 2  # the same idiom in node_user_effect and node_invoice_effect

    report = _nodeforge(team_repo, "generate", str(CONTRACT), "--out", str(NODES), env=env)
    used_ids = {u["id"] for u in report["used"]}
    assert create[0]["id"] in used_ids
    handler = (team_repo / NODES / "node_order_effect" / "handlers" / "handler_order_create.py").read_text()
    assert TEAM_IDIOM in handler
    assert 'emit_audit("order.created"' in handler
    assert create[0]["id"] in handler.splitlines()[0]
    # In the team's style: its own ruff, with its configuration (known-first-party, line length).
    assert "format: ruff, with the repository's configuration" in report["notes"]
    node_dir = str(NODES / "node_order_effect")
    run([str(BIN / "ruff"), "check", "--select", "I", node_dir], team_repo, env=env)
    run([str(BIN / "ruff"), "format", "--check", node_dir], team_repo, env=env)

    generated_tests = run(
        [
            str(BIN / "python"),
            "-m",
            "pytest",
            "-q",
            "--nodeforge",
            "-p",
            "no:cacheprovider",
            str(NODES / "node_order_effect"),
        ],
        team_repo,
        env=env,
    )
    assert "verdicts recorded for 1 nodes (1 passed, 0 failed)" in generated_tests.stdout

    after = _nodeforge(team_repo, "patterns", "show", create[0]["id"], env=env)["pattern"]
    assert after["usage_count"] == 1
    assert after["success_count"] == create[0]["success_count"] + 1


def test_no_learning_gives_the_template_node(team_repo: Path, tmp_path: Path) -> None:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    out = team_repo / NODES
    report = _nodeforge(team_repo, "generate", str(CONTRACT), "--out", str(out), "--no-learning", env=env)
    assert report["used"] == []
    handler = (out / "node_order_effect" / "handlers" / "handler_order_create.py").read_text()
    assert "with_retry" not in handler and "emit_audit" not in handler
    assert "Learned patterns: none (template only)" in handler
    result = run(
        [
            str(BIN / "python"),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(NODES / "node_order_effect"),
        ],
        team_repo,
        env=env,
    )
    assert " passed" in result.stdout
    shutil.rmtree(out / "node_order_effect")
