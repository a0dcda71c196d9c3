"""Merge the patterns of one idiom shown by several nodes into one pattern with typed holes.

Generalization makes the same idiom in two nodes the same code when they differ only in their
entity's names; the store then counts its support by id. Real nodes differ in more than that (a
retry count, an event name, a type), so before storing, patterns of one kind and slot are
anti-unified (``antiunify``) -- with each other and with the live stored patterns of that kind and
slot. A group that unifies becomes one pattern: its code is the template (holes written
``__hole_<kind>_<n>__``), ``extra["holes"]`` records the code each node had in each hole, and its
support is the number of distinct nodes that show it. Its id is ``pattern_id`` of the template, so
it is as deterministic as any other pattern's; the stored patterns it absorbed are returned so that
learning can mark them superseded.

Only kinds whose code is an idiom of behaviour are merged (operations, validation, error handling,
test shapes, workflows); skeletons, imports and naming schemes have their own identities.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import keyword
import tokenize
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nodeforge.learning.antiunify import (
    HOLES_KEY,
    Template,
    antiunify,
    holes_from_json,
    holes_to_json,
    instantiate,
)
from nodeforge.learning.extract.miner import pattern_id
from nodeforge.model import Pattern, PatternKind, PatternStatus
from nodeforge.naming import split_identifier
from nodeforge.storage.merge import merged_status
from nodeforge.storage.protocol import LIVE_STATUSES, PatternStore

MERGED_KINDS = frozenset(
    {
        PatternKind.OPERATION,
        PatternKind.VALIDATION,
        PatternKind.ERROR_HANDLING,
        PatternKind.TEST_SHAPE,
        PatternKind.WORKFLOW,
    }
)
# The live stored patterns of one kind and slot.
StoredLookup = Callable[[PatternKind, str], Sequence[Pattern]]


@dataclass(frozen=True)
class IdiomMerge:
    patterns: tuple[Pattern, ...]  # what to upsert
    absorbed: tuple[str, ...]  # ids of stored patterns now covered by a merged pattern


@dataclass(frozen=True)
class _Unit:
    pattern: Pattern
    template: Template
    stored: bool


def template_of(pattern: Pattern) -> Template:
    """A pattern as a template: its code and its dependencies' code, its holes, its nodes."""
    parts = (pattern.code, *(d.code for d in pattern.dependencies))
    holes = holes_from_json(pattern.extra.get(HOLES_KEY, ""))
    return Template(parts, holes, tuple(sorted(set(pattern.source_nodes))))


def _alignment(pattern: Pattern) -> tuple[object, ...]:
    """What must be equal before the code is even compared: the same slot and the same needs."""
    deps = tuple((d.kind, d.name, d.origin) for d in pattern.dependencies)
    return (pattern.kind, pattern.node_type, pattern.slot, deps, tuple(p for p, _ in pattern.parameters))


def _skeleton(pattern: Pattern) -> str:
    """Keywords and indentation of the code: fragments that can unify share it (a cheap bucket)."""
    kept: list[str] = []
    for text in (pattern.code, *(d.code for d in pattern.dependencies)):
        try:
            for token in tokenize.generate_tokens(io.StringIO(text).readline):
                if token.type in (tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE):
                    kept.append(tokenize.tok_name[token.type])
                elif token.type == tokenize.NAME and keyword.iskeyword(token.string):
                    kept.append(token.string)
        except (tokenize.TokenError, SyntaxError):
            kept.append(hashlib.sha256(text.encode()).hexdigest())  # compared whole, as text
        kept.append("|")
    return " ".join(kept)


def merge_idioms(patterns: Sequence[Pattern], stored: StoredLookup) -> IdiomMerge:
    """Anti-unify ``patterns`` with each other and with the stored ones (module docstring)."""
    kept: list[Pattern] = [p for p in patterns if p.kind not in MERGED_KINDS]
    batch = [p for p in patterns if p.kind in MERGED_KINDS]
    absorbed: list[str] = []
    buckets = _buckets(_units(batch, stored))
    for key in sorted(buckets, key=repr):
        units = buckets[key]
        if not any(not u.stored for u in units):
            continue  # nothing new to learn here
        for template, cluster in _clusters(units):
            merged = _merge(template, cluster)
            kept.extend(merged)
            written = {m.id for m in merged}
            absorbed.extend(u.pattern.id for u in cluster if u.stored and u.pattern.id not in written)
    return IdiomMerge(tuple(kept), tuple(dict.fromkeys(absorbed)))


