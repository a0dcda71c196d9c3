"""The files of a generated node exactly as generation wrote them: the base of ``nodeforge update``'s merge.

A three-way merge needs what the node looked like before anyone edited it. Generating it again
cannot give that back: retrieval ranks today's store (new patterns, new counts), and a team that
changed its templates no longer has the old ones. So the bytes are kept when the node is written,
one JSON file per node under ``.nodeforge/pristine/`` (local state, like ``generated.json``; git
objects would need a ref to survive ``git gc``, and generation also runs outside git).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from nodeforge.paths import state_dir
from nodeforge.statefile import read_state_object
from nodeforge.writer import atomic_write_text

FOLDER = "pristine"


def _path(repo: Path, node_key: str) -> Path:
    name = hashlib.sha256(node_key.encode()).hexdigest()[:24]
    return state_dir(repo) / FOLDER / f"{name}.json"


def save_pristine(repo: Path, node_key: str, files: Mapping[str, str]) -> None:
    """Remember ``files`` (node-relative path -> text) as node ``node_key`` was generated."""
    payload = {"node": node_key, "files": dict(sorted(files.items()))}
    atomic_write_text(_path(repo, node_key), json.dumps(payload, indent=1, sort_keys=True) + "\n")


def load_pristine(repo: Path, node_key: str) -> dict[str, str] | None:
    """The files node ``node_key`` was generated with, or None when nothing was kept for it."""
    path = _path(repo, node_key)
    if not path.is_file():
        return None
    data = read_state_object(path)  # a corrupt file is set aside with a warning: no base then
    files = data.get("files")
    if data.get("node") != node_key or not isinstance(files, dict):
        return None
    return {str(rel): str(text) for rel, text in files.items()}
