"""``patterns import``: an export file is one more way to learn, so it passes the same gates.

An export may come from another team, a backup or a hand edit: nothing in it is taken on trust.
Each line is checked on its own (JSON, then the pattern schema); ids and code hashes are
recomputed from the content, so a forged id cannot overwrite another pattern; the quality and
secret gates of ``learn`` run on the code, its dependencies and its parameters. Counters
(uses, successes, failures, support, quality) and status are what our own tests established, so
the file's are ignored unless the caller trusts them (``--trust-counters``): an imported pattern
starts unverified with no history. A status that only demotes (superseded, retired) is kept, as
honouring it can never promote a pattern.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nodeforge import defaults
from nodeforge.errors import InputError
from nodeforge.learning.extract.miner import pattern_id
from nodeforge.learning.learn import LearnOptions, LearnReport, gate_patterns
from nodeforge.model import Pattern, PatternStatus
from nodeforge.storage import codec
from nodeforge.storage.protocol import PatternStore

_DEMOTING = frozenset({PatternStatus.SUPERSEDED, PatternStatus.RETIRED})


@dataclass
class ImportReport:
    """What an import did: counts, and every refused line with its reason (no values shown)."""

    inserted: int = 0
    merged: int = 0
    refused: list[str] = field(default_factory=list)  # "line N: why"
    renamed: int = 0  # lines whose id did not match their content

    def lines(self) -> list[str]:
        head = f"nodeforge: imported {self.inserted} new, merged {self.merged}, refused {len(self.refused)}"
        notes = [f"  note: {self.renamed} id(s) recomputed from content"] if self.renamed else []
        return [head, *notes, *(f"  refused: {why}" for why in self.refused)]


def import_export(
    store: PatternStore,
    path: Path,
    *,
    trust_counters: bool = False,
    quality_threshold: float = defaults.QUALITY_THRESHOLD,
) -> ImportReport:
    """Read ``path`` line by line, gate each pattern like learned code, upsert what passes."""
    report = ImportReport()
    candidates: list[tuple[int, Pattern]] = []
    for number, parsed in _read_lines(path):
        if isinstance(parsed, str):
            report.refused.append(f"line {number}: {parsed}")
            continue
        pattern = _recomputed(parsed, trust_counters=trust_counters)
        report.renamed += pattern.id != parsed.id
        candidates.append((number, pattern))
    learn_report = LearnReport()
    options = LearnOptions(quality_threshold=quality_threshold)
    kept = gate_patterns((p for _, p in candidates), options, learn_report)
    kept_ids = {p.id for p in kept}
    # gate_patterns decides each id once, in order, and says why once per refused id
    refused_ids = list(dict.fromkeys(p.id for _, p in candidates if p.id not in kept_ids))
    why_refused = dict(zip(refused_ids, (str(why) for _, why in learn_report.skipped), strict=False))
    report.refused += [
        f"line {number}: {why_refused.get(pattern.id, 'refused by the gates')}"
        for number, pattern in candidates
        if pattern.id not in kept_ids
    ]
    report.refused.sort(key=lambda line: int(line.split()[1].rstrip(":")))
    kept.sort(key=lambda p: (p.version, p.id))  # oldest versions first, so lineages rebuild
    upserted = store.upsert(kept, embed=False) if kept else None
    if upserted is not None:
        report.inserted, report.merged = len(upserted.inserted), len(upserted.merged)
    return report


def _read_lines(path: Path) -> Iterator[tuple[int, Pattern | str]]:
    """``(line number, pattern)`` or ``(line number, why it is not one)`` for each non-blank line."""
    if not path.is_file():
        raise InputError(f"{path}: no such export file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not a UTF-8 JSON-lines export ({error.reason})") from None
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield number, _parse(line)


def _parse(line: str) -> Pattern | str:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        return f"not JSON ({error.msg} at column {error.colno})"
    if not isinstance(data, dict):
        return f"not a pattern object (a JSON {type(data).__name__})"
    try:
        pattern = codec.from_dict(data)
    except KeyError as error:
        return f"missing field {error.args[0]!r}"
    except (ValueError, TypeError, AttributeError) as error:
        return f"malformed pattern ({type(error).__name__}: {str(error)[:120]})"
    return _schema_problem(pattern) or pattern


def _schema_problem(pattern: Pattern) -> str:
    if not pattern.code.strip():
        return "empty code"
    if not pattern.slot:
        return "empty slot"
    numbers = (pattern.usage_count, pattern.success_count, pattern.failure_count, pattern.support)
    if min(numbers) < 0 or pattern.version < 1:
        return "negative counters or a version below 1"
    if not (0.0 <= pattern.quality <= 1.0 and 0.0 <= pattern.confidence <= 1.0):
        return "quality and confidence must lie in [0, 1]"
    return ""


def _recomputed(pattern: Pattern, *, trust_counters: bool) -> Pattern:
    """The pattern with its id and hash from its content, and (unless trusted) no borrowed history."""
    same = dataclasses.replace(
        pattern,
        id=pattern_id(pattern.kind.value, pattern.slot, pattern.code, pattern.dependencies),
        code_hash=hashlib.sha256(pattern.code.encode()).hexdigest()[:16],
        quality=0.0,  # always scored again: 0 makes the quality gate analyze the code itself
    )
    if trust_counters:
        return same
    return dataclasses.replace(
        same,
        support=1,
        usage_count=0,
        success_count=0,
        failure_count=0,
        status=pattern.status if pattern.status in _DEMOTING else PatternStatus.UNVERIFIED,
    )
