"""Handler of the ``orchestrate`` operation of node_signup_orchestrator."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from teamapp.kit.audit import emit_audit
from teamapp.kit.errors import NodeOperationError
from teamapp.kit.guards import require_fields
from teamapp.kit.resilience import with_retry
from teamapp.kit.store import InMemoryStore

from ..models.model_signup_input import ModelSignupInput
from ..models.model_signup_output import ModelSignupOutput

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrchestrationStep:
    """One step of the workflow and the action that undoes it."""

    name: str
    action: Callable[[ModelSignupInput], Awaitable[dict[str, Any]]]
    compensate: Callable[[ModelSignupInput], Awaitable[None]]


def default_steps(store: InMemoryStore) -> tuple[OrchestrationStep, ...]:
    """The standard signup workflow: record the request, then confirm it."""
    return (
        OrchestrationStep(
            "record",
            lambda request: store.put(request.key, request.payload),
            lambda request: store.delete(request.key),
        ),
        OrchestrationStep(
            "confirm",
            lambda request: store.put(f"{request.key}:confirmed", {"confirmed": True}),
            lambda request: store.delete(f"{request.key}:confirmed"),
        ),
    )


class HandlerSignupOrchestrate:
    """Run the signup workflow step by step; undo completed steps when one fails."""

    def __init__(
        self, store: InMemoryStore | None = None, steps: Sequence[OrchestrationStep] | None = None
    ) -> None:
        """Keep ``store`` (or a private one) and ``steps`` (or the default workflow on that store)."""
        self._store = store if store is not None else InMemoryStore()
        self._steps = tuple(steps) if steps is not None else default_steps(self._store)
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

    async def handle(self, request: ModelSignupInput) -> ModelSignupOutput:
        """Run every signup step; if one fails, undo the completed ones, last first."""
        require_fields(request.payload, "name")
        completed: list[OrchestrationStep] = []
        results: dict[str, Any] = {}
        for step in self._steps:
            try:
                results[step.name] = await with_retry(step.action, request, attempts=3)
            except (KeyError, NodeOperationError) as exc:
                logger.warning("signup step %s failed for %s: %s", step.name, request.key, exc)
                await self._compensate(completed, request)
                raise NodeOperationError(f"signup {request.key} failed at {step.name}") from exc
            completed.append(step)
        emit_audit("signup.orchestrated", key=request.key, correlation_id=request.correlation_id)
        return ModelSignupOutput(success=True, key=request.key, data=results)

    async def _compensate(
        self, completed: Sequence[OrchestrationStep], request: ModelSignupInput
    ) -> None:
        """Undo ``completed`` steps, last first; a step with nothing left to undo is skipped."""
        for step in reversed(completed):
            try:
                await with_retry(step.compensate, request, attempts=3)
            except KeyError:
                logger.warning("signup %s had nothing to undo for %s", step.name, request.key)
