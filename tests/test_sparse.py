"""Sparse identifier vectors: split, stable across processes, sublinear."""

from __future__ import annotations

import math
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from nodeforge.storage.sparse import pattern_sparse_vector, sparse_vector, token_index, tokens
from tests.storekit import make_pattern


def test_identifiers_split_on_camel_and_snake_case_and_keep_the_compound() -> None:
    assert tokens("class HandlerUserCreate: get_user_by_id(x)") == [
        "class",
        "handler",
        "user",
        "create",
        "handler_user_create",
        "get",
        "user",
        "by",
        "id",
        "get_user_by_id",
    ]


def test_weights_are_sublinear_term_frequencies() -> None:
    vector = sparse_vector("user user user order")
    weights = dict(zip(vector.indices, vector.values, strict=True))
    assert weights[token_index("user")] == 1 + math.log(3)
    assert weights[token_index("order")] == 1.0
    assert list(vector.indices) == sorted(vector.indices)


def test_text_without_identifiers_gives_an_empty_vector() -> None:
    assert sparse_vector("+ - 1 2 ()").is_empty


def test_indices_are_the_same_in_another_process() -> None:
    """Python's hash() is salted per process; our indices must not be."""
    code = (
        "from nodeforge.storage.sparse import sparse_vector; "
        "print(list(sparse_vector('HandlerUserCreate').indices))"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert other.strip() == str(list(sparse_vector("HandlerUserCreate").indices))


@given(st.text(max_size=200))
def test_any_text_gives_a_valid_31_bit_vector(text: str) -> None:
    vector = sparse_vector(text)
    assert len(set(vector.indices)) == len(vector.indices)
    assert all(0 <= i < 2**31 for i in vector.indices)
    assert all(v >= 1.0 for v in vector.values)


def test_a_pattern_vector_covers_code_summary_and_slot() -> None:
    pattern = make_pattern(
        "x", code="raise NotFoundError(entity_id)", summary="Missing rows", slot="effect:fetch"
    )
    indices = set(pattern_sparse_vector(pattern).indices)
    for word in ("not", "found", "error", "missing", "rows", "fetch", "entity_id"):
        assert token_index(word) in indices, word
