"""Base classes of the four ONEX node types.

A node is a declarative shell: it maps each operation to a handler object and dispatches requests
to that handler's ``handle`` coroutine. The handlers hold the logic.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, runtime_checkable


@runtime_checkable
class SupportsHandle(Protocol):
    """A handler: something with an ``async handle(request)``."""

    async def handle(self, request: Any) -> Any:
        """Serve one request."""


@runtime_checkable
class SupportsLifecycle(Protocol):
    """A handler that must be prepared before use and released afterwards."""

    async def initialize(self) -> None:
        """Prepare the handler."""

    async def shutdown(self) -> None:
        """Release the handler's resources."""


class NodeBase:
    """Routes each operation to its handler."""

    node_kind: ClassVar[str] = "base"

    def __init__(self, handlers: dict[str, object] | None = None) -> None:
        """Register ``handlers``, keyed by the operation they serve."""
        self._handlers: dict[str, object] = dict(handlers or {})

    @property
    def operations(self) -> tuple[str, ...]:
        """The operations this node serves, sorted."""
        return tuple(sorted(self._handlers))

    async def initialize(self) -> None:
        """Prepare every handler that has a lifecycle."""
        for handler in self._handlers.values():
            if isinstance(handler, SupportsLifecycle):
                await handler.initialize()

    async def shutdown(self) -> None:
        """Release every handler that has a lifecycle, in reverse registration order."""
        for handler in reversed(list(self._handlers.values())):
            if isinstance(handler, SupportsLifecycle):
                await handler.shutdown()

    async def process(self, operation: str, request: object) -> object:
        """Dispatch ``request`` to the handler registered for ``operation``."""
        try:
            handler = self._handlers[operation]
        except KeyError:
            raise KeyError(f"{type(self).__name__} has no handler for operation {operation!r}") from None
        if not isinstance(handler, SupportsHandle):
            raise TypeError(f"handler for {operation!r} has no async handle(request) method")
        return await handler.handle(request)


class NodeEffect(NodeBase):
    """A node that talks to the outside world: stores, services, queues."""

    node_kind = "effect"


class NodeCompute(NodeBase):
    """A node that computes a result from its input alone."""

    node_kind = "compute"


class NodeReducer(NodeBase):
    """A node that folds a stream of events into a state."""

    node_kind = "reducer"


class NodeOrchestrator(NodeBase):
    """A node that runs a workflow of steps and undoes them when one fails."""

    node_kind = "orchestrator"
