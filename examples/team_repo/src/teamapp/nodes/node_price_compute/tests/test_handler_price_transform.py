"""Tests of the ``transform`` operation of node_price_compute."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from teamapp.kit.audit import AUDIT_LOG
from teamapp.kit.errors import NodeOperationError
from teamapp.kit.store import InMemoryStore

from ..handlers.handler_price_transform import HandlerPriceTransform
from ..models.model_price_input import ModelPriceInput


def _ready_handler(store: InMemoryStore) -> HandlerPriceTransform:
    handler = HandlerPriceTransform(store)
    asyncio.run(handler.initialize())
    return handler


def _request(key: str, payload: dict[str, Any] | None = None) -> ModelPriceInput:
    return ModelPriceInput(
        operation="transform",
        key=key,
        payload=payload or {},
        correlation_id="corr-1",
    )


def test_transform_applies_the_discount_then_the_tax_rate() -> None:
    request = _request("price-1", {"amount": 100, "discount": 10, "tax_rate": 0.2})
    output = asyncio.run(_ready_handler(InMemoryStore()).handle(request))
    assert output.success
    assert output.data == {"amount": 100.0, "total": 108.0}
    assert AUDIT_LOG[-1]["event"] == "price.computed"


def test_transform_rejects_a_discount_above_the_amount() -> None:
    handler = _ready_handler(InMemoryStore())
    with pytest.raises(NodeOperationError, match="exceeds"):
        asyncio.run(handler.handle(_request("price-1", {"amount": 5, "discount": 6})))


def test_transform_rejects_a_missing_or_non_numeric_amount() -> None:
    handler = _ready_handler(InMemoryStore())
    with pytest.raises(NodeOperationError, match="amount"):
        asyncio.run(handler.handle(_request("price-1")))
    with pytest.raises(NodeOperationError, match="non-numeric"):
        asyncio.run(handler.handle(_request("price-1", {"amount": "lots"})))
