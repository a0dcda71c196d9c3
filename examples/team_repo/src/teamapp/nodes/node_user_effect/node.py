"""Node node_user_effect.

Persists user accounts in the team store.
"""

from __future__ import annotations

from teamapp.core.nodes import NodeEffect
from teamapp.kit.store import InMemoryStore

from .handlers.handler_user_create import HandlerUserCreate
from .handlers.handler_user_delete import HandlerUserDelete
from .handlers.handler_user_get import HandlerUserGet


class NodeUserEffect(NodeEffect):
    """Declarative shell of node_user_effect: each operation is routed to its handler."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        """Share one store between the handlers of every operation."""
        shared = store if store is not None else InMemoryStore()
        super().__init__(
            handlers={
                "create": HandlerUserCreate(shared),
                "get": HandlerUserGet(shared),
                "delete": HandlerUserDelete(shared),
            }
        )
