"""Consensus choice among candidate modules: the one an unknown target most likely resembles."""

from __future__ import annotations

import pytest

from nodeforge.generation.consensus import consensus_order, expected_similarity

# Three near nodes write the handler the same way (guard, call, wrap); one writes it another way.
_TYPICAL = """
class HandlerThing:
    def __init__(self, container):
        self._client = container.client

    async def handle(self, request):
        if not request.key:
            raise ValueError("key")
        result = await self._client.fetch(request.key)
        return ModelOutput(success=True, data=result)
"""
_TYPICAL_TOO = _TYPICAL.replace("fetch", "load").replace('"key"', '"missing key"')
_TYPICAL_ALSO = _TYPICAL.replace("raise ValueError", "raise KeyError")
_ODD = """
def handle(payload):
    total = 0
    for item in payload:
        total += item
    return total
"""


def test_the_typical_module_wins_over_a_slightly_nearer_odd_one() -> None:
    modules = [_ODD, _TYPICAL, _TYPICAL_TOO, _TYPICAL_ALSO]
    order = consensus_order(modules, [0.9, 0.8, 0.8, 0.8])
    assert order[0] in (1, 2, 3) and order[-1] == 0


def test_a_moderate_lead_in_prior_does_not_outweigh_three_alike_modules() -> None:
    """The nearest node's handler leads the pool by 0.3 (about the spread of node similarities);
    the typical shape three other near nodes share is still the better bet (the handler AST
    the eval scores is highest for it). A sharper softmax (5) followed the nearest node here."""
    modules = [_ODD, _TYPICAL, _TYPICAL_TOO, _TYPICAL_ALSO]
    expected = expected_similarity(modules, [1.1, 0.8, 0.8, 0.8])
    assert consensus_order(modules, [1.1, 0.8, 0.8, 0.8])[0] in (1, 2, 3)
    assert min(expected[1:]) > expected[0] + 0.1


def test_a_far_nearer_candidate_still_wins_alone() -> None:
    """Sharp priors: a candidate much likelier than the rest is chosen even if it is the odd one."""
    order = consensus_order([_ODD, _TYPICAL, _TYPICAL_TOO], [1.0, 0.0, 0.0])
    assert order[0] == 0


def test_expected_similarity_of_identical_modules_is_one_and_broken_code_scores_zero() -> None:
    assert expected_similarity([_TYPICAL, _TYPICAL], [0.5, 0.5]) == pytest.approx([1.0, 1.0])
    scores = expected_similarity([_TYPICAL, "def broken(:\n"], [0.5, 0.5])
    assert scores[1] == 0.0 and 0.4 < scores[0] < 0.6  # itself, and nothing from the broken one
    assert consensus_order([], []) == []
    with pytest.raises(ValueError, match="one prior per module"):
        expected_similarity([_TYPICAL], [])
