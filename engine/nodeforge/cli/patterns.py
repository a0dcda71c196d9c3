"""``nodeforge patterns ...``: list, show, search, stats, prune, restore, export, import, review."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from nodeforge.cli.output import emit
from nodeforge.cli.workspace import repo_of, store_for
from nodeforge.config import load_settings
from nodeforge.errors import EXIT_CHECK_FAILED, EXIT_OK, InputError
from nodeforge.model import NodeType, Pattern, PatternKind, PatternQuery
from nodeforge.storage.protocol import PatternStore

_PATTERN_COLUMNS = ("id", "ver", "kind", "slot", "support", "uses", "success", "status", "learned from")


def success_figure(p: Pattern) -> str:
    """The one success figure of every listing: the Bayesian rate that ranking uses, and its counts."""
    from nodeforge.storage.rank import bayes_success

    return f"{bayes_success(p):.2f} ({p.success_count}/{p.success_count + p.failure_count})"


def _pattern_row(p: Pattern) -> tuple[str, ...]:
    return (
        p.id,
        f"v{p.version}",
        p.kind.value,
        p.slot,
        str(p.support),
        str(p.usage_count),
        success_figure(p),
        p.status.value,
        f"{p.provenance.path}:{p.provenance.start_line} @{p.provenance.commit[:10] or '-'}",
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns under a header, two spaces apart (what `ruff rule --all` style tools print)."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=False)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (headers, *rows)
    ]


def _pattern_line(p: Pattern) -> str:
    return "  ".join(_pattern_row(p))


def _kind(raw: str | None) -> PatternKind | None:
    if raw is None:
        return None
    try:
        return PatternKind(raw)
    except ValueError:
        kinds = ", ".join(k.value for k in PatternKind)
        raise InputError(f"--kind: unknown kind {raw!r}; expected one of {kinds}") from None


def _node_type(raw: str | None) -> NodeType | None:
    if raw is None:
        return None
    try:
        return NodeType.parse(raw)
    except ValueError as error:
        raise InputError(f"--node-type: {error}") from None


def cmd_patterns(args: argparse.Namespace) -> int:
    repo = repo_of(args)
    settings = load_settings(repo)
    action = args.patterns_command
    with store_for(settings, embed=action == "search") as store:
        if action == "list":
            patterns = store.list(kind=_kind(args.kind), node_type=_node_type(args.node_type))
            rows = [_pattern_row(p) for p in patterns]
            emit(args, patterns, table(_PATTERN_COLUMNS, rows) if rows else ["no patterns learned yet"])
        elif action == "show":
            _show(args, store)
        elif action == "search":
            query = PatternQuery(
                text=args.text, node_type=_node_type(args.node_type), kind=_kind(args.kind), limit=args.limit
            )
            result = store.search(query)
            rows = [
                (f"{c.score:.3f}", f"{c.similarity:.2f}", *_pattern_row(c.pattern)) for c in result.patterns
            ]
            lines = [f"retrieval: {result.mode.value}"]
            lines += table(("score", "similarity", *_PATTERN_COLUMNS), rows) if rows else ["no match"]
            emit(args, {"mode": result.mode.value, "results": result.patterns}, lines)
        elif action == "stats":
            _stats(args, store)
        elif action in ("review", "approve", "reject"):
            from nodeforge.cli import review

            return review.run(args, store)
        elif action == "prune":
            _prune(args, store, repo)
        elif action == "restore":
            from nodeforge.cli.undo import restore

            restored, left = restore(store, args.file)
            lines = [f"nodeforge: restored {len(restored)} pattern(s)"]
            lines += [f"  left as it is now (no longer retired, or gone): {i}" for i in left]
            emit(args, {"restored": restored, "left": left}, lines)
        elif action == "export":
            count = store.export_jsonl(args.file)
            emit(args, {"exported": count}, [f"nodeforge: exported {count} pattern(s) to {args.file}"])
        else:
            from nodeforge.cli.importer import import_export

            imported = import_export(
                store,
                args.file,
                trust_counters=args.trust_counters,
                quality_threshold=settings.quality_threshold,
            )
            emit(args, imported, imported.lines())
            return EXIT_CHECK_FAILED if imported.refused else EXIT_OK
    return EXIT_OK


def _prune(args: argparse.Namespace, store: PatternStore, repo: Path) -> None:
    """Retire failing patterns, after writing them as they were to a file ``patterns restore`` reads."""
    from nodeforge.cli.undo import write_undo
    from nodeforge.paths import state_dir

    doomed = store.prune(args.min_success, args.min_uses, True)
    lines = [f"nodeforge: {'would retire' if args.dry_run else 'retired'} {len(doomed)} pattern(s)"]
    if doomed and not args.dry_run:
        undo = write_undo(state_dir(repo), doomed)
        store.prune(args.min_success, args.min_uses, False)
        lines.append(f"  undo with: nodeforge patterns restore {undo}")
    rows = table(_PATTERN_COLUMNS, [_pattern_row(p) for p in doomed]) if doomed else []
    emit(args, doomed, lines + rows)


def _show(args: argparse.Namespace, store: PatternStore) -> None:
    pattern = store.get(args.id)
    if pattern is None:
        raise InputError(f"no pattern with id {args.id!r}")
    history = store.history(args.id) if args.history else []
    lines = [_pattern_line(pattern), "", pattern.code]
    lines += [
        f"# needs ({d.kind}{' in ' + d.origin if d.origin else ''}): {d.name}" for d in pattern.dependencies
    ]
    lines += [f"history: {_pattern_line(old)}" for old in history]
    emit(args, {"pattern": pattern, "history": history}, lines)


def _stats(args: argparse.Namespace, store: PatternStore) -> None:
    from nodeforge.storage.rank import bayes_success

    patterns = store.list()
    rows = [
        {
            "id": p.id,
            "slot": p.slot,
            "kind": p.kind.value,
            "status": p.status.value,
            "support": p.support,
            "uses": p.usage_count,
            "successes": p.success_count,
            "failures": p.failure_count,
            "success_rate": round(bayes_success(p), 3),
        }
        for p in patterns
    ]
    text = [
        (p.id, p.slot, str(p.support), str(p.usage_count), success_figure(p), p.status.value)
        for p in patterns
    ]
    headers = ("id", "slot", "support", "uses", "success", "status")
    emit(args, rows, table(headers, text) if text else ["no patterns learned yet"])
