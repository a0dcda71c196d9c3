"""The pattern store: a ``PatternStore`` protocol and its Qdrant Edge and Qdrant server backends.

``open_store`` picks the backend. The server backend (``nodeforge.store.server``) imports
qdrant-client, which is slow to import, so it is not imported from here.
"""

from __future__ import annotations

from nodeforge.store.factory import open_store, resolve_embedder, sync
from nodeforge.store.protocol import (
    DEFAULT_COLLECTION,
    PatternStore,
    QueryResult,
    RetrievalMode,
    StoreInfo,
    UpsertReport,
)

__all__ = [
    "DEFAULT_COLLECTION",
    "PatternStore",
    "QueryResult",
    "RetrievalMode",
    "StoreInfo",
    "UpsertReport",
    "open_store",
    "resolve_embedder",
    "sync",
]
