"""Fill a learned template's holes for a new node, or mark them plainly; never with another node's name.

A hole (``antiunify``) records the code each source node had there, generalized: a value that
named its node's entity already holds placeholders (``"__entity__.create.failed"``) and becomes the
new node's names when the code is adapted. For each hole, in this order:

1. values that still carry a word of some source node's folder name the new node does not share
   (``InvoiceLedger`` left over from ``node_invoice_ledger_effect``) are never used;
2. of the rest, the value most nodes show wins (the team's convention); on a tie, one that names
   the entity through placeholders, then the first in sorted order, so generation is deterministic;
3. when no value is left, the hole is marked: a name ``__fill_<kind>_<n>__`` (a type: ``object``
   would hide it, so it is a name too), a string ``"nodeforge: fill string_<n>"``, and the code
   carries a ``# nodeforge: fill`` comment on that line.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable

from nodeforge.learning.antiunify import HOLES_KEY, Hole, HoleKind, holes_from_json, instantiate
from nodeforge.model import Pattern
from nodeforge.naming import PLACEHOLDERS, NodeNames, entity_words, split_identifier

FILL_COMMENT = "# nodeforge: fill"


def holes_of(pattern: Pattern) -> tuple[Hole, ...]:
    return holes_from_json(pattern.extra.get(HOLES_KEY, ""))


def _foreign_words(pattern: Pattern, holes: Iterable[Hole], names: NodeNames) -> frozenset[str]:
    """Words of the source nodes' names (the pattern's and its holes') that are not the new node's."""
    own = set(names.words) | set(getattr(names, "folder_words", ()))
    nodes = {*pattern.source_nodes, *(node for hole in holes for node, _ in hole.values)}
    found: set[str] = set()
    for node in sorted(nodes):
        stem = node.rstrip("/").rsplit("/", 1)[-1].removesuffix(".py")
        try:
            found.update(entity_words(stem))
        except ValueError:
            continue  # a node key without an entity says nothing about names
    return frozenset(found - own)


def _usable(value: str, foreign: frozenset[str]) -> bool:
    return not foreign.intersection(split_identifier(value))


def choose_value(hole: Hole, foreign: frozenset[str]) -> str | None:
    """The value to fill ``hole`` with (module docstring, steps 1-2), or None to mark it."""
    counts = Counter(code for _, code in hole.values if _usable(code, foreign))
    if not counts:
        return None

    def rank(item: tuple[str, int]) -> tuple[int, int, str]:
        code, count = item
        return (-count, 0 if any(p in code for p in PLACEHOLDERS) else 1, code)

    return min(counts.items(), key=rank)[0]


def _label(name: str) -> str:
    """``__hole_string_2__`` -> ``string_2``."""
    return name.strip("_").removeprefix("hole_")


def mark(hole: Hole) -> str:
    label = _label(hole.name)
    if hole.kind == HoleKind.STRING:
        return f'"nodeforge: fill {label}"'
    return f"__fill_{label}__"


def fill_values(pattern: Pattern, names: NodeNames) -> tuple[dict[str, str], tuple[str, ...]]:
    """Hole -> the code to put there, and the holes that could only be marked."""
    holes = holes_of(pattern)
    foreign = _foreign_words(pattern, holes, names)
    values: dict[str, str] = {}
    marked: list[str] = []
    for hole in holes:
        chosen = choose_value(hole, foreign)
        if chosen is None:
            marked.append(hole.name)
            chosen = mark(hole)
        values[hole.name] = chosen
    return values, tuple(marked)


def _comment_marked(code: str, marked: Iterable[str]) -> str:
    """A ``# nodeforge: fill`` comment at the end of each line holding a marked hole."""
    wanted = list(marked)
    if not wanted:
        return code
    pattern = re.compile("|".join(re.escape(name) for name in wanted))
    lines = []
    for line in code.split("\n"):
        found = pattern.findall(line)
        if found and "#" not in line and not line.rstrip().endswith(("\\", '"""', "'''")):
            labels = (_label(name) for name in dict.fromkeys(found))
            lines.append(f"{line}  {FILL_COMMENT} {', '.join(labels)}")
        else:
            lines.append(line)
    return "\n".join(lines)


def fill_holes(pattern: Pattern, names: NodeNames) -> Pattern:
    """``pattern`` with every hole filled for the node named ``names`` (code and dependencies)."""
    if HOLES_KEY not in pattern.extra:
        return pattern
    values, marked = fill_values(pattern, names)

    def fill(text: str) -> str:
        return instantiate(_comment_marked(text, marked), values)

    deps = tuple(dataclasses.replace(d, code=fill(d.code)) for d in pattern.dependencies)
    return dataclasses.replace(pattern, code=fill(pattern.code), dependencies=deps)
