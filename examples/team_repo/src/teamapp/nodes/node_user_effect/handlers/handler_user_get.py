"""Handler of the ``get`` operation of node_user_effect."""

from __future__ import annotations

import logging

from teamapp.kit.audit import emit_audit
from teamapp.kit.errors import NodeOperationError
from teamapp.kit.guards import require_fields
from teamapp.kit.resilience import with_retry
from teamapp.kit.store import InMemoryStore

from ..models.model_user_input import ModelUserInput
from ..models.model_user_output import ModelUserOutput

logger = logging.getLogger(__name__)


class HandlerUserGet:
    """Read user records from the team store."""

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

    async def handle(self, request: ModelUserInput) -> ModelUserOutput:
        """Read a user record, retried and audited."""
        require_fields(request.model_dump(), "key")
        try:
            record = await with_retry(self._store.get, request.key, attempts=3)
        except KeyError as exc:
            logger.warning("user get failed for %s: %s", request.key, exc)
            raise NodeOperationError(f"user {request.key} could not be found") from exc
        emit_audit("user.read", key=request.key, correlation_id=request.correlation_id)
        return ModelUserOutput(success=True, key=request.key, data=record)
