from __future__ import annotations

import random
import re

import pytest

from nodeforge.model import NodeType
from nodeforge.naming import (
    _CAMEL_SPLIT,
    NodeNames,
    entity_words,
    generalize_text,
    instantiate_text,
    split_identifier,
)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("node_user_profile_effect", ("user", "profile")),
        ("user_profile", ("user", "profile")),
        ("UserProfile", ("user", "profile")),
        ("user-profile", ("user", "profile")),
        ("NodeOrderCompute", ("order",)),
    ],
)
def test_entity_words(raw: str, words: tuple[str, ...]) -> None:
    assert entity_words(raw) == words


def test_split_identifier_handles_acronyms_and_digits() -> None:
    assert split_identifier("HTTPClientV2") == ["http", "client", "v", "2"]
    assert split_identifier("get_user_by_id") == ["get", "user", "by", "id"]


def test_generalize_replaces_whole_words_only() -> None:
    names = NodeNames.of("user", NodeType.EFFECT)
    text = "HandlerUserCreate get_user username USER_TOPIC 'user.created' Users"
    assert generalize_text(text, names) == (
        "Handler__Entity__Create get___entity__ username __ENTITY___TOPIC '__entity__.created' Users"
    )


def test_generalize_then_instantiate_moves_every_spelling() -> None:
    source = NodeNames.of("user_profile", NodeType.EFFECT)
    target = NodeNames.of("line_item", NodeType.EFFECT)
    text = (
        "class HandlerUserProfileCreate: key = 'user-profile'; USER_PROFILE; userProfileId; "
        "'User profile saved'"
    )
    moved = instantiate_text(generalize_text(text, source), target)
    assert moved == "class HandlerLineItemCreate: key = 'line-item'; LINE_ITEM; lineItemId; 'Line item saved'"


def test_node_type_parse_accepts_onex_spellings() -> None:
    assert NodeType.parse("EFFECT_GENERIC") is NodeType.EFFECT
    assert NodeType.parse("NodeReducer") is NodeType.REDUCER
    with pytest.raises(ValueError, match="unknown node type"):
        NodeType.parse("effector")


def _split_each_run(name: str) -> list[str]:
    """``split_identifier`` as it was: the camel-case split applied to each alphanumeric run."""
    words: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", name):
        words.extend(w.lower() for w in _CAMEL_SPLIT.findall(part))
    return words


def test_split_identifier_in_one_pass_is_the_split_of_each_run() -> None:
    # Non-ASCII letters and digits (é, ß, Arabic-Indic three) sit where ASCII classes and
    # Unicode ones disagree; "_" is a word character that is not a run's.
    alphabet = "aZB_1 \u00e9\u0663xYz.\n-Ab9\u00c0\u00c9\u00df"
    rng = random.Random(7)
    texts = ["".join(rng.choice(alphabet) for _ in range(40)) for _ in range(5000)]
    texts += ["HTTPServer_URL2x", "ABC_x", "ABC\u0663d", "getHTTPResponseCode", "_private__name_", ""]
    differing = [text for text in texts if split_identifier(text) != _split_each_run(text)]
    assert not differing, differing[:3]
    assert any(_split_each_run(text) for text in texts)
