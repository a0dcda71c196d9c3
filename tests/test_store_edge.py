"""The embedded store on Qdrant Edge: persistence, locking and spooling, export and import."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from nodeforge.errors import StoreError
from nodeforge.model import Dependency, DependencyKind, Pattern, PatternQuery, PatternStatus
from nodeforge.storage.driver_store import DriverStore
from nodeforge.storage.edge import open_embedded, store_path
from nodeforge.storage.factory import open_store
from nodeforge.storage.spool import SpoolingStore, spool_dir
from tests.storekit import make_pattern


def full_pattern() -> Pattern:
    return replace(
        make_pattern("rich", summary="Create a user and store it."),
        dependencies=(
            Dependency(
                DependencyKind.IMPORT, "Model__Entity__", "from .models import Model__Entity__", "models"
            ),
        ),
        parameters=(("__limit__", "100"),),
        identifiers=("create", "user", "repository"),
        extra={"origin": "test"},
        quality=0.734,
    )


def test_a_pattern_survives_close_and_reopen_unchanged(tmp_path: Path) -> None:
    pattern = full_pattern()
    with open_embedded(tmp_path) as store:
        store.upsert([pattern])
    assert (store_path(tmp_path, "code_generation_patterns") / "edge_config.json").is_file()
    with open_embedded(tmp_path) as store:
        found = store.get(pattern.id)
        assert found == pattern and found is not None and found.extra == {"origin": "test"}
        assert store.get("missing") is None
        info = store.info()
    assert info.backend == "edge" and info.counts["active"] == 1
    assert info.dense_available is False and info.retrieval_mode.value == "sparse" and info.dense_pending == 1


def test_open_store_without_url_is_edge_in_the_repo_state_dir(repo: Path) -> None:
    with open_store(repo, embedder=None) as store:
        store.upsert([make_pattern("a")])
        assert store.info().backend == "edge"
    assert (repo / ".nodeforge" / "store" / "code_generation_patterns").is_dir()


def test_a_second_opener_spools_and_the_next_opener_ingests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = make_pattern("first"), make_pattern("second", slot="effect:update", symbol="U.handle")
    holder = open_embedded(tmp_path)
    holder.upsert([first])
    blocked = open_embedded(tmp_path, lock_timeout=0.2)
    assert isinstance(blocked, SpoolingStore)
    assert "in use by another process" in capsys.readouterr().err
    report = blocked.upsert([second])
    blocked.record_outcome([first.id], passed=True)
    assert report.spooled == 1 and len(list(spool_dir(tmp_path).glob("*.jsonl"))) == 2
    with pytest.raises(StoreError, match="locked"):
        blocked.query(PatternQuery("user"))
    holder.close()
    with open_embedded(tmp_path) as store:
        assert isinstance(store, DriverStore)
        assert store.get(second.id) == second
        found = store.get(first.id)
        assert found is not None and found.success_count == 1
    assert list(spool_dir(tmp_path).glob("*.jsonl")) == []


def test_a_corrupt_spool_file_is_set_aside_not_fatal(tmp_path: Path) -> None:
    folder = spool_dir(tmp_path)
    folder.mkdir(parents=True)
    (folder / "0001-bad.jsonl").write_text("{not json\n", encoding="utf-8")
    with open_embedded(tmp_path) as store:
        assert store.info().total == 0
    assert (folder / "0001-bad.bad").exists()


def test_export_then_import_rebuilds_the_same_store(tmp_path: Path) -> None:
    v1 = make_pattern("v1")
    v2 = make_pattern("v2")
    other = full_pattern()
    export = tmp_path / "patterns.jsonl"
    with open_embedded(tmp_path / "a") as store:
        store.upsert([v1])
        store.upsert([v2, replace(other, provenance=replace(other.provenance, symbol="Other.handle"))])
        store.record_outcome([v2.id], passed=True)
        assert store.export_jsonl(export) == 3
        before = store.list()
    with open_embedded(tmp_path / "b") as store:
        report = store.import_jsonl(export)
        after = store.list()
    assert len(report.inserted) == 3
    assert after == before
    assert {p.id: p.status for p in after}[v1.id] == PatternStatus.SUPERSEDED


def test_embed_pending_without_embeddings_says_so(tmp_path: Path) -> None:
    with open_embedded(tmp_path) as store, pytest.raises(StoreError, match="embeddings"):
        store.embed_pending()


def test_state_dir_override_is_respected(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODEFORGE_HOME", str(tmp_path / "home-state"))
    with open_store(repo, embedder=None) as store:
        store.upsert([make_pattern("a")])
    assert (tmp_path / "home-state" / "store.lock").exists()
    assert not (repo / ".nodeforge").exists()
    assert sorted(os.listdir(tmp_path / "home-state" / "store")) == ["code_generation_patterns", "writer_id"]
