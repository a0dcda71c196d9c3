from __future__ import annotations

import pytest

from nodeforge.model import NodeType
from nodeforge.naming import NodeNames, entity_words, generalize_text, instantiate_text, split_identifier


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
