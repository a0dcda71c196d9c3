"""``nodeforge update`` and ``nodeforge outdated``: what they print. The work is ``generation.update``
and ``generation.outdated``; conflicts left in a node make ``update`` a failed check (exit 1)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nodeforge.cli.output import emit
from nodeforge.config import Settings
from nodeforge.errors import EXIT_CHECK_FAILED, EXIT_OK, UsageError
from nodeforge.generation.outdated import OutdatedNode, outdated_nodes
from nodeforge.generation.threeway import FileStatus
from nodeforge.generation.update import (
    NodeUpdate,
    UpdateOptions,
    generated_record,
    refuse_dirty,
    updatable,
    update_node,
)
from nodeforge.storage.protocol import PatternStore


def run_update(args: argparse.Namespace, repo: Path, settings: Settings, store: PatternStore) -> int:
    if bool(args.all) == bool(args.node_dir):
        usage = "usage: nodeforge update [NODE_DIR | --all] [--dry-run] [--diff] [--allow-dirty]\n"
        raise UsageError("name one NODE_DIR, or pass --all (not both)", usage=usage)
    records = updatable(repo) if args.all else [generated_record(repo, args.node_dir)]
    options = UpdateOptions(dry_run=args.dry_run, diff=args.diff, allow_dirty=args.allow_dirty)
    if not options.dry_run and not options.allow_dirty:
        refuse_dirty(repo, records)  # before any node is touched
    updates = [update_node(repo, record, settings, store, options) for record in records]
    emit(args, [_payload(u) for u in updates], _update_lines(updates, options))
    return EXIT_CHECK_FAILED if any(u.conflicts for u in updates) else EXIT_OK


def _payload(update: NodeUpdate) -> dict[str, Any]:
    return {
        "node": update.node,
        "written": update.written,
        "conflicts": update.conflicts,
        "files": [{"path": f.path, "status": f.status.value, "conflicts": f.conflicts} for f in update.files],
        "old_patterns": update.old_patterns,
        "new_patterns": update.new_patterns,
        "templates_changed": update.templates_changed,
        "notes": update.notes,
        "diff": update.diff,
    }


def _update_lines(updates: list[NodeUpdate], options: UpdateOptions) -> list[str]:
    if not updates:
        return ["nodeforge: no generated node to update"]
    lines: list[str] = []
    for update in updates:
        changed = [f for f in update.files if f.status.writes or f.status is FileStatus.REMOVED]
        verb = "would update" if options.dry_run else ("updated" if update.written else "checked")
        summary = f"{len(changed)} file(s) changed, {len(update.conflicts)} with conflicts"
        lines.append(f"nodeforge: {verb} {update.node} ({summary})")
        if update.old_patterns != update.new_patterns:
            lines.append(f"  patterns: {' '.join(update.old_patterns) or 'none'}")
            lines.append(f"        -> {' '.join(update.new_patterns) or 'none'}")
        if update.templates_changed:
            lines.append("  templates changed since it was generated")
        for file in changed:
            extra = f" ({file.conflicts} conflict(s): resolve the markers)" if file.conflicts else ""
            lines.append(f"  {file.status.value} {file.path}{extra}")
        lines += [f"  note: {note}" for note in update.notes]
        if options.diff:
            lines += update.diff.splitlines() or ["  (no difference from the files on disk)"]
    return lines


def run_outdated(args: argparse.Namespace, repo: Path, settings: Settings, store: PatternStore) -> int:
    found = outdated_nodes(repo, settings, store)
    emit(args, [_outdated_payload(node) for node in found], _outdated_lines(found))
    return EXIT_OK


def _outdated_payload(node: OutdatedNode) -> dict[str, Any]:
    return {
        "node": node.node,
        "updatable": node.updatable,
        "reasons": [{"kind": r.kind, "pattern": r.pattern, "detail": r.detail} for r in node.reasons],
    }


def _outdated_lines(found: list[OutdatedNode]) -> list[str]:
    if not found:
        return ["nodeforge: every generated node is up to date"]
    lines = [f"nodeforge: {len(found)} generated node(s) outdated"]
    for node in found:
        how = f"nodeforge update {node.node}" if node.updatable else "generated before update existed"
        lines.append(f"  {node.node} ({how})")
        lines += [f"    {reason.describe()}" for reason in node.reasons]
    return lines
