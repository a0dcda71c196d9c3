"""Handler of the ``transform`` operation of node_price_compute."""

from __future__ import annotations

import logging

from teamapp.kit.audit import emit_audit
from teamapp.kit.errors import NodeOperationError
from teamapp.kit.guards import require_fields
from teamapp.kit.store import InMemoryStore

from ..models.model_price_input import ModelPriceInput
from ..models.model_price_output import ModelPriceOutput

logger = logging.getLogger(__name__)


class HandlerPriceTransform:
    """Compute price totals: a pure function of the request."""

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

    async def handle(self, request: ModelPriceInput) -> ModelPriceOutput:
        """Apply the discount, then the tax rate, to the amount; no store is touched."""
        require_fields(request.payload, "amount")
        try:
            amount = float(request.payload["amount"])
            discount = float(request.payload.get("discount", 0.0))
            tax_rate = float(request.payload.get("tax_rate", 0.0))
        except (TypeError, ValueError) as exc:
            logger.warning("price transform failed for %s: %s", request.key, exc)
            raise NodeOperationError(f"price {request.key} has a non-numeric input") from exc
        if discount > amount:
            raise NodeOperationError(f"price {request.key}: discount exceeds amount")
        result = {"amount": amount, "total": round((amount - discount) * (1 + tax_rate), 2)}
        emit_audit("price.computed", key=request.key, correlation_id=request.correlation_id)
        return ModelPriceOutput(success=True, key=request.key, data=result)
