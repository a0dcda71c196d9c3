"""Node node_signup_orchestrator.

Signs a user up: records them, then confirms them.
"""

from __future__ import annotations

from teamapp.core.nodes import NodeOrchestrator
from teamapp.kit.store import InMemoryStore

from .handlers.handler_signup_orchestrate import HandlerSignupOrchestrate


class NodeSignupOrchestrator(NodeOrchestrator):
    """Declarative shell of node_signup_orchestrator: each operation is routed to its handler."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        """Share one store between the handlers of every operation."""
        shared = store if store is not None else InMemoryStore()
        super().__init__(
            handlers={
                "orchestrate": HandlerSignupOrchestrate(shared),
            }
        )
