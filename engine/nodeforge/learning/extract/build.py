"""Building a pattern from mined code: the state of one node's mining and ``add_pattern``.

Every extractor's ``mine_*`` function hands its finds to ``add_pattern``, which generalizes the code
(``generalize.parameterize_literals``), gives it its deterministic id (``pattern_id``), weighs the
evidence and scores its quality on the tree at hand. ``Mining`` holds what one node's extractors
share: the context, the render caches, and what was skipped and why.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from nodeforge.learning.extract import deps
from nodeforge.learning.extract.boilerplate import boilerplate_reason
from nodeforge.learning.extract.context import NodeContext
from nodeforge.learning.extract.evidence import Evidence, leftover_entity_words, placeholder_count
from nodeforge.learning.extract.outcome import FileOutcome
from nodeforge.learning.extract.source import ParsedFile
from nodeforge.learning.generalize import generalize_source, parameterize_literals
from nodeforge.learning.quality import analyze, analyze_tree
from nodeforge.model import Dependency, DependencyKind, Pattern, PatternKind, PatternStatus, Provenance
from nodeforge.naming import split_identifier


@dataclass
class Mining:
    """One node being mined: its context, render caches, the patterns found and what was skipped."""

    ctx: NodeContext
    status: PatternStatus
    learned_at: str
    renames: dict[str, str]
    score_quality: bool = True
    patterns: list[Pattern] = field(default_factory=list)
    outcomes: list[FileOutcome] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # file -> why candidates were dropped
    handler_operations: dict[str, str] = field(default_factory=dict)  # handler class -> operation
    _ids: set[str] = field(default_factory=set)
    _identities: set[str] = field(default_factory=set)
    _general_texts: dict[str, str] = field(default_factory=dict)
    _generalized: dict[int, tuple[cst.CSTNode, str]] = field(default_factory=dict)

    def render(self, node: cst.CSTNode, parsed: ParsedFile) -> str:
        """A node's code with the source node's names generalized; each node is rendered once.

        Many patterns of one node share dependencies (models, imports, helpers), so the cache
        matters. It holds the node itself so that its ``id`` cannot be reused by a later node.
        """
        key = id(node)
        cached = self._generalized.get(key)
        if cached is None or cached[0] is not node:
            cached = (node, generalize_source(parsed.code(node), self.ctx.node.names, self.renames))
            self._generalized[key] = cached
        return cached[1]

    def general(self, text: str) -> str:
        cached = self._general_texts.get(text)
        if cached is None:
            cached = generalize_source(text, self.ctx.node.names, self.renames)
            self._general_texts[text] = cached
        return cached

    def seen(self, kind: PatternKind, identity: str) -> bool:
        """Whether this node already yielded ``identity`` (checked before the costly steps)."""
        key = f"{kind.value}\0{identity}"
        if key in self._identities:
            return True
        self._identities.add(key)
        return False

    def skip(self, parsed: ParsedFile, what: str, reason: str) -> None:
        self.skipped.setdefault(parsed.rel, []).append(f"{what}: {reason}")


def add_definitions(
    mining: Mining,
    parsed: ParsedFile,
    *,
    kind: PatternKind,
    slot: str,
    parts: Sequence[cst.CSTNode],
    summary: str,
    symbol: str = "",
    class_name: str = "",
    follow_siblings: bool = False,
    boilerplate_of: cst.CSTNode | None = None,
) -> None:
    """A pattern made of whole module-level definitions of ``parsed``, with what they need."""
    code = "\n\n\n".join(mining.render(part, parsed).strip() for part in parts) + "\n"
    names = [getattr(getattr(p, "name", None), "value", "") for p in parts]
    add_pattern(
        mining,
        parsed,
        kind=kind,
        slot=slot,
        operation="",
        node=fragment(parts),
        code=code,
        dependencies=deps.collect(mining.ctx, parsed, mining.render, *parts, follow_siblings=follow_siblings),
        symbol=symbol or "+".join(names),
        summary=summary,
        class_name=class_name,
        lines_of=(parts[0], parts[-1]),
        references_of=(tuple(parts), None),
        tested=None,
        boilerplate_of=boilerplate_of,
    )


def fragment(parts: Sequence[cst.CSTNode]) -> cst.Module:
    """Module-level definitions as one module (for the quality walk), without their leading lines."""
    body = [p.with_changes(leading_lines=[]) for p in parts if isinstance(p, cst.ClassDef | cst.FunctionDef)]
    return cst.Module(body=body)


def as_line(node: cst.CSTNode) -> cst.SimpleStatementLine:
    if isinstance(node, cst.SimpleStatementLine):
        return node
    assert isinstance(node, cst.BaseSmallStatement)
    return cst.SimpleStatementLine(body=[node])


def base_name(node: cst.BaseExpression) -> str:
    """``NodeEffect`` for ``NodeEffect`` and for ``nodes.NodeEffect`` (the bound name is what counts)."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else ""


