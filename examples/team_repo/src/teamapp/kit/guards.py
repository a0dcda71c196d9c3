"""Guard clauses: reject a request before any work is done."""

from __future__ import annotations

from collections.abc import Mapping

from teamapp.kit.errors import NodeOperationError


def require_fields(payload: Mapping[str, object], *names: str) -> None:
    """Raise NodeOperationError naming every field of ``names`` that is missing, None or empty text."""
    missing = [name for name in names if payload.get(name) is None or payload.get(name) == ""]
    if missing:
        raise NodeOperationError(f"missing required field(s): {', '.join(missing)}")
