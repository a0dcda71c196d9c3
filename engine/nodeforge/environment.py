"""The environment variables nodeforge reads: all of them, read here and nowhere else, never written.

``read_environment`` is the one reader. The settings loader (``config.load_settings``) builds
``Settings`` from it, and the post-commit hook calls it directly: standard library only, so the
hook reads its environment in the commit's time without loading pydantic. Values are passed on as
the user wrote them (validation, and every default, belong to ``config``); only the on/off switches
are read as booleans here, ``None`` when unset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

QDRANT_URL: Final = "QDRANT_URL"  # the team server (selects it unless NODEFORGE_STORE says otherwise)
QDRANT_API_KEY: Final = "QDRANT_API_KEY"
STORE: Final = "NODEFORGE_STORE"  # "embedded" or "server"
COLLECTION: Final = "NODEFORGE_COLLECTION"
EMBED_DEVICE: Final = "NODEFORGE_EMBED_DEVICE"
EMBED_BATCH: Final = "NODEFORGE_EMBED_BATCH"
HOME: Final = "NODEFORGE_HOME"  # the state folder instead of <repo>/.nodeforge (tests, CI caches)
MODEL: Final = "NODEFORGE_MODEL"  # the MiniLM model folder instead of the bundled package's
EMBEDDINGS: Final = "NODEFORGE_EMBEDDINGS"  # 0/off/false/no: sparse retrieval only
EMBED_LATER: Final = "NODEFORGE_EMBED_LATER"  # 0: the hook starts no `nodeforge embed --pending`

# The ``[tool.nodeforge]`` key each variable overrides, so an error names where a value came from.
KEY_OF_VARIABLE: Final = {
    QDRANT_URL: "server_url",
    STORE: "store",
    COLLECTION: "collection",
    EMBED_DEVICE: "embed_device",
    EMBED_BATCH: "embed_batch_size",
}
_OFF = frozenset({"0", "off", "false", "no"})


@dataclass(frozen=True)
class Environment:
    """What the environment says; ``None``: the variable is unset (or empty)."""

    overrides: Mapping[str, str]  # [tool.nodeforge] key -> the variable's text (KEY_OF_VARIABLE)
    api_key: str | None = None
    home: Path | None = None
    model: Path | None = None
    embeddings: bool | None = None
    embed_later: bool | None = None

    def variable_of(self, key: str) -> str | None:
        """The variable that set ``key``, when one did."""
        return next(
            (name for name, known in KEY_OF_VARIABLE.items() if known == key and key in self.overrides), None
        )


def read_environment(env: Mapping[str, str] | None = None) -> Environment:
    """nodeforge's variables from ``env`` (default ``os.environ``); an empty value counts as unset."""
    environ = os.environ if env is None else env

    def text(name: str) -> str | None:
        return environ.get(name) or None

    def path(name: str) -> Path | None:
        value = text(name)
        return Path(value) if value else None

    def switch(name: str) -> bool | None:
        value = text(name)
        return None if value is None else value.strip().lower() not in _OFF

    overrides = {key: value for name, key in KEY_OF_VARIABLE.items() if (value := text(name))}
    return Environment(
        overrides=overrides,
        api_key=text(QDRANT_API_KEY),
        home=path(HOME),
        model=path(MODEL),
        embeddings=switch(EMBEDDINGS),
        embed_later=switch(EMBED_LATER),
    )