def _generalize_names(dep: Dependency, mining: Mining) -> Dependency:
    """The code is generalized already (``Mining.render``); its name and module path are not."""
    return dataclasses.replace(dep, name=mining.general(dep.name), origin=mining.general(dep.origin))


def add_pattern(
    mining: Mining,
    parsed: ParsedFile,
    *,
    kind: PatternKind,
    slot: str,
    operation: str,
    node: cst.CSTNode,
    code: str,
    dependencies: Iterable[Dependency],
    symbol: str,
    summary: str,
    class_name: str = "",
    identity: str = "",
    lines_of: tuple[cst.CSTNode, cst.CSTNode] | None,
    references_of: tuple[tuple[cst.CSTNode, ...], cst.CSTNode | None] | None,
    tested: bool | None = False,
    extra: dict[str, str] | None = None,
    boilerplate_of: cst.CSTNode | None = None,
    allow_imports: bool = False,
) -> None:
    ctx = mining.ctx
    if not allow_imports:
        reason = boilerplate_reason(boilerplate_of or node)
        if reason:
            mining.skip(parsed, symbol, reason)
            return
    general, parameters = parameterize_literals(code.strip() + "\n")
    # Stable sort on the generalized module path: the order must not depend on the entity's name.
    general_deps = tuple(
        sorted(
            (_generalize_names(dep, mining) for dep in dependencies),
            key=lambda d: (d.kind == DependencyKind.TEST, d.origin),
        )
    )
    pattern_id_ = pattern_id(kind.value, slot, identity or general, general_deps)
    if pattern_id_ in mining._ids:
        return  # the same idiom twice in one node is one pattern of this node
    mining._ids.add(pattern_id_)
    start, end = (parsed.lines(lines_of[0])[0], parsed.lines(lines_of[1])[1]) if lines_of else (0, 0)
    if references_of is not None:
        refs = parsed.references(*references_of[0], within=references_of[1])
        referenced, unresolved = len(refs.module_level) + 1, len(refs.unresolved)
    else:
        referenced, unresolved = 0, 0
    evidence = Evidence(
        replaced=placeholder_count(general),
        leftover=leftover_entity_words(general, ctx.node.names),
        referenced=referenced,
        unresolved=unresolved,
        tested=tested,
        lines=general.count("\n"),
    )
    quality = _quality(node, parsed) if mining.score_quality else 0.0
    details = dict(extra or {})
    if class_name:
        details["class_name"] = mining.general(class_name)
    mining.patterns.append(
        Pattern(
            id=pattern_id_,
            kind=kind,
            node_type=ctx.node.node_type,
            slot=slot,
            operation=operation,
            code=general,
            code_hash=hashlib.sha256(general.encode()).hexdigest()[:16],
            provenance=Provenance(
                path=ctx.repo_rel(parsed.rel),
                symbol=symbol,
                start_line=start,
                end_line=end,
                commit=ctx.commit,
                content_hash=ctx.node.content_hash,
                node_name=ctx.node.name,
            ),
            dependencies=general_deps,
            parameters=parameters,
            identifiers=tuple(sorted({word for word in split_identifier(general) if len(word) > 1})),
            summary=mining.general(summary),
            confidence=evidence.confidence(),
            quality=quality,
            source_nodes=(ctx.node.key,),
            status=mining.status,
            learned_at=mining.learned_at,
            extra=details,
        )
    )


def _quality(node: cst.CSTNode, parsed: ParsedFile) -> float:
    """The quality score of the pattern's own code, on the tree already at hand (no re-parse)."""
    if isinstance(node, cst.Module):
        return round(analyze_tree(node, source=parsed.text).score, 3)
    if isinstance(node, cst.BaseStatement | cst.BaseCompoundStatement):
        return round(analyze_tree(node, source=parsed.text).score, 3)
    return round(analyze(cst.Module(body=[]).code_for_node(node)).score, 3)


def pattern_id(kind: str, slot: str, code: str, dependencies: Iterable[Dependency]) -> str:
    """Deterministic: the same generalized code for the same slot is the same pattern."""
    digest = hashlib.sha256()
    for part in (kind, slot, code, *(f"{d.kind}|{d.origin}|{d.name}|{d.code}" for d in dependencies)):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]
