"""Retrying transient failures of the team's stores and services."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Failures worth another attempt; anything else (a missing key, a bad request) fails at once.
RETRYABLE_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)


async def with_retry(
    fn: Callable[..., Awaitable[T]],
    *args: Any,
    attempts: int = 3,
    delay: float = 0.0,
    **kwargs: Any,
) -> T:
    """Await ``fn(*args, **kwargs)``, retrying transient errors up to ``attempts`` times in all.

    The pause before attempt ``n + 1`` is ``delay * n`` seconds. The last transient error, or
    the first error of any other kind, propagates unchanged.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    for attempt in range(1, attempts):
        try:
            return await fn(*args, **kwargs)
        except RETRYABLE_ERRORS as exc:
            logger.debug("attempt %d of %d failed: %s", attempt, attempts, exc)
            await asyncio.sleep(delay * attempt)
    return await fn(*args, **kwargs)
