"""Writes that could not wait for a locked store: ``<state_dir>/spool/*.jsonl``, ingested by the next opener.

Each spool file is written to a temporary name and renamed into place, so a reader sees whole
files only. Records are ``{"op": "upsert", "pattern": {...}, "tally": {...}}`` (the tally only for
an import), ``{"op": "usage", "ids": [...],
"event": id}`` and ``{"op": "outcome", "ids": [...], "passed": bool, "event": id}``. Ingesting
applies a file, then deletes it; a crash in between applies it again on the next open, which
changes nothing: merging is idempotent, and each usage or outcome carries its event id, fixed
when the file is written, which the counters count once (``nodeforge.storage.counters``).
"""

from __future__ import annotations

import builtins
import json
import os
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodeforge.errors import StoreError
from nodeforge.model import NodeType, Pattern, PatternKind, PatternQuery, PatternStatus, ScoredPattern
from nodeforge.storage import codec, counters, jsonl
from nodeforge.storage.counters import Tally
from nodeforge.storage.driver_store import DriverStore
from nodeforge.storage.protocol import (
    ClosedOnExit,
    PatternStore,
    Progress,
    QueryResult,
    RetrievalMode,
    StoreInfo,
    UpsertReport,
)

SPOOL_DIR = "spool"


def spool_dir(state_dir: Path) -> Path:
    return state_dir / SPOOL_DIR


def write_spool(state_dir: Path, records: Sequence[codec.JsonDict]) -> Path:
    """Atomically add one spool file holding ``records``."""
    folder = spool_dir(state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp = folder / f".{name}.part"
    with tmp.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())
    final = folder / f"{name}.jsonl"
    tmp.replace(final)
    return final


@dataclass(frozen=True)
class IngestReport:
    files: int = 0
    patterns: int = 0
    bad_files: tuple[str, ...] = ()


def ingest_spool(store: DriverStore, state_dir: Path) -> IngestReport:
    """Apply and delete every spool file, oldest first. Unreadable files are renamed ``*.bad``."""
    folder = spool_dir(state_dir)
    if not folder.is_dir():
        return IngestReport()
    files = 0
    patterns = 0
    bad: list[str] = []
    for path in sorted(folder.glob("*.jsonl")):
        try:
            records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
            patterns += _apply(store, records)
        except (json.JSONDecodeError, KeyError, ValueError, TypeError):
            path.replace(path.with_suffix(".bad"))
            bad.append(path.name)
            continue
        path.unlink()
        files += 1
    return IngestReport(files, patterns, tuple(bad))


def _apply(store: DriverStore, records: Sequence[dict[str, Any]]) -> int:
    upserts = [codec.from_dict(r["pattern"]) for r in records if r["op"] == "upsert"]
    tallies = {str(r["pattern"]["id"]): counters.read(r["tally"]) for r in records if "tally" in r}
    if upserts:
        # No embedding here: opening must stay fast; ``embed_pending`` fills the vectors later.
        store.upsert(upserts, embed=False, tallies=tallies)
    for record in records:
        # A file from before event ids has none: each of its records counts as a new event.
        event = str(record.get("event", ""))
        if record["op"] == "usage":
            store.record_usage([str(i) for i in record["ids"]], event=event)
        elif record["op"] == "outcome":
            store.record_outcome([str(i) for i in record["ids"]], bool(record["passed"]), event=event)
        elif record["op"] != "upsert":
            raise ValueError(f"unknown spool op {record['op']!r}")
    return len(upserts)


class SpoolingStore(ClosedOnExit):
    """Stands in for a store that stayed locked: learning and feedback go to the spool, reads fail."""

    def __init__(self, state_dir: Path, *, lock_path: Path, embedder_name: str | None = None) -> None:
        self._state_dir = state_dir
        self._lock_path = lock_path
        self._embedder_name = embedder_name

    def _locked(self) -> StoreError:
        return StoreError(f"the pattern store is locked by another nodeforge process ({self._lock_path})")

    def upsert(
        self, patterns: Sequence[Pattern], *, embed: bool = True, tallies: Mapping[str, Tally] | None = None
    ) -> UpsertReport:
        records: list[codec.JsonDict] = []
        for pattern in patterns:
            record: codec.JsonDict = {"op": "upsert", "pattern": codec.to_dict(pattern)}
            if tallies and pattern.id in tallies:
                record["tally"] = {counters.TALLY_KEY: tallies[pattern.id].to_json()}
            records.append(record)
        if records:
            write_spool(self._state_dir, records)
        return UpsertReport(dense_pending=len(patterns), spooled=len(patterns))

    def record_usage(self, ids: Sequence[str], *, event: str = "") -> None:
        if ids:
            record = {"op": "usage", "ids": list(ids), "event": event or counters.new_event()}
            write_spool(self._state_dir, [record])

    def record_outcome(self, ids: Sequence[str], passed: bool, *, event: str = "") -> None:
        if ids:
            event = event or counters.new_event()
            write_spool(
                self._state_dir, [{"op": "outcome", "ids": list(ids), "passed": passed, "event": event}]
            )

    def query(self, q: PatternQuery) -> builtins.list[ScoredPattern]:
        raise self._locked()

    def prepare_queries(self, texts: Sequence[str]) -> None:
        """Nothing to prepare: a spool cannot be searched."""

    def search(self, q: PatternQuery, *, mode: RetrievalMode | None = None) -> QueryResult:
        raise self._locked()

    def get(self, pattern_id: str) -> Pattern | None:
        raise self._locked()

    def list(
        self,
        *,
        kind: PatternKind | None = None,
        node_type: NodeType | None = None,
        slot: str | None = None,
        statuses: Sequence[PatternStatus] | None = None,
    ) -> builtins.list[Pattern]:
        raise self._locked()

    def history(self, pattern_id: str) -> builtins.list[Pattern]:
        raise self._locked()

    def set_status(self, ids: Sequence[str], status: PatternStatus) -> None:
        raise self._locked()

    def prune(self, min_success: float, min_uses: int, dry_run: bool) -> builtins.list[Pattern]:
        raise self._locked()

    def embed_pending(self, progress: Progress | None = None) -> int:
        raise self._locked()

    def info(self) -> StoreInfo:
        return StoreInfo(
            backend="spool",
            location=str(spool_dir(self._state_dir)),
            collection="",
            embedder=self._embedder_name,
            note=f"store locked by another process ({self._lock_path}); writes go to the spool",
        )

    def export_jsonl(self, path: Path) -> int:
        raise self._locked()

    def import_jsonl(self, path: Path) -> UpsertReport:
        patterns, tallies = jsonl.read_export(path)
        return self.upsert(patterns, embed=False, tallies=tallies)

    def close(self) -> None:
        return None


def is_spooling(store: PatternStore) -> bool:
    """Whether ``store`` stands in for a locked one: it takes writes, and cannot be read."""
    return isinstance(store, SpoolingStore)
