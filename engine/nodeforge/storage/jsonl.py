"""Exports: one pattern a line (``codec.to_dict``) with its counters, so an import merges them exactly."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from nodeforge.model import Pattern
from nodeforge.storage import codec, counters
from nodeforge.storage.counters import Tally
from nodeforge.writer import atomic_write_text


def write_export(path: Path, payloads: Iterable[codec.JsonDict]) -> int:
    """Write the patterns of stored ``payloads``, by id, atomically. Returns the count."""
    lines = []
    for payload in payloads:
        line = codec.to_dict(codec.from_dict(payload))
        line[counters.TALLY_KEY] = counters.read(payload).to_json()
        lines.append(line)
    lines.sort(key=lambda line: str(line["id"]))
    atomic_write_text(path, "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines), shared=True)
    return len(lines)


def read_export(path: Path) -> tuple[list[Pattern], dict[str, Tally]]:
    """The patterns of an export, oldest versions first (so lineages rebuild), and their counters.

    An export from before counters brings its figures, read as the legacy writer's.
    """
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    patterns = sorted((codec.from_dict(line) for line in lines), key=lambda p: (p.version, p.id))
    return patterns, {str(line["id"]): counters.read(line) for line in lines}
