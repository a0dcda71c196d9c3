"""Node node_price_compute.

Computes a price from an amount, a discount and a tax rate.
"""

from __future__ import annotations

from teamapp.core.nodes import NodeCompute
from teamapp.kit.store import InMemoryStore

from .handlers.handler_price_transform import HandlerPriceTransform


class NodePriceCompute(NodeCompute):
    """Declarative shell of node_price_compute: each operation is routed to its handler."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        """Share one store between the handlers of every operation."""
        shared = store if store is not None else InMemoryStore()
        super().__init__(
            handlers={
                "transform": HandlerPriceTransform(shared),
            }
        )
