"""Extractor confidence from evidence, not constants.

Support (how many nodes show a pattern) is counted by the store. At extraction the evidence is:

* **generalization** (weight 0.35): the fraction of the source entity's mentions that became
  placeholders; entity words left in the code (``username`` in a ``user`` node, ``profile``
  alone in a ``user_profile`` node) mean the code would not adapt cleanly to a new node;
* **completeness** (0.30): the fraction of names the code reads that resolve (to its dependencies,
  its function's locals, or builtins); an unresolved name is a hole in what generation can rebuild;
* **tests** (0.15, where it applies): whether the code has a node-local test that exercises it;
* **size** (0.20): a one-liner says little and a 150-line body is rarely copied whole; 3 to 60
  lines is the useful range.

Components that do not apply to a kind are left out and the rest re-weighted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nodeforge.naming import PLACEHOLDERS, NodeNames

_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in sorted(PLACEHOLDERS, key=len, reverse=True)))


@dataclass(frozen=True)
class Evidence:
    replaced: int  # entity placeholders in the generalized code
    leftover: int  # entity words still in it
    referenced: int  # names read that resolve
    unresolved: int  # names read that resolve nowhere
    tested: bool | None  # None: tests do not apply to this kind
    lines: int

    @property
    def generalization(self) -> float:
        total = self.replaced + self.leftover
        return 1.0 if total == 0 else self.replaced / total

    @property
    def completeness(self) -> float:
        total = self.referenced + self.unresolved
        return 1.0 if total == 0 else self.referenced / total

    @property
    def size(self) -> float:
        if self.lines <= 1:
            return 0.5
        if self.lines == 2:
            return 0.7
        if self.lines <= 60:
            return 1.0
        return 0.85 if self.lines <= 150 else 0.7

    def confidence(self) -> float:
        parts = [(0.35, self.generalization), (0.30, self.completeness), (0.20, self.size)]
        if self.tested is not None:
            parts.append((0.15, 1.0 if self.tested else 0.0))
        weight = sum(w for w, _ in parts)
        return round(sum(w * v for w, v in parts) / weight, 3)


def leftover_entity_words(code: str, names: NodeNames) -> int:
    """Entity words (3+ letters) still in generalized ``code``, case-insensitively."""
    text = _PLACEHOLDER.sub(" ", code).lower()
    count = 0
    for word in set(names.words):
        if len(word) >= 3:
            count += text.count(word)
    return count


def placeholder_count(code: str) -> int:
    return len(_PLACEHOLDER.findall(code))
