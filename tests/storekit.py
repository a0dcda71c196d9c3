"""Builders shared by the store tests: real ``Pattern`` objects, and both backends side by side."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from nodeforge.model import NodeType, Pattern, PatternKind, PatternStatus, Provenance


def make_pattern(
    key: str,
    *,
    code: str | None = None,
    slot: str = "effect:create",
    node: str = "node_user_effect",
    symbol: str = "HandlerUserCreate.handle",
    kind: PatternKind = PatternKind.OPERATION,
    node_type: NodeType = NodeType.EFFECT,
    operation: str = "create",
    quality: float = 0.8,
    status: PatternStatus = PatternStatus.ACTIVE,
    summary: str = "",
    identifiers: tuple[str, ...] = (),
) -> Pattern:
    """A pattern whose id derives from ``slot`` and ``code`` (as ``ids.pattern_id`` does)."""
    body = code if code is not None else f"def handle(self, request):\n    return {key}(request)\n"
    code_hash = hashlib.sha256(body.encode()).hexdigest()[:16]
    return Pattern(
        id=hashlib.sha256(f"{slot}\0{body}".encode()).hexdigest()[:24],
        kind=kind,
        node_type=node_type,
        slot=slot,
        operation=operation,
        code=body,
        code_hash=code_hash,
        provenance=Provenance(
            path=f"src/nodes/{node}/handler.py",
            symbol=symbol,
            start_line=10,
            end_line=20,
            commit="abc123",
            content_hash="c0ffee",
            node_name=node,
        ),
        identifiers=identifiers,
        summary=summary,
        quality=quality,
        confidence=0.9,
        source_nodes=(node,),
        status=status,
        learned_at="2025-01-01T00:00:00Z",
    )


def relearned(pattern: Pattern, node: str) -> Pattern:
    """The same pattern mined again from another node."""
    return replace(
        pattern,
        source_nodes=(node,),
        provenance=replace(pattern.provenance, node_name=node),
    )
