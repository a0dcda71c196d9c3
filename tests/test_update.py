"""``nodeforge update`` and ``nodeforge outdated`` on a real team repository, with real git and Qdrant Edge.

The example team repository is learned once (module fixture); each test works on its own copy,
generates ``node_order_effect`` into it, commits, then moves the store or the templates on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from nodeforge.cli.main import main
from nodeforge.config import load_settings
from nodeforge.generation.contract import load_contract
from nodeforge.generation.generate import GenerateOptions, render_node
from nodeforge.generation.provenance import GeneratedNode, apply_feedback, generated_nodes
from nodeforge.learning.nodes import load_directory_node
from nodeforge.model import PatternKind, PatternStatus
from nodeforge.storage.factory import open_configured

PROJECT = Path(__file__).resolve().parents[1]
EXAMPLE = PROJECT / "examples" / "team_repo"
CONTRACT = PROJECT / "examples" / "contracts" / "node_order_effect.yaml"
NODE = "src/teamapp/nodes/node_order_effect"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "nodeforge-test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "nodeforge-test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", message)


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example team repository, committed and learned (sparse vectors), once for the module."""
    root = tmp_path_factory.mktemp("learned") / "team"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(root.parent / "home"))
        patch.setenv("NODEFORGE_EMBEDDINGS", "0")
        for name, value in GIT_ENV.items():
            patch.setenv(name, value)
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__", ".nodeforge"))
        (root / ".gitignore").write_text(".nodeforge/\n__pycache__/\n", encoding="utf-8")
        (root / "contracts").mkdir()
        shutil.copy(CONTRACT, root / "contracts" / CONTRACT.name)
        _git(root, "init", "-q", "-b", "main")
        _commit(root, "team nodes")
        assert main(["learn", "--all", "--no-test-gate", "--no-embed", "--repo", str(root)]) == 0
        yield root


