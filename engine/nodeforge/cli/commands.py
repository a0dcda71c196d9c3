"""What each ``nodeforge`` subcommand does, once its arguments parsed. Errors propagate to ``cli.main``."""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from nodeforge.cli.output import emit
from nodeforge.cli.progress import Progress
from nodeforge.config import Settings, load_settings
from nodeforge.errors import EXIT_CHECK_FAILED, EXIT_OK, InputError, NodeforgeError, StoreError, UsageError
from nodeforge.gitrepo import git
from nodeforge.model import NodeType, Pattern, PatternKind, PatternQuery
from nodeforge.paths import find_repo_root
from nodeforge.storage.factory import open_configured, open_store
from nodeforge.storage.protocol import PatternStore

if TYPE_CHECKING:
    from nodeforge.generation.generate import GenerateReport


def run(args: argparse.Namespace) -> int:
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "init": cmd_init,
        "learn": cmd_learn,
        "generate": cmd_generate,
        "update": cmd_update,
        "outdated": cmd_update,
        "patterns": cmd_patterns,
        "store": cmd_store,
        "embed": cmd_embed,
        "doctor": cmd_doctor,
        "report": cmd_report,
        "completion": cmd_completion,
        "eval": cmd_eval,
    }
    return handlers[args.command](args)


def _repo(args: argparse.Namespace, *, require_git: bool = True) -> Path:
    """The git work tree to work on. Outside one there is nothing committed to learn from, and
    ``.nodeforge/`` would land in whatever folder the user happened to be in: refuse, and say why."""
    if args.repo is not None and not args.repo.is_dir():
        raise InputError(f"--repo {args.repo}: no such folder")
    start = (args.repo or Path.cwd()).resolve()
    if not require_git:
        return start if args.repo is not None else find_repo_root(start)
    try:
        top = git(start, "rev-parse", "--show-toplevel").strip()
    except (OSError, subprocess.CalledProcessError):
        raise InputError(
            f"{start} is not inside a git repository: nodeforge learns from committed code and keeps "
            "its state next to it (run `git init` first, or pass --repo PATH)"
        ) from None
    return Path(top).resolve() if args.repo is None else start


def _shown(path: Path, repo: Path) -> str:
    """``path`` as the team sees it: relative to the repository, never the author's absolute path."""
    resolved = path.resolve()
    return resolved.relative_to(repo).as_posix() if resolved.is_relative_to(repo) else resolved.name


@contextmanager
def _store(settings: Settings, *, embed: bool = True) -> Iterator[PatternStore]:
    """The configured store; dense embeddings unless asked not to (``--no-embed``, or
    ``NODEFORGE_EMBEDDINGS=0`` forcing sparse retrieval)."""
    dense = embed and settings.dense_embeddings
    with open_configured(settings, embedder="auto" if dense else None) as store:
        yield store


def cmd_learn(args: argparse.Namespace) -> int:
    from nodeforge.learning.learn import LearnOptions, learn, select_nodes
    from nodeforge.learning.mining_pool import available_cores

    if not (
        args.paths or args.all_nodes or args.since or args.commit or args.junit
    ):  # --junit: verdicts only
        raise UsageError(
            "learn needs to know what to learn from: PATH..., --all, --since REV or --commit REV "
            "(e.g. `nodeforge learn --all`)"
        )
    repo = _repo(args)
    settings = load_settings(repo)
    if args.junit is not None:
        _record_junit(repo, args.junit)
    commit = args.commit
    if commit:
        try:
            commit = git(repo, "rev-parse", "--verify", f"{commit}^{{commit}}").strip()
        except subprocess.CalledProcessError:
            raise InputError(f"--commit {args.commit}: not a commit of {repo}") from None
    selected = select_nodes(
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
        run_tests=args.run_tests,
        test_timeout=settings.test_timeout,
        node_paths=settings.node_paths,
        jobs=args.jobs or available_cores(),
    )
    with (
        _store(settings, embed=not args.no_embed) as store,
        Progress("learning", len(selected.nodes), enabled=not args.json) as bar,
    ):
        report = learn(repo, selected.nodes, store, options, progress=bar.advance)
    report.skipped[:0] = [(skip.key, skip.reason) for skip in selected.skipped]
    lines = [report.summary()]
    lines += [f"  tests: {run.node_key}: {run.status}: {run.detail}" for run in report.test_runs]
    lines += [f"  pending: {key} ({report.pending_reasons[key]})" for key in report.pending]
    lines += [f"  skipped: {what}: {why}" for what, why in report.skipped]
    lines += [f"  failed: {f.path}: {f.detail}" for f in report.failed_files]
    emit(args, report, lines)
    return EXIT_OK


