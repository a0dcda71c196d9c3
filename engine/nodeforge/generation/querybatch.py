"""One embedding call per generation: the query texts a generation will search for, listed first.

Hybrid retrieval embeds each query's text, and a model call costs about as much for one short
text as for ten, so embedding the queries one by one was most of hybrid generation's overhead.
``embed_queries_at_once`` asks the same functions the generation asks (exemplars, the base
import, each handler's need, the operation plan) of a stand-in store that records every query and
finds nothing, then hands all the texts to ``PatternStore.prepare_queries`` in one batch. Finding
nothing takes each function down the path with the most queries it can make from the contract
alone. A query text this listing misses is still embedded, on its own, when it is searched.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import cast

from nodeforge.generation.contract import Contract
from nodeforge.generation.exemplar import nearest_exemplars, needs, operation_patterns
from nodeforge.model import PatternQuery, ScoredPattern
from nodeforge.storage.protocol import PatternStore

# The generation's own planning and base-import lookups, given a store (see generate.py).
Lookups = Sequence[Callable[[PatternStore], object]]


class _Listing:
    """Records the text of every query; finds nothing."""

    def __init__(self) -> None:
        self.texts: builtins.list[str] = []

    def query(self, q: PatternQuery) -> builtins.list[ScoredPattern]:
        self.texts.append(q.text)
        return []


def query_texts(contract: Contract, lookups: Lookups = ()) -> list[str]:
    """The texts the generation of ``contract`` searches for, in order, without duplicates."""
    listing = _Listing()
    store = cast(PatternStore, listing)  # only ``query`` is ever called on it
    nearest_exemplars(store, contract)
    for need in needs(contract):
        operation_patterns(store, contract, need)
    for lookup in lookups:
        lookup(store)
    return list(dict.fromkeys(listing.texts))


def embed_queries_at_once(store: PatternStore, contract: Contract, lookups: Lookups = ()) -> None:
    store.prepare_queries(query_texts(contract, lookups))
