"""The post-commit hook's own logic, in-process on small real git repos (the framework: tests/e2e)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nodeforge.errors import InputError
from nodeforge.hooks import precommit
from nodeforge.learning.nodes import discover
from nodeforge.learning.reasons import differs_from_commit
from nodeforge.learning.verdicts import Outcome, VerdictBook, tally
from nodeforge.paths import HOOK_LOG_FILE, state_dir
from tests.fixtures.repo_factory import NODES_DIR, NodeSpec, write_base, write_node
from tests.gitkit import commit_all, git, wait_for_log

NODE = NodeSpec("payment", "effect", ("create", "get"))
KEY = f"{NODES_DIR}/{NODE.dir_name}"


def _pass(repo: Path) -> None:
    """A passing verdict for the node's current content, as the pytest plugin records it."""
    [node] = [n for n in discover(repo) if n.key == KEY]
    verdict = tally(node.key, node.content_hash, [Outcome.PASSED], "pytest")
    assert verdict is not None
    VerdictBook(state_dir(repo)).record([verdict])


@pytest.fixture
def team(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_base(repo)
    write_node(repo, NODE)
    (repo / ".gitignore").write_text(".nodeforge/\n__pycache__/\n", encoding="utf-8")
    monkeypatch.chdir(repo)
    return repo


def test_the_committed_hash_is_the_content_hash_of_a_clean_node(team: Path) -> None:
    module = team / "src" / "teamapp" / "mod_node.py"
    module.write_text("class NodeLedgerCompute(NodeCompute):\n    pass\n", encoding="utf-8")
    sha = commit_all(team)
    nodes = {n.key: n for n in discover(team)}
    for key in (KEY, "src/teamapp/mod_node.py"):
        assert precommit.committed_content_hash(team, sha, nodes[key]) == nodes[key].content_hash


def test_an_untracked_file_in_a_node_makes_it_differ(team: Path) -> None:
    sha = commit_all(team)
    (team / KEY / "handlers" / "scratch.py").write_text("x = 1\n", encoding="utf-8")
    [node] = [n for n in discover(team) if n.key == KEY]
    assert precommit.committed_content_hash(team, sha, node) != node.content_hash
    reason = precommit.CommittedContent(team, sha)(node)
    assert reason == differs_from_commit(sha)
    assert str(reason) == f"working tree differs from commit {sha[:10]}"


def test_the_hook_learns_only_committed_content(team: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit_all(team)
    handler = team / KEY / "handlers" / "handler_payment_get.py"
    handler.write_text(handler.read_text(encoding="utf-8") + "\n# edited after the commit\n", "utf-8")
    _pass(team)  # tests passed for the edited, uncommitted content

    assert precommit.main(["--foreground"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("nodeforge: learned 0 node(s) (0 new / 0 merged pattern(s)), 1 pending: ")
    assert "node_payment_effect (working tree differs from commit" in line

    sha = commit_all(team)  # now the tested content is committed: learned from the pending queue
    assert precommit.main(["--foreground"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("nodeforge: learned 1 node(s) node_payment_effect ("), line
    assert "0 pending, 0 skipped" in line
    assert git(team, "rev-parse", "HEAD").strip() == sha


def test_errors_never_block_unless_strict(team: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit_all(team)
    (team / "pyproject.toml").write_text("[tool.nodeforge]\nquality_treshold = 0.5\n", encoding="utf-8")
    assert precommit.main(["--foreground"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("nodeforge: learning skipped: pyproject.toml: [tool.nodeforge].quality_treshold")
    assert precommit.main(["--strict"]) == 1  # --strict validates every setting in the commit's time


def test_the_quick_look_reads_node_paths_as_the_settings_do(team: Path) -> None:
    _pass(team)
    sha = commit_all(team)
    (team / "pyproject.toml").write_text('[tool.nodeforge]\nnode_paths = ["elsewhere"]\n', encoding="utf-8")
    found = precommit.triage(team, sha, [f"{KEY}/node.py"], state_dir(team))
    assert found == precommit.Triage((), (), ())  # the node lies outside node_paths: not the hook's

    (team / "pyproject.toml").write_text('[tool.nodeforge]\nnode_paths = ["../up"]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"node_paths\[0\]: expected a path inside the repository"):
        precommit.triage(team, "HEAD", [f"{KEY}/node.py"], state_dir(team))  # the settings' own message


def test_a_commit_without_nodes_imports_nothing_heavy(repo: Path) -> None:
    (repo / "notes.txt").write_text("hello\n", encoding="utf-8")
    commit_all(repo)
    probe = (
        "import sys\nfrom nodeforge.hooks.precommit import main\ncode = main([])\n"
        "heavy = sorted(m for m in ('libcst', 'pydantic', 'qdrant_edge', 'qdrant_client', 'jinja2',"
        " 'sentence_transformers', 'torch') if m in sys.modules)\nprint('heavy:', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, check=True
    )
    assert "nodeforge: nothing to learn" in result.stdout
    assert "heavy: []" in result.stdout


def _wait_for_log(repo: Path, text: str, timeout: float = 120.0) -> str:
    return wait_for_log(state_dir(repo) / HOOK_LOG_FILE, text, timeout)


def test_by_default_the_commit_gets_a_triage_line_and_learning_runs_detached(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _pass(team)
    sha = commit_all(team)
    probe = (
        "import sys\nfrom nodeforge.hooks.precommit import main\ncode = main([])\n"
        "heavy = sorted(m for m in ('libcst', 'pydantic', 'qdrant_edge', 'qdrant_client', 'jinja2')"
        " if m in sys.modules)\n"
        "print('heavy:', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=team, capture_output=True, text=True, check=True
    )
    line = result.stdout.splitlines()[0]
    assert line.startswith(
        f"nodeforge: learning 1 node(s) of {sha[:10]} in the background: node_payment_effect"
    )
    assert "heavy: []" in result.stdout  # the commit never waits for libcst, pydantic or the store
    log = _wait_for_log(team, "nodeforge: learned 1 node(s) node_payment_effect")
    assert "Traceback" not in log