def _buckets(units: Sequence[_Unit]) -> dict[tuple[object, ...], list[_Unit]]:
    """Units that may unify, by alignment, then by skeleton. The skeleton (a tokenization) is only
    computed where an alignment has more than one unit: alone, there is nothing to split."""
    aligned: dict[tuple[object, ...], list[_Unit]] = {}
    for unit in units:
        aligned.setdefault(_alignment(unit.pattern), []).append(unit)
    buckets: dict[tuple[object, ...], list[_Unit]] = {}
    for alignment, members in aligned.items():
        if len(members) == 1:
            buckets[(*alignment, "")] = members
            continue
        for unit in members:
            buckets.setdefault((*alignment, _skeleton(unit.pattern)), []).append(unit)
    return buckets


def _units(batch: Sequence[Pattern], stored: StoredLookup) -> list[_Unit]:
    """Batch patterns collapsed by id (the same code from many nodes), then the stored ones."""
    by_id: dict[str, Pattern] = {}
    for pattern in batch:
        earlier = by_id.get(pattern.id)
        if earlier is None:
            by_id[pattern.id] = pattern
        else:
            nodes = tuple(dict.fromkeys((*earlier.source_nodes, *pattern.source_nodes)))
            by_id[pattern.id] = dataclasses.replace(earlier, source_nodes=nodes, support=len(nodes))
    units = [_Unit(p, template_of(p), stored=False) for p in by_id.values()]
    for kind, slot in sorted({(p.kind, p.slot) for p in batch}):
        for pattern in stored(kind, slot):
            if pattern.id not in by_id:
                units.append(_Unit(pattern, template_of(pattern), stored=True))
    return units


def _clusters(units: Sequence[_Unit]) -> list[tuple[Template, list[_Unit]]]:
    """Greedy: stored templates first (their text stays stable), then by id; join the first that fits."""
    ordered = sorted(units, key=lambda u: (not u.stored, -u.template.support, u.pattern.id))
    clusters: list[tuple[Template, list[_Unit]]] = []
    for unit in ordered:
        for index, (template, members) in enumerate(clusters):
            if not _consistent(template, unit.template):
                continue
            joined = antiunify(template, unit.template)
            if joined is not None:
                clusters[index] = (joined, [*members, unit])
                break
        else:
            clusters.append((unit.template, [unit]))
    return clusters


def _consistent(cluster: Template, unit: Template) -> bool:
    """Whether every node in both shows the same code in both: a hole holds one value per node.

    A node learned again with unchanged code joins its stored idiom; two different fragments of
    one node never make one idiom (support counts nodes, and a node would need two values).
    """
    for node in set(cluster.nodes) & set(unit.nodes):
        mine, theirs = cluster.values_of(node), unit.values_of(node)
        pairs = zip(cluster.parts, unit.parts, strict=False)
        if len(cluster.parts) != len(unit.parts) or any(
            instantiate(a, mine) != instantiate(b, theirs) for a, b in pairs
        ):
            return False
    return True


def _merge(template: Template, cluster: Sequence[_Unit]) -> list[Pattern]:
    """The patterns to store for one cluster: itself when alone, else one merged pattern."""
    if len(cluster) == 1:
        return [] if cluster[0].stored else [cluster[0].pattern]
    first = cluster[0].pattern
    parts = template.parts
    deps = tuple(
        dataclasses.replace(dep, code=code) for dep, code in zip(first.dependencies, parts[1:], strict=True)
    )
    code = parts[0]
    members = [u.pattern for u in cluster]
    summaries = {p.summary for p in members}
    status = first.status
    for other in members[1:]:
        status = merged_status(status, other.status)
    extra = dict(first.extra)
    extra[HOLES_KEY] = holes_to_json(template.holes)
    merged = dataclasses.replace(
        first,
        id=pattern_id(first.kind.value, first.slot, code, deps),
        code=code,
        code_hash=hashlib.sha256(code.encode()).hexdigest()[:16],
        dependencies=deps,
        identifiers=tuple(sorted({w for p in members for w in p.identifiers} | _words(code))),
        summary=first.summary if len(summaries) == 1 else "",
        confidence=max(p.confidence for p in members),
        quality=min(p.quality for p in members),
        support=template.support,
        source_nodes=template.nodes,
        usage_count=max(p.usage_count for p in members),
        success_count=max(p.success_count for p in members),
        failure_count=max(p.failure_count for p in members),
        status=status if status != PatternStatus.SUPERSEDED else PatternStatus.UNVERIFIED,
        version=1,
        supersedes="",
        extra=extra,
    )
    return [merged]


def _words(code: str) -> set[str]:
    return {w for w in split_identifier(code) if len(w) > 1 and w != "hole"}


def merge_with_store(patterns: Sequence[Pattern], store: PatternStore) -> IdiomMerge:
    """``merge_idioms`` against ``store``'s live patterns of each kind and slot in ``patterns``."""
    return merge_idioms(patterns, lambda kind, slot: store.list(kind=kind, slot=slot, statuses=LIVE_STATUSES))
