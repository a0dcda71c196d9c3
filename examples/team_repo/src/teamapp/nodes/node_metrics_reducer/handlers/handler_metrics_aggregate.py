"""Handler of the ``aggregate`` operation of node_metrics_reducer."""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from typing import Any

from teamapp.kit.audit import emit_audit
from teamapp.kit.errors import NodeOperationError
from teamapp.kit.guards import require_fields
from teamapp.kit.resilience import with_retry
from teamapp.kit.store import InMemoryStore

from ..models.model_metrics_input import ModelMetricsInput
from ..models.model_metrics_output import ModelMetricsOutput

logger = logging.getLogger(__name__)


def _initial_state(previous: Mapping[str, Any]) -> dict[str, Any]:
    """The state to fold new events into: the stored one, or an empty one."""
    return {
        "count": int(previous.get("count", 0)),
        "total": float(previous.get("total", 0.0)),
        "by_kind": dict(previous.get("by_kind", {})),
    }


def _fold(state: dict[str, Any], event: Mapping[str, Any]) -> dict[str, Any]:
    """Add one event to ``state``: count it, add its value, tally its kind."""
    kind = str(event["kind"])
    by_kind = dict(state["by_kind"])
    by_kind[kind] = by_kind.get(kind, 0) + 1
    value = float(event.get("value", 0.0))
    return {"count": state["count"] + 1, "total": round(state["total"] + value, 6), "by_kind": by_kind}


class HandlerMetricsAggregate:
    """Aggregate metrics events into a stored running state."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        """Keep ``store``, or a private in-memory store when none is given."""
        self._store = store if store is not None else InMemoryStore()
        self._ready = False

    @property
    def ready(self) -> bool:
        """Whether ``initialize`` has run and ``shutdown`` has not."""
        return self._ready

    async def initialize(self) -> None:
        """Prepare the handler; calling it twice is harmless."""
        self._ready = True
        logger.debug("%s ready", type(self).__name__)

    async def shutdown(self) -> None:
        """Release what ``initialize`` prepared."""
        self._ready = False

    async def handle(self, request: ModelMetricsInput) -> ModelMetricsOutput:
        """Fold the request's events into the stored state, retried and audited."""
        require_fields(request.payload, "events")
        events = request.payload["events"]
        if not isinstance(events, list):
            raise NodeOperationError(f"metrics {request.key}: events must be a list")
        try:
            previous = await with_retry(self._store.get, request.key, attempts=3)
        except KeyError:
            previous = {}
        try:
            state = functools.reduce(_fold, events, _initial_state(previous))
        except (KeyError, TypeError, ValueError) as exc:
            logger.warning("metrics aggregate failed for %s: %s", request.key, exc)
            raise NodeOperationError(f"metrics {request.key} has a malformed event") from exc
        record = await with_retry(self._store.put, request.key, state, attempts=3)
        emit_audit("metrics.aggregated", key=request.key, correlation_id=request.correlation_id)
        return ModelMetricsOutput(success=True, key=request.key, data=record)
