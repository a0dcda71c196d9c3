"""Node node_invoice_effect.

Persists invoices in the team store.
"""

from __future__ import annotations

from teamapp.core.nodes import NodeEffect
from teamapp.kit.store import InMemoryStore

from .handlers.handler_invoice_create import HandlerInvoiceCreate
from .handlers.handler_invoice_get import HandlerInvoiceGet


class NodeInvoiceEffect(NodeEffect):
    """Declarative shell of node_invoice_effect: each operation is routed to its handler."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        """Share one store between the handlers of every operation."""
        shared = store if store is not None else InMemoryStore()
        super().__init__(
            handlers={
                "create": HandlerInvoiceCreate(shared),
                "get": HandlerInvoiceGet(shared),
            }
        )
