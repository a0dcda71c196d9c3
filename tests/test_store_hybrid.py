"""Hybrid retrieval with the real MiniLM model (the one module that loads it: ~6-10 s, once)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from nodeforge.model import Pattern, PatternQuery
from nodeforge.storage.driver_store import DriverStore
from nodeforge.storage.edge import open_embedded
from nodeforge.storage.embeddings import MiniLMEmbedder, load_embedder
from nodeforge.storage.protocol import RetrievalMode
from nodeforge.storage.server import ServerStore
from tests.conftest import requires_embeddings
from tests.storekit import make_pattern

pytestmark = requires_embeddings

QUERY = PatternQuery("send welcome email to new customer after signup", limit=8)

# name -> (summary, code). "planted" is second for identifiers alone (the decoy repeats the
# query's words) and second for meaning alone (the other decoy says the same thing in other
# words), but the only one near the top of both.
DOCS = {
    "planted": (
        "Customer mailer.",
        "def handle(self, request):\n    mailer.send_email(template='welcome', to=request.customer)\n",
    ),
    "sparse_decoy": (
        "Rate limit table keys.",
        "LIMITS = {'send': 0, 'welcome': 0, 'email': 0, 'customer': 0, 'new': 0, 'after': 0, "
        "'signup': 0, 'to': 0}\n",
    ),
    "dense_decoy": (
        "Greet newly enrolled clients by electronic mail once they have registered; "
        "a greeting message for fresh accounts.",
        "def handle(self, request):\n    notifier.dispatch(greeting_message, recipient=request.registrant)\n",
    ),
    "sms": (
        "Push an SMS reminder to a subscriber.",
        "def handle(self, request):\n    sms_gateway.push(reminder, phone=request.subscriber_phone)\n",
    ),
    "invoice": (
        "Mail an invoice PDF to the billing contact.",
        "def handle(self, request):\n    postbox.deliver(invoice_pdf, recipient=request.billing_contact)\n",
    ),
    "admins": (
        "Alert administrators when an account is created.",
        "def handle(self, request):\n    alerts.raise_alert(admins, account=request.account_id)\n",
    ),
    "chat": (
        "Post a chat message to the team channel when somebody registers.",
        "def handle(self, request):\n    chat.post(channel, text=request.registration)\n",
    ),
    "cache": (
        "Invalidate the cache for a product.",
        "def handle(self, request):\n    cache.invalidate(request.product_id)\n",
    ),
}


def corpus() -> dict[str, Pattern]:
    return {
        name: make_pattern(
            name,
            code=code,
            summary=summary,
            slot="effect:notify",
            operation="notify",
            symbol=f"Handler{name}.handle",
            node=f"node_{name}_effect",
        )
        for name, (summary, code) in DOCS.items()
    }


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return load_embedder()


@pytest.fixture
def edge(tmp_path: Path, minilm: MiniLMEmbedder) -> Iterator[DriverStore]:
    store = open_embedded(tmp_path, embedder=minilm)
    assert isinstance(store, DriverStore)
    yield store
    store.close()


def ranked_names(store: DriverStore, mode: RetrievalMode | None = None) -> list[str]:
    names = {p.id: name for name, p in corpus().items()}
    return [names[c.pattern.id] for c in store.search(QUERY, mode=mode).patterns]


def test_minilm_gives_unit_vectors_that_know_meaning(minilm: MiniLMEmbedder) -> None:
    welcome, greet, cache = minilm.embed(
        [
            "send a welcome email to a new customer",
            "greet fresh clients by mail",
            "invalidate the product cache",
        ]
    )
    assert len(welcome) == minilm.dim == 384
    assert math.isclose(sum(x * x for x in welcome), 1.0, rel_tol=1e-4)

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(welcome, greet) > cosine(welcome, cache) + 0.2


def test_hybrid_puts_first_what_neither_retriever_alone_does(edge: DriverStore) -> None:
    edge.upsert(list(corpus().values()))
    result = edge.search(QUERY)
    assert result.mode == RetrievalMode.HYBRID
    assert ranked_names(edge)[0] == "planted"
    assert ranked_names(edge, RetrievalMode.SPARSE)[:2] == ["sparse_decoy", "planted"]
    assert ranked_names(edge, RetrievalMode.DENSE)[:2] == ["dense_decoy", "planted"]
    assert all(0.0 <= c.similarity <= 1.0 for c in result.patterns)
    assert edge.info().dense_available and edge.info().dense_pending == 0


def test_hybrid_order_is_the_same_on_the_server_backend(edge: DriverStore, minilm: MiniLMEmbedder) -> None:
    server = ServerStore(QdrantClient(":memory:"), embedder=minilm)
    for store in (edge, server):
        store.upsert(list(corpus().values()))
    on_edge = [(c.pattern.id, round(c.similarity, 6)) for c in edge.search(QUERY).patterns]
    on_server = [(c.pattern.id, round(c.similarity, 6)) for c in server.search(QUERY).patterns]
    # Qdrant's RRF ranks exact ties inside one prefetch in engine order; here "sms", "invoice"
    # and "chat" tie on identifiers (they share only "to"), so only the untied head must agree.
    assert on_edge[:3] == on_server[:3]
    assert {i for i, _ in on_edge} == {i for i, _ in on_server}
    server.close()


def test_deferred_dense_vectors_are_filled_by_embed_pending(edge: DriverStore) -> None:
    report = edge.upsert(list(corpus().values()), embed=False)
    assert report.dense_pending == len(DOCS) == edge.info().dense_pending
    calls: list[tuple[int, int]] = []
    assert edge.embed_pending(lambda done, total: calls.append((done, total))) == len(DOCS)
    assert calls[0] == (0, len(DOCS)) and calls[-1] == (len(DOCS), len(DOCS))
    assert edge.info().dense_pending == 0
    assert ranked_names(edge)[0] == "planted"  # the same answer as when embedded at once
    # Merging keeps a point's dense vector: nothing becomes pending again.
    assert edge.upsert([corpus()["planted"]], embed=False).dense_pending == 0
