"""What each ``nodeforge`` subcommand does, once its arguments parsed. Errors propagate to ``cli.main``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from nodeforge.cli import emit
from nodeforge.config import Settings, load_settings
from nodeforge.errors import EXIT_CHECK_FAILED, EXIT_OK, InputError
from nodeforge.model import NodeType, Pattern, PatternKind
from nodeforge.paths import find_repo_root, git
from nodeforge.progress import Progress
from nodeforge.store.factory import open_store
from nodeforge.store.protocol import PatternStore


def run(args: argparse.Namespace) -> int:
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "learn": cmd_learn,
        "generate": cmd_generate,
        "patterns": cmd_patterns,
        "store": cmd_store,
        "embed": cmd_embed,
    }
    return handlers[args.command](args)


def _repo(args: argparse.Namespace) -> Path:
    return (args.repo or find_repo_root()).resolve()


@contextmanager
def _store(settings: Settings, *, embed: bool = True) -> Iterator[PatternStore]:
    with open_store(
        settings.repo,
        url=settings.server_url,
        api_key=settings.api_key,
        collection=settings.collection,
        embedder="auto" if embed else None,
    ) as store:
        yield store


def cmd_learn(args: argparse.Namespace) -> int:
    from nodeforge.learn import LearnOptions, learn, select_nodes

    repo = _repo(args)
    settings = load_settings(repo)
    if args.junit is not None:
        _record_junit(repo, args.junit)
    commit = args.commit
    if commit:
        commit = git(repo, "rev-parse", commit).strip()
    nodes = select_nodes(
        repo,
        paths=args.paths,
        all_nodes=args.all_nodes,
        since=args.since,
        commit=commit,
        node_paths=settings.node_paths,
    )
    head = commit or _head(repo)
    options = LearnOptions(
        test_gate=not args.no_test_gate,
        quality_threshold=settings.quality_threshold,
        force=args.force,
        embed=not args.no_embed,
        commit=head,
    )
    with (
        _store(settings, embed=not args.no_embed) as store,
        Progress("learning", len(nodes), enabled=not args.json) as bar,
    ):
        report = learn(repo, nodes, store, options, progress=bar.advance)
    lines = [report.summary()]
    lines += [f"  pending: {key} (no passing verdict for its current content)" for key in report.pending]
    lines += [f"  skipped: {what}: {why}" for what, why in report.skipped]
    lines += [f"  failed: {f.path}: {f.detail}" for f in report.failed_files]
    emit(args, report, lines)
    return EXIT_OK


def _head(repo: Path) -> str:
    try:
        return git(repo, "rev-parse", "HEAD").strip()
    except (OSError, __import__("subprocess").CalledProcessError):
        return ""


def _record_junit(repo: Path, xml: Path) -> None:
    from nodeforge.nodes import discover
    from nodeforge.paths import state_dir
    from nodeforge.verdicts import VerdictBook, verdicts_from_junit

    if not xml.is_file():
        raise InputError(f"{xml}: no such JUnit report")
    settings = load_settings(repo)
    nodes = discover(repo, [repo / p for p in settings.node_paths])
    VerdictBook(state_dir(repo)).record(verdicts_from_junit(xml, repo, nodes))


def cmd_generate(args: argparse.Namespace) -> int:
    from nodeforge.contract import load_contract
    from nodeforge.generate import GenerateOptions, generate

    repo = _repo(args)
    settings = load_settings(repo)
    contract = load_contract(args.contract)
    options = GenerateOptions(
        out=(args.out or Path.cwd()).resolve(),
        dry_run=args.dry_run,
        force=args.force,
        learning=not args.no_learning,
    )
    if options.learning:
        with _store(settings) as store:
            report = generate(repo, contract, str(args.contract), settings, options, store)
    else:
        report = generate(repo, contract, str(args.contract), settings, options, None)
    verb = "would write" if args.dry_run else "wrote"
    lines = [f"nodeforge: {verb} {report.node_dir} ({len(report.files)} files, {report.seconds:.2f} s)"]
    if report.used:
        lines += [
            f"  used pattern {u.id} v{u.version} ({u.kind}, {u.slot}, score {u.score:.3f})"
            for u in report.used
        ]
    else:
        lines.append(
            "  used no learned pattern (template only)" + ("" if options.learning else ": --no-learning")
        )
    if options.learning:
        lines.append(f"  retrieval: {report.retrieval}")
    lines += [f"  note: {note}" for note in report.notes]
    if args.explain:
        lines += ["  detected:"] + [f"    {line}" for line in report.explain_lines()]
    emit(args, report, lines)
    return EXIT_OK


def _pattern_line(p: Pattern) -> str:
    rate = f"{p.success_count}/{p.success_count + p.failure_count}"
    return (
        f"{p.id}  v{p.version}  {p.kind.value:<15} {p.slot:<28} "
        f"support {p.support:<3} uses {p.usage_count:<3} "
        f"success {rate:<6} {p.status.value:<10} {p.provenance.path}:{p.provenance.start_line} "
        f"@{p.provenance.commit[:10] or '-'}"
    )


def cmd_patterns(args: argparse.Namespace) -> int:
    repo = _repo(args)
    settings = load_settings(repo)
    with _store(settings, embed=False) as store:
        if args.patterns_command == "list":
            kind = PatternKind(args.kind) if args.kind else None
            node_type = NodeType.parse(args.node_type) if args.node_type else None
            patterns = store.list(kind=kind, node_type=node_type)
            emit(args, patterns, [_pattern_line(p) for p in patterns] or ["no patterns learned yet"])
            return EXIT_OK
        pattern = store.get(args.id)
        if pattern is None:
            raise InputError(f"no pattern with id {args.id!r}")
        history = store.history(args.id) if args.history else []
        lines = [_pattern_line(pattern), "", pattern.code]
        lines += [
            f"# needs ({d.kind}{' in ' + d.origin if d.origin else ''}): {d.name}"
            for d in pattern.dependencies
        ]
        lines += [f"history: {_pattern_line(old)}" for old in history]
        emit(args, {"pattern": pattern, "history": history}, lines)
        return EXIT_OK


def cmd_store(args: argparse.Namespace) -> int:
    repo = _repo(args)
    settings = load_settings(repo)
    with _store(settings, embed=False) as store:
        info = store.info()
    emit(
        args,
        info,
        [f"{key}: {value}" for key, value in vars(info).items()]
        if hasattr(info, "__dict__")
        else [str(info)],
    )
    return EXIT_OK


def cmd_embed(args: argparse.Namespace) -> int:
    repo = _repo(args)
    settings = load_settings(repo)
    with _store(settings) as store:
        info = store.info()
        if not info.dense_available:
            print(
                "nodeforge: embeddings are not installed (pip install 'nodeforge[embeddings]')",
                file=sys.stderr,
            )
            return EXIT_CHECK_FAILED
        with Progress("embedding", info.dense_pending, enabled=not args.json) as bar:
            count = store.embed_pending(progress=lambda done, total: bar.update(done))
    emit(args, {"embedded": count}, [f"nodeforge: embedded {count} pattern(s)"])
    return EXIT_OK
