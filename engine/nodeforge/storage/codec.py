"""Pattern <-> JSON-able dict, lossless: enums as their values, tuples as lists, nested dataclasses.

The same dict is a point's payload (plus the store's own ``_``-prefixed fields) and a line of a
JSONL export. Every Pattern field is top-level, so the filtered fields (kind, node_type, slot,
status, operation, code_hash) are plain payload keys Qdrant can index.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from nodeforge.model import (
    Dependency,
    DependencyKind,
    NodeType,
    Pattern,
    PatternKind,
    PatternStatus,
    Provenance,
)

JsonDict = dict[str, Any]

SCHEMA_VERSION = 1
# The store's own payload fields; they never reach a Pattern.
SCHEMA_KEY = "_schema"
SYMBOL_KEY = "_symbol"  # "<node_name>::<symbol>", what versioning matches on besides the slot
UNSYNCED_KEY = "_unsynced"
# A keyword, not a bool: qdrant-edge-py 0.9 turns a Python bool in MatchValue into an integer,
# which never matches a stored bool.
UNSYNCED = "yes"
INDEXED_KEYWORDS = ("kind", "node_type", "slot", "status", "operation", "code_hash", SYMBOL_KEY, UNSYNCED_KEY)


def symbol_key(pattern: Pattern) -> str:
    return f"{pattern.provenance.node_name}::{pattern.provenance.symbol}"


def to_dict(pattern: Pattern) -> JsonDict:
    return {
        "id": pattern.id,
        "kind": pattern.kind.value,
        "node_type": pattern.node_type.value,
        "slot": pattern.slot,
        "operation": pattern.operation,
        "code": pattern.code,
        "code_hash": pattern.code_hash,
        "provenance": dataclasses.asdict(pattern.provenance),
        "dependencies": [{**dataclasses.asdict(d), "kind": d.kind.value} for d in pattern.dependencies],
        "parameters": [[name, value] for name, value in pattern.parameters],
        "identifiers": list(pattern.identifiers),
        "summary": pattern.summary,
        "confidence": pattern.confidence,
        "quality": pattern.quality,
        "support": pattern.support,
        "source_nodes": list(pattern.source_nodes),
        "usage_count": pattern.usage_count,
        "success_count": pattern.success_count,
        "failure_count": pattern.failure_count,
        "version": pattern.version,
        "status": pattern.status.value,
        "supersedes": pattern.supersedes,
        "learned_at": pattern.learned_at,
        "extra": dict(pattern.extra),
    }


def from_dict(data: JsonDict) -> Pattern:
    """Inverse of ``to_dict``; ignores the store's ``_`` fields. Raises KeyError/ValueError if malformed."""
    provenance = data["provenance"]
    return Pattern(
        id=str(data["id"]),
        kind=PatternKind(data["kind"]),
        node_type=NodeType(data["node_type"]),
        slot=str(data["slot"]),
        operation=str(data["operation"]),
        code=str(data["code"]),
        code_hash=str(data["code_hash"]),
        provenance=Provenance(
            path=str(provenance["path"]),
            symbol=str(provenance["symbol"]),
            start_line=int(provenance["start_line"]),
            end_line=int(provenance["end_line"]),
            commit=str(provenance["commit"]),
            content_hash=str(provenance["content_hash"]),
            node_name=str(provenance["node_name"]),
        ),
        dependencies=tuple(
            Dependency(
                kind=DependencyKind(str(d["kind"])),
                name=str(d["name"]),
                code=str(d["code"]),
                origin=str(d.get("origin", "handler")),
            )
            for d in data.get("dependencies", ())
        ),
        parameters=tuple((str(name), str(value)) for name, value in data.get("parameters", ())),
        identifiers=tuple(str(i) for i in data.get("identifiers", ())),
        summary=str(data.get("summary", "")),
        confidence=float(data.get("confidence", 0.0)),
        quality=float(data.get("quality", 0.0)),
        support=int(data.get("support", 1)),
        source_nodes=tuple(str(n) for n in data.get("source_nodes", ())),
        usage_count=int(data.get("usage_count", 0)),
        success_count=int(data.get("success_count", 0)),
        failure_count=int(data.get("failure_count", 0)),
        version=int(data.get("version", 1)),
        status=PatternStatus(data.get("status", PatternStatus.ACTIVE.value)),
        supersedes=str(data.get("supersedes", "")),
        learned_at=str(data.get("learned_at", "")),
        extra={str(k): str(v) for k, v in dict(data.get("extra", {})).items()},
    )


def to_payload(pattern: Pattern, *, unsynced: bool = False) -> JsonDict:
    payload = to_dict(pattern)
    payload[SCHEMA_KEY] = SCHEMA_VERSION
    payload[SYMBOL_KEY] = symbol_key(pattern)
    if unsynced:
        payload[UNSYNCED_KEY] = UNSYNCED
    return payload


def is_unsynced(payload: JsonDict) -> bool:
    return payload.get(UNSYNCED_KEY) == UNSYNCED
