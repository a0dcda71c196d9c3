"""The embedder's cheap parts: availability checks and pattern text. (Model loading: test_store_hybrid.)"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from nodeforge.embeddings import (
    MAX_TEXT_CHARS,
    Embedder,
    EmbedderUnavailable,
    MiniLMEmbedder,
    find_embedder,
    load_embedder,
    pattern_text,
)
from tests.conftest import requires_embeddings
from tests.storekit import make_pattern


@requires_embeddings
def test_the_bundled_model_is_found_without_loading_it() -> None:
    embedder = load_embedder()
    assert isinstance(embedder, MiniLMEmbedder) and isinstance(embedder, Embedder)
    assert (embedder.name, embedder.dim) == ("minilm-l6-v2", 384)
    assert (embedder.model_path / "config.json").is_file()


@requires_embeddings
def test_a_missing_model_is_reported_with_its_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODEFORGE_MODEL", str(tmp_path / "nowhere"))
    with pytest.raises(EmbedderUnavailable, match="no model files") as raised:
        load_embedder()
    assert "nowhere" in raised.value.reason
    lookup = find_embedder()
    assert lookup.embedder is None and "no model files" in lookup.reason


def test_importing_the_store_does_not_import_torch_or_qdrant_client() -> None:
    code = (
        "import sys, nodeforge.store, nodeforge.embeddings, nodeforge.rank;"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'qdrant_client') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_pattern_text_is_compact_and_leaves_out_counters() -> None:
    code = "\n".join(
        ["@decorator", "async def handle(self, request):", *["    x = 1"] * 400, "    raise NotFoundError(x)"]
    )
    pattern = make_pattern("x", code=code, summary="Fetch one user.", identifiers=("fetch", "user", "fetch"))
    text = pattern_text(pattern)
    assert text.splitlines()[:3] == ["operation effect create", "effect:create", "Fetch one user."]
    assert "async def handle(self, request):" in text and "raise NotFoundError(x)" in text
    assert "x = 1" not in text and len(text) <= MAX_TEXT_CHARS
    assert text.endswith("fetch user")
    assert pattern_text(replace(pattern, success_count=5, support=4, version=3)) == text
