"""An in-memory key-value store with the async interface of the team's real stores."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any


class InMemoryStore:
    """Records keyed by string; each record is a dict carrying its own ``key``."""

    def __init__(self) -> None:
        """Start empty."""
        self._records: dict[str, dict[str, Any]] = {}

    async def put(self, key: str, value: Mapping[str, Any]) -> dict[str, Any]:
        """Store ``value`` under ``key`` and return the stored record; KeyError for an empty key."""
        if not key:
            raise KeyError("a record needs a non-empty key")
        record = {**value, "key": key}
        self._records[key] = record
        return dict(record)

    async def get(self, key: str) -> dict[str, Any]:
        """The record stored under ``key``; KeyError if there is none."""
        return dict(self._records[key])

    async def delete(self, key: str) -> None:
        """Remove the record stored under ``key``; KeyError if there is none."""
        del self._records[key]

    async def list(self) -> builtins.list[dict[str, Any]]:
        """Every record, sorted by key."""
        return [dict(self._records[key]) for key in sorted(self._records)]
