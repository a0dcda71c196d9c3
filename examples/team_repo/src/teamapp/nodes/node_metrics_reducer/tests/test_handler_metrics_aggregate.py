"""Tests of the ``aggregate`` operation of node_metrics_reducer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from teamapp.kit.audit import AUDIT_LOG
from teamapp.kit.errors import NodeOperationError
from teamapp.kit.store import InMemoryStore

from ..handlers.handler_metrics_aggregate import HandlerMetricsAggregate
from ..models.model_metrics_input import ModelMetricsInput


def _ready_handler(store: InMemoryStore) -> HandlerMetricsAggregate:
    handler = HandlerMetricsAggregate(store)
    asyncio.run(handler.initialize())
    return handler


def _request(key: str, payload: dict[str, Any] | None = None) -> ModelMetricsInput:
    return ModelMetricsInput(
        operation="aggregate",
        key=key,
        payload=payload or {},
        correlation_id="corr-1",
    )


def test_aggregate_folds_events_into_the_stored_state() -> None:
    store = InMemoryStore()
    events: list[dict[str, Any]] = [{"kind": "view", "value": 2}, {"kind": "click", "value": 3}]
    asyncio.run(_ready_handler(store).handle(_request("metrics-1", {"events": events})))
    request = _request("metrics-1", {"events": [{"kind": "view"}]})
    output = asyncio.run(_ready_handler(store).handle(request))
    assert output.success
    assert output.data["count"] == 3
    assert output.data["total"] == 5.0
    assert output.data["by_kind"] == {"view": 2, "click": 1}
    assert AUDIT_LOG[-1]["event"] == "metrics.aggregated"


def test_aggregate_rejects_malformed_events() -> None:
    handler = _ready_handler(InMemoryStore())
    with pytest.raises(NodeOperationError, match="malformed"):
        asyncio.run(handler.handle(_request("metrics-1", {"events": [{"value": 1}]})))
    with pytest.raises(NodeOperationError, match="must be a list"):
        asyncio.run(handler.handle(_request("metrics-1", {"events": "view"})))