def _head(repo: Path) -> str:
    try:
        return git(repo, "rev-parse", "HEAD").strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _record_junit(repo: Path, xml: Path) -> None:
    from nodeforge.learning.nodes import discover
    from nodeforge.learning.verdicts import VerdictBook, verdicts_from_junit
    from nodeforge.paths import state_dir

    if not xml.is_file():
        raise InputError(f"{xml}: no such JUnit report")
    settings = load_settings(repo)
    nodes = discover(repo, [repo / p for p in settings.node_paths])
    VerdictBook(state_dir(repo)).record(verdicts_from_junit(xml, repo, nodes))


def cmd_generate(args: argparse.Namespace) -> int:
    from nodeforge.generation.contract import load_contract
    from nodeforge.generation.generate import GenerateOptions, generate

    contract = load_contract(args.contract)  # a bad contract is named first, wherever it is
    # Generation learns nothing, so it also runs where there is no git (a scratch folder, a template repo).
    repo = _repo(args, require_git=False)
    settings = load_settings(repo)
    out = (args.out or Path.cwd()).resolve()
    options = GenerateOptions(
        out=out,
        dry_run=args.dry_run,
        force=args.force,
        learning=not args.no_learning,
        diff=args.diff,
        verify=not args.no_verify and (find_repo_root(out) / ".git").exists(),
        python=args.python or "",
        verify_timeout=settings.test_timeout,
    )
    # The contract as the team names it: it ends up in every generated file's header.
    source = _shown(args.contract, repo)
    if options.learning:
        with _store(settings) as store:
            report = generate(repo, contract, source, settings, options, store, contract_file=args.contract)
    else:
        report = generate(repo, contract, source, settings, options, None, contract_file=args.contract)
    emit(args, report, _generate_lines(args, report, options.learning, repo))
    verification = report.verification
    return EXIT_CHECK_FAILED if verification is not None and not verification.imports else EXIT_OK


def cmd_update(args: argparse.Namespace) -> int:
    """``update`` and ``outdated`` (``cli.update``); only ``update`` retrieves, so only it embeds."""
    from nodeforge.cli.update import run_outdated, run_update

    repo = _repo(args)
    settings = load_settings(repo)
    with _store(settings, embed=args.command == "update") as store:
        return (run_update if args.command == "update" else run_outdated)(args, repo, settings, store)


def _generate_lines(
    args: argparse.Namespace, report: GenerateReport, learning: bool, repo: Path
) -> list[str]:
    verb = "would write" if args.dry_run else "wrote"
    node_dir = _shown(Path(report.node_dir), repo)
    lines = [f"nodeforge: {verb} {node_dir} ({len(report.files)} files, {report.seconds:.2f} s)"]
    if args.dry_run:
        lines += [f"  {node_dir}/{rel}" for rel in report.files]
    if report.used:
        lines += [
            f"  used pattern {u.id} v{u.version} ({u.kind}, {u.slot}, score {u.score:.3f})"
            for u in report.used
        ]
    else:
        lines.append("  used no learned pattern (template only)" + ("" if learning else ": --no-learning"))
    if learning:
        lines.append(f"  retrieval: {report.retrieval}")
    lines += [f"  needs {label}: met by {where}" for label, where in sorted(report.coverage.items())]
    lines += [f"  note: {note}" for note in report.notes]
    if args.explain:
        lines += ["  detected:"] + [f"    {line}" for line in report.explain_lines()]
    if args.diff:
        lines += report.diff.splitlines() or ["  (no difference from the files on disk)"]
    verification = report.verification
    if verification is not None:
        lines += verification.lines()
    elif report.written:
        why = "--no-verify" if args.no_verify else "not in a git repository"
        lines.append(f"  verify: skipped ({why})")
    return lines


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
    repo = _repo(args)
    settings = load_settings(repo)
    action = args.patterns_command
    with _store(settings, embed=action == "search") as store:
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


def cmd_store(args: argparse.Namespace) -> int:
    repo = _repo(args)
    settings = load_settings(repo)
    if args.store_command == "sync":
        return _sync(args, settings)
    if args.store_command == "rebuild":
        return _rebuild(args, settings)
    with _store(settings) as store:
        info = store.info()
    emit(
        args,
        info,
        [f"{key}: {value}" for key, value in vars(info).items()]
        if hasattr(info, "__dict__")
        else [str(info)],
    )
    return EXIT_OK


