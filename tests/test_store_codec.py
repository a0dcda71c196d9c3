"""Pattern <-> payload dict is lossless, and the payload carries the flat indexed fields."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from nodeforge.model import (
    Dependency,
    DependencyKind,
    NodeType,
    Pattern,
    PatternKind,
    PatternStatus,
    Provenance,
)
from nodeforge.storage import codec
from tests.storekit import make_pattern

text = st.text(max_size=40)
patterns = st.builds(
    Pattern,
    id=st.text(min_size=1, max_size=30),
    kind=st.sampled_from(PatternKind),
    node_type=st.sampled_from(NodeType),
    slot=text,
    operation=text,
    code=st.text(max_size=200),
    code_hash=text,
    provenance=st.builds(
        Provenance,
        path=text,
        symbol=text,
        start_line=st.integers(0, 10_000),
        end_line=st.integers(0, 10_000),
        commit=text,
        content_hash=text,
        node_name=text,
    ),
    dependencies=st.lists(
        st.builds(Dependency, kind=st.sampled_from(DependencyKind), name=text, code=text, origin=text),
        max_size=3,
    ).map(tuple),
    parameters=st.lists(st.tuples(text, text), max_size=3).map(tuple),
    identifiers=st.lists(text, max_size=5).map(tuple),
    summary=text,
    confidence=st.floats(0, 1),
    quality=st.floats(0, 1),
    support=st.integers(1, 50),
    source_nodes=st.lists(text, max_size=4).map(tuple),
    usage_count=st.integers(0, 10**6),
    success_count=st.integers(0, 10**6),
    failure_count=st.integers(0, 10**6),
    version=st.integers(1, 100),
    status=st.sampled_from(PatternStatus),
    supersedes=text,
    learned_at=text,
    extra=st.dictionaries(text, text, max_size=3),
)


@given(patterns)
def test_round_trip_through_json_is_lossless(pattern: Pattern) -> None:
    restored = codec.from_dict(json.loads(json.dumps(codec.to_dict(pattern))))
    assert restored == pattern
    assert restored.extra == pattern.extra  # extra is excluded from ==, so check it on its own
    assert isinstance(restored.kind, PatternKind) and isinstance(restored.dependencies, tuple)


def test_payload_has_flat_indexed_fields_and_store_keys_do_not_leak() -> None:
    pattern = make_pattern("x", node="node_user_effect", symbol="HandlerUserCreate.handle")
    payload = codec.to_payload(pattern, unsynced=True)
    assert {name: payload[name] for name in ("kind", "node_type", "slot", "status")} == {
        "kind": "operation",
        "node_type": "effect",
        "slot": "effect:create",
        "status": "active",
    }
    assert payload[codec.SYMBOL_KEY] == "node_user_effect::HandlerUserCreate.handle"
    assert codec.is_unsynced(payload)
    assert codec.from_dict(payload) == pattern
    assert not codec.is_unsynced(codec.to_payload(pattern))
