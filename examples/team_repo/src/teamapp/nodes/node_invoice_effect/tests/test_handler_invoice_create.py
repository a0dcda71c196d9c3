"""Tests of the ``create`` operation of node_invoice_effect."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from teamapp.kit.audit import AUDIT_LOG
from teamapp.kit.errors import NodeOperationError
from teamapp.kit.store import InMemoryStore

from ..handlers.handler_invoice_create import HandlerInvoiceCreate
from ..models.model_invoice_input import ModelInvoiceInput


def _ready_handler(store: InMemoryStore) -> HandlerInvoiceCreate:
    handler = HandlerInvoiceCreate(store)
    asyncio.run(handler.initialize())
    return handler


def _request(key: str, payload: dict[str, Any] | None = None) -> ModelInvoiceInput:
    return ModelInvoiceInput(
        operation="create",
        key=key,
        payload=payload or {},
        correlation_id="corr-1",
    )


def test_create_stores_the_record_and_audits_it() -> None:
    store = InMemoryStore()
    request = _request("invoice-1", {"name": "Ada"})
    output = asyncio.run(_ready_handler(store).handle(request))
    assert output.success
    assert output.key == "invoice-1"
    assert output.data["name"] == "Ada"
    assert asyncio.run(store.get("invoice-1"))["name"] == "Ada"
    assert AUDIT_LOG[-1] == {
        "event": "invoice.created",
        "key": "invoice-1",
        "correlation_id": "corr-1",
    }


def test_create_rejects_a_payload_without_a_name() -> None:
    handler = _ready_handler(InMemoryStore())
    with pytest.raises(NodeOperationError, match="name"):
        asyncio.run(handler.handle(_request("invoice-1")))


def test_create_reports_a_store_refusal() -> None:
    handler = _ready_handler(InMemoryStore())
    with pytest.raises(NodeOperationError, match="could not be created"):
        asyncio.run(handler.handle(_request("", {"name": "Ada"})))
