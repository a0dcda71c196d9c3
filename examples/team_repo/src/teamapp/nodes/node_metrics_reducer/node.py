"""Node node_metrics_reducer.

Folds usage events into per-key metrics.
"""

from __future__ import annotations

from teamapp.core.nodes import NodeReducer
from teamapp.kit.store import InMemoryStore

from .handlers.handler_metrics_aggregate import HandlerMetricsAggregate


class NodeMetricsReducer(NodeReducer):
    """Declarative shell of node_metrics_reducer: each operation is routed to its handler."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        """Share one store between the handlers of every operation."""
        shared = store if store is not None else InMemoryStore()
        super().__init__(
            handlers={
                "aggregate": HandlerMetricsAggregate(shared),
            }
        )
