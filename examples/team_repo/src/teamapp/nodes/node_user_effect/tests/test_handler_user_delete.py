"""Tests of the ``delete`` operation of node_user_effect."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from teamapp.kit.audit import AUDIT_LOG
from teamapp.kit.errors import NodeOperationError
from teamapp.kit.store import InMemoryStore

from ..handlers.handler_user_delete import HandlerUserDelete
from ..models.model_user_input import ModelUserInput


def _ready_handler(store: InMemoryStore) -> HandlerUserDelete:
    handler = HandlerUserDelete(store)
    asyncio.run(handler.initialize())
    return handler


def _request(key: str, payload: dict[str, Any] | None = None) -> ModelUserInput:
    return ModelUserInput(
        operation="delete",
        key=key,
        payload=payload or {},
        correlation_id="corr-1",
    )


def test_delete_removes_the_record() -> None:
    store = InMemoryStore()
    asyncio.run(store.put("user-1", {"name": "Ada"}))
    output = asyncio.run(_ready_handler(store).handle(_request("user-1")))
    assert output.success
    assert AUDIT_LOG[-1]["event"] == "user.deleted"
    with pytest.raises(KeyError):
        asyncio.run(store.get("user-1"))


def test_delete_reports_a_missing_record() -> None:
    handler = _ready_handler(InMemoryStore())
    with pytest.raises(NodeOperationError, match="could not be deleted"):
        asyncio.run(handler.handle(_request("user-404")))
