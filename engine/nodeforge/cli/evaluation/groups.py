"""Held-out nodes in batches where no node uses another: each is checked beside real neighbours.

eval swaps a batch of held-out nodes for their candidates at once (one subprocess per check for
the batch). A node whose real code or real tests import another held-out node would then meet that
node's candidate, not its real code, and fail for a reason that is not its own candidate's; so would
a candidate that imports another node. So nodes that mention each other (in real files, real tests
or candidates) go in different batches: a greedy colouring of the "mentions" graph, which needs one
batch when nodes keep to themselves and a few when they reach into each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence, Set
from pathlib import Path


def _mention_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """A node package's folder name as a dotted-path component: ``nodes.<name>`` or ``<name>.x``."""
    alternatives = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
    if not alternatives:
        return None
    return re.compile(rf"(?<=\.)(?:{alternatives})(?!\w)|(?<![\w.])(?:{alternatives})(?=\.\w)")


def mentioned(files: Iterable[Path], names: Iterable[str]) -> set[str]:
    """Which of ``names`` (node folder names) the Python files mention in a dotted path."""
    pattern = _mention_pattern(names)
    if pattern is None:
        return set()
    found: set[str] = set()
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # unreadable here is unreadable to the interpreter too: it imports nothing
        found.update(match.group(0) for match in pattern.finditer(text))
    return found


def own_files(root: Path, tests: Sequence[Path]) -> list[Path]:
    """A node's own Python files (its folder's, caches aside) and its real test files elsewhere."""
    inside = [p for p in root.rglob("*.py") if "__pycache__" not in p.relative_to(root).parts]
    return sorted({*inside, *(t for t in tests if t.suffix == ".py")})


def references(files: Mapping[str, Sequence[Path]], names: Mapping[str, str]) -> dict[str, set[str]]:
    """For each node (key -> its files), the other nodes (key -> package folder name) they mention."""
    by_name: dict[str, set[str]] = {}
    for key, name in names.items():
        by_name.setdefault(name, set()).add(key)
    return {
        key: {other for name in mentioned(paths, by_name) for other in by_name[name]} - {key}
        for key, paths in files.items()
    }


def independent_batches(keys: Sequence[str], refs: Mapping[str, Set[str]]) -> list[list[str]]:
    """``keys`` in as few batches as greedy colouring finds, none holding two nodes where either
    mentions the other. Most-connected nodes are placed first (Welsh-Powell); order is stable."""
    wanted, position = set(keys), {key: i for i, key in enumerate(keys)}
    linked: dict[str, set[str]] = {key: set() for key in keys}
    for key in keys:
        for other in refs.get(key, set()) & wanted - {key}:
            linked[key].add(other)
            linked[other].add(key)
    batches: list[list[str]] = []
    for key in sorted(keys, key=lambda k: (-len(linked[k]), position[k])):
        batch = next((b for b in batches if not linked[key].intersection(b)), None)
        if batch is None:
            batches.append(batch := [])
        batch.append(key)
    return [sorted(b, key=position.__getitem__) for b in batches]