@pytest.fixture
def team(
    learned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    """A copy of the learned repository with node_order_effect generated and committed."""
    monkeypatch.setenv("NODEFORGE_EMBEDDINGS", "0")
    repo = tmp_path / "team"
    shutil.copytree(learned, repo, symlinks=True)
    contract = repo / "contracts" / CONTRACT.name
    out = repo / "src" / "teamapp" / "nodes"
    argv = ["generate", str(contract), "--out", str(out), "--no-verify", "--repo", str(repo)]
    assert main(argv) == 0
    _commit(repo, "generated node_order_effect")
    capsys.readouterr()
    return repo


def _record(repo: Path) -> GeneratedNode:
    return next(r for r in generated_nodes(repo) if r.key == NODE)


def _set_status(repo: Path, ids: list[str], status: PatternStatus) -> None:
    with open_configured(load_settings(repo), embedder=None) as store:
        store.set_status(ids, status)


def _used_of_kind(repo: Path, kind: PatternKind) -> str:
    with open_configured(load_settings(repo), embedder=None) as store:
        for pattern_id, _ in _record(repo).patterns:
            found = store.get(pattern_id)
            if found is not None and found.kind is kind:
                return pattern_id
    raise AssertionError(f"node_order_effect used no {kind} pattern")


def _fresh(repo: Path) -> tuple[dict[str, str], list[str]]:
    """What generating node_order_effect gives now (nothing written): its files and patterns."""
    settings = load_settings(repo)
    contract_file = repo / "contracts" / CONTRACT.name
    options = GenerateOptions(out=repo / "src" / "teamapp" / "nodes", dry_run=True)
    with open_configured(settings, embedder=None) as store:
        rendered = render_node(
            repo,
            load_contract(contract_file),
            f"contracts/{CONTRACT.name}",
            settings,
            options,
            store,
            contract_file=contract_file,
        )
    return rendered.files, [f"{u.id}@v{u.version}" for u in rendered.used]


def _update(
    repo: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, list[dict[str, object]]]:
    code = main(["update", *args, "--repo", str(repo), "--json"])
    out = capsys.readouterr().out
    assert out.startswith("["), out
    return code, json.loads(out)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_an_untouched_node_updated_equals_a_fresh_generation_byte_for_byte(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exemplar = _used_of_kind(team, PatternKind.EXEMPLAR)
    _set_status(team, [exemplar], PatternStatus.RETIRED)
    code, [report] = _update(team, capsys, NODE)
    assert code == 0 and report["conflicts"] == [] and report["written"] is True
    files, used = _fresh(team)
    assert _snapshot(team / NODE) == {rel: text.encode() for rel, text in files.items()}
    assert report["new_patterns"] == used
    assert [f"{i}@v{v}" for i, v in _record(team).patterns] == used


def test_a_hand_edited_node_is_updated_cleanly_and_keeps_the_edit(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = team / NODE / "handlers" / "handler_order_get.py"
    text = handler.read_text(encoding="utf-8")
    handler.write_text(
        text.replace("\nclass ", "\n# reviewed by the team: keep\nclass ", 1), encoding="utf-8"
    )
    notes = team / NODE / "NOTES.md"  # a file of the team's own: the node does not own it
    notes.write_text("# our notes\n", encoding="utf-8")
    _commit(team, "hand edits")
    retired = _used_of_kind(team, PatternKind.EXEMPLAR)
    _set_status(team, [retired], PatternStatus.RETIRED)

    code, [report] = _update(team, capsys, NODE)

    assert code == 0 and report["conflicts"] == []
    statuses = {f["path"]: f["status"] for f in report["files"]}  # type: ignore[index]
    assert statuses["handlers/handler_order_get.py"] == "merged"
    merged = handler.read_text(encoding="utf-8")
    assert "# reviewed by the team: keep\nclass " in merged
    assert retired not in merged.splitlines()[0]  # the header names the patterns it now carries
    files, _ = _fresh(team)
    assert merged.splitlines()[0] == files["handlers/handler_order_get.py"].splitlines()[0]
    assert notes.read_text(encoding="utf-8") == "# our notes\n"
    assert "NOTES.md" not in statuses
    changed = _git(team, "status", "--porcelain").splitlines()
    assert changed and all(line[3:].startswith(NODE + "/") and "NOTES.md" not in line for line in changed)


def test_a_conflicting_edit_is_left_with_markers_and_listed(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node_py = team / NODE / "node.py"
    lines = node_py.read_text(encoding="utf-8").splitlines(keepends=True)
    node_py.write_text("# Our own header, edited by hand\n" + "".join(lines[1:]), encoding="utf-8")
    _commit(team, "our header")
    _set_status(team, [_used_of_kind(team, PatternKind.EXEMPLAR)], PatternStatus.RETIRED)

    code, [report] = _update(team, capsys, NODE)

    assert code == 1  # a check failed: conflicts wait for a person
    assert "node.py" in report["conflicts"]  # type: ignore[operator]
    text = node_py.read_text(encoding="utf-8")
    assert text.startswith(
        "<<<<<<< node_order_effect/node.py (yours)\n# Our own header, edited by hand\n=======\n"
    )
    assert ">>>>>>> node_order_effect/node.py (generated now)\n" in text
    # Files without a conflict were still brought forward.
    files, _ = _fresh(team)
    init = (team / NODE / "__init__.py").read_text(encoding="utf-8")
    assert init == files["__init__.py"]


def test_a_retired_pattern_is_replaced_by_the_next_best(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    retired = _used_of_kind(team, PatternKind.EXEMPLAR)
    _set_status(team, [retired], PatternStatus.RETIRED)
    assert main(["outdated", "--repo", str(team), "--json"]) == 0
    [outdated] = json.loads(capsys.readouterr().out)
    assert outdated["node"] == NODE
    assert {"kind": "retired", "pattern": f"{retired}@v1", "detail": ""} in outdated["reasons"]

    code, [report] = _update(team, capsys, NODE)

    assert code == 0
    now = [i for i, _ in _record(team).patterns]
    assert retired not in now
    replacement = _used_of_kind(team, PatternKind.EXEMPLAR)  # another whole node, the nearest left
    assert replacement != retired
    _, fresh_used = _fresh(team)
    assert report["new_patterns"] == fresh_used
    assert main(["outdated", "--repo", str(team)]) == 0
    assert "every generated node is up to date" in capsys.readouterr().out


def test_the_next_verdict_credits_the_new_patterns(team: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _used_of_kind(team, PatternKind.EXEMPLAR)
    _set_status(team, [old], PatternStatus.RETIRED)
    assert _update(team, capsys, NODE)[0] == 0
    node = load_directory_node(team / NODE, team)
    credited: list[tuple[tuple[str, ...], bool]] = []

    class Verdict:
        node_key, content_hash, passed = node.key, node.content_hash, True

    apply_feedback(team, [Verdict()], lambda ids, passed, event="": credited.append((tuple(ids), passed)))
    assert credited == [(tuple(i for i, _ in _record(team).patterns), True)]
    assert old not in credited[0][0]


def test_dry_run_and_diff_write_nothing(team: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(team / NODE)
    record = _record(team)
    _set_status(team, [_used_of_kind(team, PatternKind.EXEMPLAR)], PatternStatus.RETIRED)
    code, [report] = _update(team, capsys, NODE, "--dry-run", "--diff")
    assert code == 0 and report["written"] is False
    assert "--- a/node_order_effect/node.py\n+++ b/node_order_effect/node.py\n" in str(report["diff"])
    assert _snapshot(team / NODE) == before
    assert _record(team) == record


def test_a_dirty_node_is_refused_unless_allowed(team: Path, capsys: pytest.CaptureFixture[str]) -> None:
    node_py = team / NODE / "node.py"
    node_py.write_text(node_py.read_text(encoding="utf-8") + "# not committed\n", encoding="utf-8")
    _set_status(team, [_used_of_kind(team, PatternKind.EXEMPLAR)], PatternStatus.RETIRED)
    assert main(["update", NODE, "--repo", str(team)]) == 2
    assert "uncommitted changes in " + NODE + "/node.py" in capsys.readouterr().err
    assert node_py.read_text(encoding="utf-8").endswith("# not committed\n")
    assert main(["update", "--all", "--allow-dirty", "--repo", str(team)]) == 0
    assert node_py.read_text(encoding="utf-8").endswith("# not committed\n")  # merged, kept


@pytest.mark.parametrize("fault_at", [1, 2])
def test_an_interrupted_update_leaves_the_node_as_it_was(
    team: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fault_at: int
) -> None:
    """A fault on the staged copy's rename (1) or mid-swap, the node parked aside (2): all or nothing."""
    before = _snapshot(team / NODE)
    record = _record(team)
    _set_status(team, [_used_of_kind(team, PatternKind.EXEMPLAR)], PatternStatus.RETIRED)
    real_replace = os.replace
    calls = {"n": 0}

    def failing_replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        calls["n"] += 1
        if calls["n"] == fault_at:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr("nodeforge.writer.os.replace", failing_replace)
    code = main(["update", NODE, "--repo", str(team)])
    monkeypatch.setattr("nodeforge.writer.os.replace", real_replace)

    assert code == 1 and "it is unchanged" in capsys.readouterr().err
    assert _snapshot(team / NODE) == before
    assert _record(team) == record  # provenance still names what is on disk
    assert not [p for p in (team / NODE).parent.iterdir() if p.name.startswith(".node_order_effect.")]


def test_outdated_says_superseded_and_templates_changed(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    used = _used_of_kind(team, PatternKind.EXEMPLAR)
    with open_configured(load_settings(team), embedder=None) as store:
        old = store.get(used)
        assert old is not None
        newer = replace(old, id="f" * 32, code=old.code + "\n# learned again, changed\n", code_hash="f" * 16)
        assert used in store.upsert([newer], embed=False).superseded
    templates = team / "team_templates"
    shutil.copytree(PROJECT / "templates" / "node", templates)
    (templates / "node.py.j2").write_text(
        (templates / "node.py.j2").read_text(encoding="utf-8") + "# team template v2\n", encoding="utf-8"
    )
    pyproject = team / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8").replace(
        "[tool.nodeforge]", '[tool.nodeforge]\ntemplates_dir = "team_templates"'
    )
    pyproject.write_text(text, encoding="utf-8")
    _commit(team, "team templates")

    assert main(["outdated", "--repo", str(team), "--json"]) == 0
    [node] = json.loads(capsys.readouterr().out)
    kinds = {(r["kind"], r["detail"]) for r in node["reasons"]}
    assert ("superseded", f"by {'f' * 32}@v{old.version + 1}") in kinds
    assert ("template changed", "") in kinds


def test_the_catalogue_links_patterns_and_the_nodes_generated_from_them(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = team / "catalogue.html"
    assert main(["report", "--html", str(out), "--repo", str(team)]) == 0
    page = out.read_text(encoding="utf-8")
    anchor = "generated-src-teamapp-nodes-node-order-effect"
    assert f'<article id="{anchor}">' in page
    for pattern_id, _ in _record(team).patterns:
        assert f'<a href="#pattern-{pattern_id}">' in page  # the node's list links to each pattern
    assert page.count(f'<a href="#{anchor}">') == len(_record(team).patterns)  # and back


def test_a_node_generated_before_update_existed_is_refused_and_said(
    team: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = team / ".nodeforge" / "generated.json"
    data = json.loads(state.read_text(encoding="utf-8"))
    del data[NODE]["inputs"]  # what generated.json held before this feature
    state.write_text(json.dumps(data), encoding="utf-8")
    before = _snapshot(team / NODE)
    _set_status(team, [_used_of_kind(team, PatternKind.EXEMPLAR)], PatternStatus.RETIRED)
    assert main(["update", NODE, "--repo", str(team)]) == 2
    assert "nothing to merge from" in capsys.readouterr().err
    assert _snapshot(team / NODE) == before
    assert main(["outdated", "--repo", str(team), "--json"]) == 0
    [node] = json.loads(capsys.readouterr().out)
    assert node["updatable"] is False
    assert main(["update", "--repo", str(team)]) == 2  # neither NODE_DIR nor --all
    assert "name one NODE_DIR, or pass --all" in capsys.readouterr().err