def _rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from nodeforge.learning.rebuild import rebuild, restore_counters, saved_counters

    def embedded() -> PatternStore:
        return open_store(settings.repo, collection=settings.collection, embedder=None)

    counters = saved_counters(embedded)  # None: the store does not open, which is what rebuild is for
    if counters and not args.yes:
        raise UsageError(
            f"the store opens fine and holds {len(counters)} pattern(s); rebuilding re-mines them from git "
            "history and keeps their usage and success counters: run `nodeforge store rebuild --yes`"
        )
    report = rebuild(settings, embedded)
    if counters:
        with embedded() as store:
            report.counters_kept = restore_counters(store, counters)
    lines = [report.summary()]
    lines += [f"  failed: {f.path}: {f.detail}" for f in report.learn.failed_files]
    emit(args, report, lines)
    return EXIT_OK


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    from nodeforge.storage.factory import sync

    if not settings.server_url:
        raise InputError("store sync needs a server: set QDRANT_URL or [tool.nodeforge] server_url")
    with (
        open_store(settings.repo, collection=settings.collection, embedder=None) as embedded,
        open_store(
            settings.repo,
            url=settings.server_url,
            api_key=settings.api_key,
            collection=settings.collection,
            embedder=None,
        ) as server,
    ):
        if server.info().backend != "server":
            raise StoreError(f"{settings.server_url} is unreachable; nothing pushed")
        with Progress("syncing", embedded.info().unsynced, enabled=not args.json) as bar:
            pushed = sync(embedded, server, progress=lambda done, total: bar.update(done))
    emit(args, {"pushed": pushed}, [f"nodeforge: pushed {pushed} pattern(s) to {settings.server_url}"])
    return EXIT_OK


def cmd_embed(args: argparse.Namespace) -> int:
    from nodeforge.storage.embeddings import find_embedder

    repo = _repo(args)
    settings = load_settings(repo)
    lookup = find_embedder(settings.placement)
    if lookup.embedder is None:
        raise NodeforgeError(f"embeddings unavailable: {lookup.reason}")
    # Load the model (seconds) before taking the store's lock, so a commit's hook or a generate
    # running meanwhile does not wait for it.
    lookup.embedder.embed(["nodeforge"])
    with (
        open_configured(settings, embedder=lookup.embedder) as store,
        Progress("embedding", store.info().dense_pending, enabled=not args.json) as bar,
    ):
        count = store.embed_pending(progress=lambda done, total: bar.update(done))
    emit(args, {"embedded": count}, [f"nodeforge: embedded {count} pattern(s)"])
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    from nodeforge.cli.doctor import diagnose

    report = diagnose(_repo(args))
    emit(args, report.to_json(), report.lines())
    return EXIT_CHECK_FAILED if report.failed else EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from nodeforge.cli.report import default_title, write_report
    from nodeforge.generation.provenance import generated_nodes

    repo = _repo(args)
    settings = load_settings(repo)
    generated = {node.key: node.patterns for node in generated_nodes(repo)}
    with _store(settings) as store:  # the embedder is only named here, never loaded
        title = args.title or default_title(repo)
        summary = write_report(store, args.html.resolve(), title=title, generated=generated)
    line = (
        f"nodeforge: wrote {summary.path} ({summary.patterns} pattern(s) in {summary.slots} slot(s) "
        f"of {summary.node_types} node type(s), {summary.bytes // 1024} KiB)"
    )
    emit(args, summary, [line])
    return EXIT_OK


def cmd_completion(args: argparse.Namespace) -> int:
    from nodeforge.cli.completion import script
    from nodeforge.cli.parser import build_parser

    print(script(build_parser(), args.shell), end="")
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from nodeforge.cli.setup import set_up

    repo = _repo(args)
    paths = tuple(args.node_paths) if args.node_paths else None
    report = set_up(repo, node_paths=paths, install_hook=not args.no_hook)
    emit(args, report, report.lines())
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from rich.console import Console

    from nodeforge.cli.evaluation.runner import EvalOptions, evaluate
    from nodeforge.cli.evaluation.summary import print_table, to_json
    from nodeforge.learning.mining_pool import available_cores
    from nodeforge.learning.nodes import discover

    if args.folds < 2 or (args.limit is not None and args.limit < args.folds):
        raise InputError("--folds must be at least 2, and --limit at least --folds")
    repo = _repo(args)
    settings = load_settings(repo)
    options = EvalOptions(
        folds=args.folds,
        seed=args.seed,
        limit=args.limit,
        python=args.python or "",
        timeout=args.timeout,
        embed=settings.dense_embeddings,
        no_learning=not args.no_template,
        verify=not args.no_verify,
        jobs=available_cores(),
    )
    total = args.limit or len(discover(repo, list(settings.node_roots)))
    started = time.perf_counter()
    with Progress("eval", total, enabled=not args.json) as bar:

        def phase(what: str) -> None:
            bar.note(f"nodeforge eval: {time.perf_counter() - started:5.0f} s  {what}")

        report = evaluate(repo, settings, options, progress=bar.advance, phase=phase)
    if args.json:
        emit(args, to_json(report), [])
    else:
        print_table(report, Console())
    return EXIT_OK
