"""Opening the right store: the team's Qdrant server when configured and reachable, else Qdrant Edge.

``url`` is passed in explicitly (``nodeforge.config`` resolves ``QDRANT_URL``); ``None`` means the
embedded store. A configured but unreachable server is not fatal: learning goes to the embedded
store, every write is flagged unsynced, and ``sync`` pushes it when the server is back.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from nodeforge.errors import StoreError
from nodeforge.paths import state_dir
from nodeforge.storage.counters import server_writer
from nodeforge.storage.driver_store import DriverStore
from nodeforge.storage.edge import DEFAULT_LOCK_TIMEOUT, local_writer, open_embedded
from nodeforge.storage.embeddings import DEFAULT_PLACEMENT, Embedder, Placement, find_embedder
from nodeforge.storage.protocol import DEFAULT_COLLECTION, PatternStore, Progress

if TYPE_CHECKING:
    from nodeforge.config import Settings

AUTO: Literal["auto"] = "auto"


def resolve_embedder(
    embedder: Embedder | Literal["auto"] | None, placement: Placement = DEFAULT_PLACEMENT
) -> Embedder | None:
    """``"auto"``: MiniLM when the extra is installed (cheap: the model loads on first use)."""
    if embedder == AUTO:
        return find_embedder(placement).embedder
    return embedder


def open_store(
    repo: Path,
    *,
    url: str | None = None,
    api_key: str | None = None,
    collection: str = DEFAULT_COLLECTION,
    embedder: Embedder | Literal["auto"] | None = AUTO,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    placement: Placement = DEFAULT_PLACEMENT,
) -> PatternStore:
    chosen = resolve_embedder(embedder, placement)
    state = state_dir(repo)
    if not url:
        return open_embedded(state, collection=collection, embedder=chosen, lock_timeout=lock_timeout)
    from nodeforge.storage.protocol import ServerUnreachable
    from nodeforge.storage.server import ServerStore

    try:
        writer = server_writer(local_writer(state))
        return ServerStore.connect(
            url, api_key=api_key, collection=collection, embedder=chosen, writer=writer
        )
    except ServerUnreachable as down:
        note = f"{down}; learning into the embedded store, run `nodeforge store sync` later"
        print(f"nodeforge: {note}", file=sys.stderr, flush=True)
        return open_embedded(
            state,
            collection=collection,
            embedder=chosen,
            lock_timeout=lock_timeout,
            track_unsynced=True,
            note=note,
        )


SYNC_BATCH = 256


def open_configured(
    settings: Settings,
    *,
    embedder: Embedder | Literal["auto"] | None = AUTO,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> PatternStore:
    """The store ``[tool.nodeforge]`` and the environment select: the team's server, or Qdrant Edge."""
    return open_store(
        settings.repo,
        url=settings.store_url,
        api_key=settings.api_key,
        collection=settings.collection,
        embedder=embedder,
        lock_timeout=lock_timeout,
        placement=settings.placement,
    )


def sync(embedded: PatternStore, server: PatternStore, progress: Progress | None = None) -> int:
    """Push the embedded store's unsynced patterns to ``server``; returns how many were pushed.

    The server merges them like any learned pattern (support united, versions in order) and joins
    their counters slot by slot (``counters.Tally.join``): what this machine counted offline is
    added to what others counted, and pushing twice is harmless. Batches go oldest version first,
    so a lineage split over two batches still arrives in order; each batch is marked synced once
    the server has it, so an interrupted sync resumes where it stopped. ``progress(done, total)``
    is called after each batch.
    """
    if not isinstance(embedded, DriverStore):
        raise StoreError("the embedded store is locked by another process; try `nodeforge store sync` again")
    if not isinstance(server, DriverStore):
        raise StoreError("sync needs a Qdrant store to push to, not a spool")
    patterns = sorted(embedded.unsynced(), key=lambda p: (p.version, p.id))
    for start in range(0, len(patterns), SYNC_BATCH):
        batch = patterns[start : start + SYNC_BATCH]
        server.upsert(batch, tallies=embedded.tallies([p.id for p in batch]))
        embedded.mark_synced([p.id for p in batch])
        if progress is not None:
            progress(start + len(batch), len(patterns))
    return len(patterns)
