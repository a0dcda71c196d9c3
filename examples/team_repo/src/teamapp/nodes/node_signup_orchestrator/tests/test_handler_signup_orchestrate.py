"""Tests of the ``orchestrate`` operation of node_signup_orchestrator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from teamapp.kit.audit import AUDIT_LOG
from teamapp.kit.errors import NodeOperationError
from teamapp.kit.store import InMemoryStore

from ..handlers.handler_signup_orchestrate import (
    HandlerSignupOrchestrate,
    OrchestrationStep,
    default_steps,
)
from ..models.model_signup_input import ModelSignupInput


def _ready_handler(store: InMemoryStore) -> HandlerSignupOrchestrate:
    handler = HandlerSignupOrchestrate(store)
    asyncio.run(handler.initialize())
    return handler


def _request(key: str, payload: dict[str, Any] | None = None) -> ModelSignupInput:
    return ModelSignupInput(
        operation="orchestrate",
        key=key,
        payload=payload or {},
        correlation_id="corr-1",
    )


async def _refuse(request: ModelSignupInput) -> dict[str, Any]:
    raise NodeOperationError(f"refused {request.key}")


async def _nothing_to_undo(request: ModelSignupInput) -> None:
    return None


def test_orchestrate_runs_every_step() -> None:
    store = InMemoryStore()
    output = asyncio.run(_ready_handler(store).handle(_request("signup-1", {"name": "Ada"})))
    assert output.success
    assert list(output.data) == ["record", "confirm"]
    keys = [item["key"] for item in asyncio.run(store.list())]
    assert keys == ["signup-1", "signup-1:confirmed"]
    assert AUDIT_LOG[-1]["event"] == "signup.orchestrated"


def test_orchestrate_undoes_completed_steps_when_one_fails() -> None:
    store = InMemoryStore()
    steps = (*default_steps(store), OrchestrationStep("refuse", _refuse, _nothing_to_undo))
    handler = HandlerSignupOrchestrate(store, steps)
    asyncio.run(handler.initialize())
    with pytest.raises(NodeOperationError, match="failed at refuse"):
        asyncio.run(handler.handle(_request("signup-1", {"name": "Ada"})))
    assert asyncio.run(store.list()) == []
