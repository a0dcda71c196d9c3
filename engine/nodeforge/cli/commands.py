"""What each ``nodeforge`` subcommand does, once its arguments parsed. Errors propagate to ``cli.main``."""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from nodeforge.cli.generating import cmd_generate
from nodeforge.cli.output import emit
from nodeforge.cli.patterns import cmd_patterns
from nodeforge.cli.progress import Progress
from nodeforge.cli.store import cmd_embed, cmd_store
from nodeforge.cli.workspace import head_commit, repo_of, store_for
from nodeforge.config import load_settings
from nodeforge.errors import EXIT_CHECK_FAILED, EXIT_OK, InputError, UsageError
from nodeforge.gitrepo import git


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
    repo = repo_of(args)
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
    head = commit or head_commit(repo)
    options = LearnOptions(
        test_gate=not args.no_test_gate,
        quality_threshold=settings.quality_threshold,
        reviewed_calls=settings.reviewed_calls,
        force=args.force,
        embed=not args.no_embed,
        commit=head,
        run_tests=args.run_tests,
        test_timeout=settings.test_timeout,
        node_paths=settings.node_paths,
        jobs=args.jobs or available_cores(),
    )
    with (
        store_for(settings, embed=not args.no_embed) as store,
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


def cmd_update(args: argparse.Namespace) -> int:
    """``update`` and ``outdated`` (``cli.update``); only ``update`` retrieves, so only it embeds."""
    from nodeforge.cli.update import run_outdated, run_update

    repo = repo_of(args)
    settings = load_settings(repo)
    with store_for(settings, embed=args.command == "update") as store:
        return (run_update if args.command == "update" else run_outdated)(args, repo, settings, store)


def _record_junit(repo: Path, xml: Path) -> None:
    from nodeforge.learning.nodes import discover
    from nodeforge.learning.verdicts import VerdictBook, verdicts_from_junit
    from nodeforge.paths import state_dir

    if not xml.is_file():
        raise InputError(f"{xml}: no such JUnit report")
    settings = load_settings(repo)
    nodes = discover(repo, [repo / p for p in settings.node_paths])
    VerdictBook(state_dir(repo)).record(verdicts_from_junit(xml, repo, nodes))


def cmd_doctor(args: argparse.Namespace) -> int:
    from nodeforge.cli.doctor import diagnose

    report = diagnose(repo_of(args))
    emit(args, report.to_json(), report.lines())
    return EXIT_CHECK_FAILED if report.failed else EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from nodeforge.cli.report import default_title, write_report
    from nodeforge.generation.provenance import generated_nodes

    repo = repo_of(args)
    settings = load_settings(repo)
    generated = {node.key: node.patterns for node in generated_nodes(repo)}
    with store_for(settings) as store:  # the embedder is only named here, never loaded
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

    repo = repo_of(args)
    paths = tuple(args.node_paths) if args.node_paths else None
    report = set_up(repo, node_paths=paths, install_hook=not args.no_hook)
    emit(args, report, report.lines())
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from rich.console import Console

    from nodeforge.cli.evaluation.runner import evaluate
    from nodeforge.cli.evaluation.scores import EvalOptions
    from nodeforge.cli.evaluation.summary import print_table, to_json
    from nodeforge.learning.mining_pool import available_cores
    from nodeforge.learning.nodes import discover

    if args.folds < 2 or (args.limit is not None and args.limit < args.folds):
        raise InputError("--folds must be at least 2, and --limit at least --folds")
    repo = repo_of(args)
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
