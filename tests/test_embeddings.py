"""The embedder's cheap parts: availability checks and pattern text. (Model loading: test_store_hybrid.)"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from nodeforge.config import load_settings
from nodeforge.errors import InputError
from nodeforge.storage.embeddings import (
    BATCH_BY_DEVICE,
    MAX_TEXT_CHARS,
    Embedder,
    EmbedderUnavailable,
    MiniLMEmbedder,
    Placement,
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
def test_a_missing_model_is_reported_with_its_reason(tmp_path: Path) -> None:
    placement = load_settings(tmp_path, env={"NODEFORGE_MODEL": str(tmp_path / "nowhere")}).placement
    assert placement.model == tmp_path / "nowhere"
    with pytest.raises(EmbedderUnavailable, match="no model files") as raised:
        load_embedder(placement)
    assert "nowhere" in raised.value.reason
    lookup = find_embedder(placement)
    assert lookup.embedder is None and "no model files" in lookup.reason


def test_importing_the_store_does_not_import_torch_or_qdrant_client() -> None:
    code = (
        "import sys, nodeforge.storage, nodeforge.storage.embeddings, nodeforge.storage.rank;"
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


def test_device_and_batch_come_from_the_settings_and_the_environment(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nodeforge]\nembed_device = "cpu"\nembed_batch_size = 8\n')
    assert load_settings(tmp_path, env={}).placement == Placement("cpu", 8)
    overridden = load_settings(
        tmp_path, env={"NODEFORGE_EMBED_DEVICE": "cuda:1", "NODEFORGE_EMBED_BATCH": "64"}
    )
    assert overridden.placement == Placement("cuda:1", 64)
    assert load_settings(tmp_path / "elsewhere", env={}).placement == Placement("auto", None)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [("embed_device", '"tpu"', "expected 'auto', 'cpu'"), ("embed_batch_size", "0", "greater than or equal")],
)
def test_a_bad_device_or_batch_is_refused_naming_the_key(
    tmp_path: Path, key: str, value: str, expected: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.nodeforge]\n{key} = {value}\n")
    with pytest.raises(InputError, match=expected) as raised:
        load_settings(tmp_path, env={})
    assert key in str(raised.value)


@requires_embeddings
def test_auto_takes_the_cpu_without_a_gpu_and_sizes_the_batch_by_device() -> None:
    import torch

    device, batch = Placement().resolved()
    assert device == ("cuda" if torch.cuda.is_available() else "cpu")
    assert batch == BATCH_BY_DEVICE[device]
    assert Placement("cpu", 5).resolved() == ("cpu", 5)
    if not torch.cuda.is_available():
        with pytest.raises(EmbedderUnavailable, match="no CUDA device"):
            Placement("cuda").resolved()


def _agreement(first: list[list[float]], second: list[list[float]]) -> float:
    """The smallest cosine between matching unit vectors."""
    return min(sum(a * b for a, b in zip(x, y, strict=True)) for x, y in zip(first, second, strict=True))


@requires_embeddings
def test_vectors_agree_across_batch_sizes_and_devices() -> None:
    """What lets a store embedded on a GPU runner be queried from CPU laptops without re-embedding."""
    import torch

    texts = [
        f"async def handle_{i}(self, envelope): return await self._store.write(envelope)" for i in range(9)
    ]
    texts += ["class HandlerOrderCreate:\n    def __init__(self, container): ...", "retry with backoff"]
    reference = replace(load_embedder(), placement=Placement("cpu", 32)).embed(texts)
    others = [Placement("cpu", 1), Placement("cpu", 4)]
    if torch.cuda.is_available():  # only where a GPU is present; CI has none
        others += [Placement("cuda", 256)]
    for placement in others:
        vectors = replace(load_embedder(), placement=placement).embed(texts)
        assert _agreement(reference, vectors) > 0.9995, placement
