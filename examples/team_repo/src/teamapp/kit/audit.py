"""Audit events: one record per completed operation, kept in memory for inspection."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

# The process-wide audit trail; tests read its last entries.
AUDIT_LOG: list[dict[str, object]] = []


def emit_audit(event: str, **fields: object) -> None:
    """Append ``event`` with ``fields`` to the audit trail and log it."""
    if not event:
        raise ValueError("an audit event needs a name")
    AUDIT_LOG.append({"event": event, **fields})
    logger.info("audit %s %s", event, fields)
