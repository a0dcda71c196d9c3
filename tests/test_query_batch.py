"""Hybrid generation embeds all its query texts in one model call (generation.querybatch)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nodeforge.config import load_settings
from nodeforge.generation.contract import load_contract
from nodeforge.generation.generate import GenerateOptions, generate
from nodeforge.generation.querybatch import query_texts
from nodeforge.paths import state_dir
from nodeforge.storage.driver_store import DriverStore
from nodeforge.storage.edge import open_embedded
from nodeforge.storage.embeddings import MiniLMEmbedder, load_embedder
from tests.conftest import requires_embeddings
from tests.test_exemplar import JOURNAL, di_repo  # noqa: F401  (the learned team repository)


@dataclass
class CountingEmbedder:
    """MiniLM itself, counting its calls and the texts it was given."""

    model: MiniLMEmbedder
    calls: list[list[str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def dim(self) -> int:
        return self.model.dim

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return self.model.embed(texts)


def test_the_query_texts_are_listed_from_the_contract_alone(tmp_path: Path) -> None:
    contract_file = tmp_path / "contract.yaml"
    contract_file.write_text(JOURNAL, encoding="utf-8")
    texts = query_texts(load_contract(contract_file))
    assert len(texts) == len(set(texts)) == 4  # the exemplar query and one per handler
    assert all("effect" in text for text in texts)
    assert sorted(text.split()[1] for text in texts[1:]) == ["fetch", "purge", "record"]  # the handlers


@requires_embeddings
def test_hybrid_generation_makes_one_embedding_call(di_repo: Path, tmp_path: Path) -> None:  # noqa: F811
    counting = CountingEmbedder(load_embedder())
    contract_file = tmp_path / "contract.yaml"
    contract_file.write_text(JOURNAL, encoding="utf-8")
    settings = load_settings(di_repo)
    with open_embedded(state_dir(di_repo), embedder=counting) as store:
        assert isinstance(store, DriverStore)
        assert store.embed_pending() > 0  # the learned patterns get their dense vectors
        counting.calls.clear()
        options = GenerateOptions(out=tmp_path / "out", dry_run=True)
        report = generate(di_repo, load_contract(contract_file), "contract.yaml", settings, options, store)
    assert report.retrieval == "hybrid"
    assert report.exemplar  # built from the nearest learned node: its handlers were searched for too
    assert len(counting.calls) == 1, counting.calls
    assert len(counting.calls[0]) > 3  # every query of the generation, in that one call


@pytest.fixture(autouse=True)
def _sparse_learning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODEFORGE_EMBEDDINGS", "0")  # learning stays sparse; the test adds MiniLM
