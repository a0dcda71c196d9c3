"""Tests of the ``create`` operation of node_user_effect."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from teamapp.kit.audit import AUDIT_LOG
from teamapp.kit.errors import NodeOperationError
from teamapp.kit.store import InMemoryStore

from ..handlers.handler_user_create import HandlerUserCreate
from ..models.model_user_input import ModelUserInput


def _ready_handler(store: InMemoryStore) -> HandlerUserCreate:
    handler = HandlerUserCreate(store)
    asyncio.run(handler.initialize())
    return handler


def _request(key: str, payload: dict[str, Any] | None = None) -> ModelUserInput:
    return ModelUserInput(
        operation="create",
        key=key,
        payload=payload or {},
        correlation_id="corr-1",
    )


def test_create_stores_the_record_and_audits_it() -> None:
    store = InMemoryStore()
    request = _request("user-1", {"name": "Ada"})
    output = asyncio.run(_ready_handler(store).handle(request))
    assert output.success
    assert output.key == "user-1"
    assert output.data["name"] == "Ada"
    assert asyncio.run(store.get("user-1"))["name"] == "Ada"
    assert AUDIT_LOG[-1] == {
        "event": "user.created",
        "key": "user-1",
        "correlation_id": "corr-1",
    }


def test_create_rejects_a_payload_without_a_name() -> None:
    handler = _ready_handler(InMemoryStore())
    with pytest.raises(NodeOperationError, match="name"):
        asyncio.run(handler.handle(_request("user-1")))


def test_create_reports_a_store_refusal() -> None:
    handler = _ready_handler(InMemoryStore())
    with pytest.raises(NodeOperationError, match="could not be created"):
        asyncio.run(handler.handle(_request("", {"name": "Ada"})))
