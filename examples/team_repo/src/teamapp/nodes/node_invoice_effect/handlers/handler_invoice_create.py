"""Handler of the ``create`` operation of node_invoice_effect."""

from __future__ import annotations

import logging

from teamapp.kit.audit import emit_audit
from teamapp.kit.errors import NodeOperationError
from teamapp.kit.guards import require_fields
from teamapp.kit.resilience import with_retry
from teamapp.kit.store import InMemoryStore

from ..models.model_invoice_input import ModelInvoiceInput
from ..models.model_invoice_output import ModelInvoiceOutput

logger = logging.getLogger(__name__)


class HandlerInvoiceCreate:
    """Create invoice records in the team store."""

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

    async def handle(self, request: ModelInvoiceInput) -> ModelInvoiceOutput:
        """Create a invoice record, retried and audited."""
        require_fields(request.payload, "name")
        try:
            record = await with_retry(self._store.put, request.key, request.payload, attempts=3)
        except KeyError as exc:
            logger.warning("invoice create failed for %s: %s", request.key, exc)
            raise NodeOperationError(f"invoice {request.key} could not be created") from exc
        emit_audit("invoice.created", key=request.key, correlation_id=request.correlation_id)
        return ModelInvoiceOutput(success=True, key=request.key, data=record)
