"""``nodeforge report --html OUT``: the learned patterns as one static, self-contained HTML page.

Patterns are grouped by node type and slot; each shows its code (syntax-highlighted with Pygments'
inline styles, so the page needs no stylesheet or script from anywhere), provenance, support,
usage and success, its earlier versions, and the generated nodes that use it (each generated
node is listed at the end, linked to the patterns it came from). The page renders with Jinja2
and autoescaping on: mined code is data and reaches the page escaped, except the markup Pygments
builds around the code it escaped itself.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2
from markupsafe import Markup

from nodeforge.model import NodeType, Pattern, PatternStatus
from nodeforge.redact import redact
from nodeforge.storage.protocol import LIVE_STATUSES, PatternStore, StoreInfo
from nodeforge.writer import atomic_write_text

_TEMPLATES = jinja2.PackageLoader("nodeforge.templates", "report")
PAGE_TEMPLATE = "catalogue.html.j2"
_COMMIT_CHARS = 10


@dataclass(frozen=True)
class VersionView:
    id: str
    version: int
    status: str
    provenance: str
    learned_at: str


@dataclass(frozen=True)
class DependencyView:
    kind: str
    name: str
    origin: str
    code: Markup


@dataclass(frozen=True)
class PatternView:
    id: str
    version: int
    kind: str
    status: str
    provenance: str  # path:start-end@commit
    symbol: str
    source_nodes: tuple[str, ...]
    support: int
    usage_count: int
    success_count: int
    failure_count: int
    success_rate: str  # "75% (3/4)" or "no verdict yet"
    quality: float
    confidence: float
    learned_at: str
    summary: str
    code: Markup
    dependencies: tuple[DependencyView, ...]
    history: tuple[VersionView, ...]  # earlier (and later) versions of the same slot and symbol
    generated: tuple[tuple[str, str], ...] = ()  # (key, anchor) of each generated node that uses it


@dataclass(frozen=True)
class SlotView:
    slot: str
    anchor: str
    patterns: tuple[PatternView, ...]


@dataclass(frozen=True)
class NodeTypeView:
    node_type: str
    anchor: str
    slots: tuple[SlotView, ...]

    @property
    def pattern_count(self) -> int:
        return sum(len(slot.patterns) for slot in self.slots)


@dataclass(frozen=True)
class GeneratedView:
    """A generated node and the patterns it came from: (id@vN, the pattern's anchor or "" when not live)."""

    node: str
    anchor: str
    patterns: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Catalogue:
    title: str
    generated_at: str
    store: str  # backend and location
    retrieval: str
    counts: tuple[tuple[str, int], ...]  # by status, every status
    node_types: tuple[NodeTypeView, ...]
    highlighted: bool  # Pygments was available
    generated: tuple[GeneratedView, ...] = ()

    @property
    def pattern_count(self) -> int:
        return sum(node_type.pattern_count for node_type in self.node_types)


@dataclass(frozen=True)
class ReportSummary:
    path: Path
    patterns: int
    node_types: int
    slots: int
    bytes: int


def provenance_label(pattern: Pattern) -> str:
    """``path:start-end@commit`` (commit shortened; ``@-`` when not learned from a commit)."""
    where = pattern.provenance
    lines = (
        f"{where.start_line}-{where.end_line}" if where.end_line > where.start_line else f"{where.start_line}"
    )
    return f"{where.path}:{lines}@{where.commit[:_COMMIT_CHARS] or '-'}"


def success_label(pattern: Pattern) -> str:
    verdicts = pattern.success_count + pattern.failure_count
    if verdicts == 0:
        return "no verdict yet"
    return f"{round(100 * pattern.success_count / verdicts)}% ({pattern.success_count}/{verdicts})"


def highlighter() -> _Highlight:
    """Pygments with inline styles when installed (it comes with rich), else escaped plain text."""
    if importlib.util.find_spec("pygments") is None:
        return _Highlight(None)
    from pygments import highlight  # type: ignore[import-untyped]
    from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
    from pygments.lexers import PythonLexer  # type: ignore[import-untyped]

    lexer, formatter = PythonLexer(), HtmlFormatter(noclasses=True, style="friendly")

    def paint(code: str) -> str:
        return str(highlight(code, lexer, formatter))

    return _Highlight(paint)


@dataclass(frozen=True)
class _Highlight:
    paint: Callable[[str], str] | None

    @property
    def available(self) -> bool:
        return self.paint is not None

    def __call__(self, code: str) -> Markup:
        if self.paint is None:
            return Markup('<pre class="plain">{}</pre>').format(code)
        # Pygments escapes the code itself; the markup around it is its own.
        return Markup(self.paint(code))


def build_catalogue(
    store: PatternStore,
    *,
    title: str,
    now: datetime | None = None,
    generated: Mapping[str, Sequence[tuple[str, int]]] | None = None,
) -> Catalogue:
    """Every live pattern of ``store``, grouped by node type then slot, with its history, and the
    generated nodes (``generated``: node key -> the (pattern id, version) pairs it used)."""
    generated = generated or {}
    users: dict[str, list[str]] = {}
    for node, used in sorted(generated.items()):
        for pattern_id, _version in used:
            users.setdefault(pattern_id, []).append(node)
    info = store.info()
    live = store.list(statuses=(*LIVE_STATUSES, PatternStatus.HELD))  # held: shown, marked, not reused
    paint = highlighter()
    by_type: dict[NodeType, dict[str, list[PatternView]]] = {}
    ranked = sorted(live, key=lambda p: (-p.success_count, -p.support, -p.quality, p.id))
    for pattern in ranked:
        view = _pattern_view(pattern, store.history(pattern.id), paint, users.get(pattern.id, []))
        by_type.setdefault(pattern.node_type, {}).setdefault(pattern.slot, []).append(view)
    node_types = tuple(
        NodeTypeView(
            node_type.value,
            _anchor(node_type.value),
            tuple(
                SlotView(slot, _anchor(f"{node_type.value}-{slot}"), tuple(by_type[node_type][slot]))
                for slot in sorted(by_type[node_type])
            ),
        )
        for node_type in NodeType
        if node_type in by_type
    )
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    return Catalogue(
        title=title,
        generated_at=stamp,
        store=f"{info.backend} {info.location} ({info.collection})" if info.collection else info.location,
        retrieval=_retrieval(info),
        counts=tuple((status.value, info.counts.get(status.value, 0)) for status in PatternStatus),
        node_types=node_types,
        highlighted=paint.available,
        generated=_generated_views(generated, {p.id for p in live}),
    )


def _generated_views(
    generated: Mapping[str, Sequence[tuple[str, int]]], shown: set[str]
) -> tuple[GeneratedView, ...]:
    return tuple(
        GeneratedView(
            node,
            generated_anchor(node),
            tuple((f"{i}@v{v}", f"pattern-{i}" if i in shown else "") for i, v in used),
        )
        for node, used in sorted(generated.items())
    )


def generated_anchor(node: str) -> str:
    return "generated-" + _anchor(node)


def _retrieval(info: StoreInfo) -> str:
    if info.dense_available:
        return f"hybrid (sparse + {info.embedder})"
    return "sparse identifiers and filters (embeddings not installed)"


def _pattern_view(
    pattern: Pattern, versions: Sequence[Pattern], paint: _Highlight, generated: Sequence[str]
) -> PatternView:
    return PatternView(
        id=pattern.id,
        version=pattern.version,
        kind=pattern.kind.value,
        status=pattern.status.value,
        provenance=provenance_label(pattern),
        symbol=pattern.provenance.symbol,
        source_nodes=pattern.source_nodes,
        support=pattern.support,
        usage_count=pattern.usage_count,
        success_count=pattern.success_count,
        failure_count=pattern.failure_count,
        success_rate=success_label(pattern),
        quality=pattern.quality,
        confidence=pattern.confidence,
        learned_at=pattern.learned_at,
        summary=pattern.summary.strip(),
        code=paint(pattern.code),
        dependencies=tuple(
            DependencyView(d.kind, d.name, d.origin, paint(d.code)) for d in pattern.dependencies
        ),
        history=tuple(
            VersionView(v.id, v.version, v.status.value, provenance_label(v), v.learned_at)
            for v in versions
            if v.id != pattern.id
        ),
        generated=tuple((node, generated_anchor(node)) for node in generated),
    )


def _anchor(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


def render_html(catalogue: Catalogue) -> str:
    env = jinja2.Environment(
        loader=_TEMPLATES,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(PAGE_TEMPLATE).render(catalogue=catalogue)


def write_report(
    store: PatternStore,
    out: Path,
    *,
    title: str,
    generated: Mapping[str, Sequence[tuple[str, int]]] | None = None,
) -> ReportSummary:
    """Render ``store``'s catalogue to ``out`` (written atomically)."""
    catalogue = build_catalogue(store, title=title, generated=generated)
    page = render_html(catalogue)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, redact(page), shared=True)  # a page to hand around: 0644, not 0600
    return ReportSummary(
        path=out,
        patterns=catalogue.pattern_count,
        node_types=len(catalogue.node_types),
        slots=sum(len(t.slots) for t in catalogue.node_types),
        bytes=len(page.encode("utf-8")),
    )


def default_title(repo: Path) -> str:
    return f"nodeforge patterns of {repo.name}"
