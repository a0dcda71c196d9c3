"""``nodeforge outdated``: which generated nodes came from patterns or templates that have moved on, and why.

A pattern moves on when learning supersedes it with a newer version, when feedback or a person
retires it, when it is held back for review, or when it left the store. Templates move on when
their digest differs from the one the node was generated with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nodeforge.config import Settings
from nodeforge.generation.pristine import load_pristine
from nodeforge.generation.provenance import GeneratedNode, generated_nodes
from nodeforge.generation.render import environment
from nodeforge.generation.templating import templates_digest
from nodeforge.model import Pattern, PatternStatus
from nodeforge.storage.protocol import LIVE_STATUSES, PatternStore

SUPERSEDED, RETIRED, HELD, GONE, TEMPLATES = "superseded", "retired", "held", "gone", "template changed"


@dataclass(frozen=True)
class Reason:
    kind: str  # one of SUPERSEDED, RETIRED, HELD, GONE, TEMPLATES
    pattern: str = ""  # id@vN as the node was generated with it; "" for templates
    detail: str = ""  # e.g. "by 1a2b3c@v3"

    def describe(self) -> str:
        what = f"pattern {self.pattern} {self.kind}" if self.pattern else "templates changed"
        return f"{what} {self.detail}".rstrip()


@dataclass(frozen=True)
class OutdatedNode:
    node: str  # the node's key
    reasons: tuple[Reason, ...]
    updatable: bool  # provenance and the pristine files hold what ``nodeforge update`` needs


def outdated_nodes(repo: Path, settings: Settings, store: PatternStore) -> list[OutdatedNode]:
    """Every generated node still in the repository whose patterns or templates moved on."""
    env = environment((repo / settings.templates_dir) if settings.templates_dir else None)
    digest = templates_digest(env)
    found = []
    for record in generated_nodes(repo):
        if not (repo / record.key).exists():
            continue
        reasons = _pattern_reasons(record, store)
        if record.inputs is not None and record.inputs.templates != digest:
            reasons.append(Reason(TEMPLATES))
        if reasons:
            kept = record.inputs is not None and load_pristine(repo, record.key) is not None
            found.append(OutdatedNode(record.key, tuple(reasons), kept))
    return found


def _pattern_reasons(record: GeneratedNode, store: PatternStore) -> list[Reason]:
    reasons = []
    for pattern_id, version in record.patterns:
        used = f"{pattern_id}@v{version}"
        pattern = store.get(pattern_id)
        if pattern is None:
            reasons.append(Reason(GONE, used, "from the store"))
        elif pattern.status is PatternStatus.SUPERSEDED:
            reasons.append(Reason(SUPERSEDED, used, _successor(store.history(pattern_id))))
        elif pattern.status is PatternStatus.RETIRED:
            reasons.append(Reason(RETIRED, used))
        elif pattern.status is PatternStatus.HELD:
            reasons.append(Reason(HELD, used, "for review"))
    return reasons


def _successor(versions: Sequence[Pattern]) -> str:
    """The newest live version of a lineage (``history`` lists newest first), as ``by id@vN``."""
    live = [p for p in versions if p.status in LIVE_STATUSES]
    return f"by {live[0].id}@v{live[0].version}" if live else "(no live version left)"


def nodes_by_pattern(repo: Path) -> dict[str, list[str]]:
    """Pattern id -> the generated nodes (keys) that used it, for the HTML catalogue."""
    by_pattern: dict[str, list[str]] = {}
    for record in generated_nodes(repo):
        for pattern_id, _version in record.patterns:
            by_pattern.setdefault(pattern_id, []).append(record.key)
    return by_pattern
