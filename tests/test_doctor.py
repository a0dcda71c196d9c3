"""``nodeforge doctor``: every check on a real repository, store and (unreachable) server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nodeforge.cli.doctor import Check, DoctorReport, Status, diagnose
from nodeforge.storage.factory import open_store
from tests.conftest import requires_embeddings
from tests.storekit import make_pattern

DOWN = "http://127.0.0.1:9"  # the discard port: connection refused at once


def _check(report: DoctorReport, name: str) -> Check:
    [check] = [c for c in report.checks if c.name == name]
    return check


def test_a_fresh_repository_warns_but_nothing_fails(repo: Path) -> None:
    report = diagnose(repo)

    assert [c.name for c in report.checks] == [
        "config",
        "store",
        "server",
        "embeddings",
        "pending",
        "sync",
        "hook",
    ]
    assert _check(report, "store").status is Status.WARN
    assert "nodeforge learn --all" in _check(report, "store").fix
    assert _check(report, "server").status is Status.OK
    assert _check(report, "pending").status is Status.OK
    assert _check(report, "hook").status is Status.WARN
    assert not report.failed
    assert not (repo / ".nodeforge" / "store").exists(), "the doctor must not create a store"
    assert report.lines()[-1] == "nodeforge doctor: no check failed"


def test_a_store_with_patterns_is_counted_and_answers_a_query(repo: Path) -> None:
    with open_store(repo, embedder=None) as store:
        store.upsert([make_pattern("alpha"), make_pattern("beta", slot="effect:get", operation="get")])

    store_check = _check(diagnose(repo), "store")

    assert store_check.status is Status.OK
    assert ": 2 pattern(s) (2 active)" in store_check.detail
    assert "test query" in store_check.detail


def test_pending_nodes_are_named_with_the_way_to_a_verdict(repo: Path) -> None:
    state = repo / ".nodeforge"
    state.mkdir()
    keys = {f"src/nodes/node_{name}_effect": "hash" for name in ("a", "b", "c", "d")}
    (state / "pending.json").write_text(json.dumps(keys), encoding="utf-8")

    pending = _check(diagnose(repo), "pending")

    assert pending.status is Status.WARN
    assert pending.detail.startswith("4 node(s) wait for a passing verdict")
    assert "src/nodes/node_a_effect" in pending.detail and "and 1 more" in pending.detail
    assert "pytest --nodeforge" in pending.fix


def test_the_hook_needs_both_the_config_entry_and_the_installed_git_hook(repo: Path) -> None:
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n- repo: local\n  hooks:\n  - id: nodeforge-learn\n", encoding="utf-8"
    )
    listed_only = _check(diagnose(repo), "hook")
    hook = repo / ".git" / "hooks" / "post-commit"
    hook.write_text("#!/bin/sh\n", encoding="utf-8")
    installed = _check(diagnose(repo), "hook")

    assert listed_only.status is Status.WARN
    assert listed_only.fix == "pre-commit install --hook-type post-commit"
    assert installed.status is Status.OK


def test_an_unreachable_server_fails_and_unsynced_patterns_ask_for_a_sync(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(repo, url=DOWN, embedder=None) as fallback:  # learning while the server is down
        fallback.upsert([make_pattern("alpha")])
    monkeypatch.setenv("QDRANT_URL", DOWN)

    report = diagnose(repo)

    server = _check(report, "server")
    assert server.status is Status.FAIL
    assert "unreachable" in server.detail
    assert "QDRANT_URL" in server.fix
    sync = _check(report, "sync")
    assert sync.status is Status.WARN
    assert sync.detail.startswith("1 pattern(s)")
    assert sync.fix == "nodeforge store sync"
    assert report.failed
    assert report.to_json()["ok"] is False


def test_with_a_team_server_a_missing_embedded_store_is_fine(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QDRANT_URL", DOWN)

    store = _check(diagnose(repo), "store")

    assert store.status is Status.OK
    assert "only while the server is unreachable" in store.detail


def test_a_bad_setting_fails_the_config_check_and_the_rest_still_runs(repo: Path) -> None:
    (repo / "pyproject.toml").write_text("[tool.nodeforge]\nquality_threshold = 2\n", encoding="utf-8")

    report = diagnose(repo)

    config = _check(report, "config")
    assert config.status is Status.FAIL
    assert "quality_threshold" in config.detail
    assert len(report.checks) == 7
    assert report.failed


@requires_embeddings  # without the extra the reason is that it is not installed, not the model path
def test_missing_embeddings_say_why_and_how_to_install_them(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = repo.parent / "no-model"
    empty.mkdir()
    monkeypatch.setenv("NODEFORGE_MODEL", str(empty))

    embeddings = _check(diagnose(repo), "embeddings")

    assert embeddings.status is Status.WARN
    assert f"no model files in {empty}" in embeddings.detail
    assert "nodeforge[embeddings]" in embeddings.fix


def test_the_command_prints_json_and_exits_1_when_a_check_fails(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nodeforge.cli.main import main

    healthy = main(["doctor", "--repo", str(repo), "--json"])
    payload = json.loads(capsys.readouterr().out)
    monkeypatch.setenv("QDRANT_URL", DOWN)
    broken = main(["doctor", "--repo", str(repo)])
    text = capsys.readouterr().out

    assert healthy == 0
    assert payload["ok"] is True
    assert {c["name"]: c["status"] for c in payload["checks"]}["server"] == "ok"
    assert broken == 1
    assert "fail  server" in text
    assert text.rstrip().endswith("nodeforge doctor: some checks failed")
