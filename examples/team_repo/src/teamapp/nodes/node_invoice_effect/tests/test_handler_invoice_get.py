"""Tests of the ``get`` operation of node_invoice_effect."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from teamapp.kit.audit import AUDIT_LOG
from teamapp.kit.errors import NodeOperationError
from teamapp.kit.store import InMemoryStore

from ..handlers.handler_invoice_get import HandlerInvoiceGet
from ..models.model_invoice_input import ModelInvoiceInput


def _ready_handler(store: InMemoryStore) -> HandlerInvoiceGet:
    handler = HandlerInvoiceGet(store)
    asyncio.run(handler.initialize())
    return handler


def _request(key: str, payload: dict[str, Any] | None = None) -> ModelInvoiceInput:
    return ModelInvoiceInput(
        operation="get",
        key=key,
        payload=payload or {},
        correlation_id="corr-1",
    )


def test_get_returns_the_stored_record() -> None:
    store = InMemoryStore()
    asyncio.run(store.put("invoice-1", {"name": "Ada"}))
    output = asyncio.run(_ready_handler(store).handle(_request("invoice-1")))
    assert output.success
    assert output.data == {"name": "Ada", "key": "invoice-1"}
    assert AUDIT_LOG[-1]["event"] == "invoice.read"


def test_get_reports_a_missing_record() -> None:
    handler = _ready_handler(InMemoryStore())
    with pytest.raises(NodeOperationError, match="could not be found"):
        asyncio.run(handler.handle(_request("invoice-404")))
