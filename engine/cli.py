"""The ``nodeforge`` command: parse arguments, call the engine, map errors to exit codes (here only)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nodeforge.errors import EXIT_BAD_INPUT, EXIT_OK, InputError, NodeforgeError


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repo", type=Path, default=None, help="repository root (default: the git work tree of .)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")


if TYPE_CHECKING:  # argparse does not export the type of add_subparsers()' result
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nodeforge")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nodeforge", description="Learn proven idioms from committed, test-passing nodes; reuse them."
    )
    parser.add_argument("--version", action="version", version=f"nodeforge {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (
        _learn_parser,
        _generate_parser,
        _patterns_parser,
        _store_parser,
        _embed_parser,
        _doctor_parser,
        _report_parser,
    ):
        add(sub)
    return parser


def _learn_parser(sub: Subparsers) -> None:
    learn = sub.add_parser("learn", help="learn patterns from committed, test-passing nodes")
    _add_common(learn)
    learn.add_argument("paths", nargs="*", type=Path, help="node folders or files to learn from")
    learn.add_argument("--all", action="store_true", dest="all_nodes", help="every node under node_paths")
    learn.add_argument("--since", default="", metavar="REV", help="nodes changed since REV (CI)")
    learn.add_argument("--commit", default="", metavar="REV", help="nodes touched by one commit (the hook)")
    learn.add_argument(
        "--no-test-gate", action="store_true", help="learn without verdicts (marked unverified)"
    )
    learn.add_argument(
        "--junit", type=Path, default=None, help="record verdicts from a JUnit XML report first"
    )
    learn.add_argument("--force", action="store_true", help="re-learn nodes already learned at this content")
    learn.add_argument("--no-embed", action="store_true", help="store sparse vectors now, dense ones later")
    learn.add_argument(
        "--run-tests",
        action="store_true",
        help="run a pending node's tests (pytest --nodeforge, bounded by test_timeout), then learn it",
    )


def _generate_parser(sub: Subparsers) -> None:
    generate = sub.add_parser("generate", help="generate a node from a contract")
    _add_common(generate)
    generate.add_argument("contract", type=Path)
    generate.add_argument("--out", type=Path, default=None, help="folder to write the node into (default: .)")
    generate.add_argument("--dry-run", action="store_true")
    generate.add_argument("--force", action="store_true", help="overwrite an existing node folder")
    generate.add_argument("--no-learning", action="store_true", help="templates only, no learned patterns")
    generate.add_argument("--explain", action="store_true", help="show detections and their evidence")


def _patterns_parser(sub: Subparsers) -> None:
    patterns = sub.add_parser("patterns", help="inspect learned patterns")
    psub = patterns.add_subparsers(dest="patterns_command", required=True)
    plist = psub.add_parser("list")
    _add_common(plist)
    plist.add_argument("--kind", default=None)
    plist.add_argument("--node-type", default=None)
    pshow = psub.add_parser("show")
    _add_common(pshow)
    pshow.add_argument("id")
    pshow.add_argument("--history", action="store_true")
    psearch = psub.add_parser("search", help="hybrid search over learned patterns")
    _add_common(psearch)
    psearch.add_argument("text")
    psearch.add_argument("--node-type", default=None)
    psearch.add_argument("--kind", default=None)
    psearch.add_argument("--limit", type=int, default=5)
    pstats = psub.add_parser("stats", help="usage, success and support per pattern")
    _add_common(pstats)
    pprune = psub.add_parser("prune", help="retire patterns that keep failing")
    _add_common(pprune)
    pprune.add_argument("--min-success", type=float, default=0.3, help="Bayesian success rate to keep")
    pprune.add_argument("--min-uses", type=int, default=3, help="outcomes needed before judging")
    pprune.add_argument("--dry-run", action="store_true")
    pexport = psub.add_parser("export", help="write every pattern to a JSON-lines file")
    _add_common(pexport)
    pexport.add_argument("file", type=Path)
    pimport = psub.add_parser("import", help="read patterns from a JSON-lines export")
    _add_common(pimport)
    pimport.add_argument("file", type=Path)


def _store_parser(sub: Subparsers) -> None:
    store = sub.add_parser("store", help="the pattern store")
    ssub = store.add_subparsers(dest="store_command", required=True)
    sinfo = ssub.add_parser("info")
    _add_common(sinfo)
    ssync = ssub.add_parser("sync", help="push patterns learned while the server was unreachable")
    _add_common(ssync)
    srebuild = ssub.add_parser(
        "rebuild", help="re-mine the embedded store from git history (after corruption)"
    )
    _add_common(srebuild)


def _embed_parser(sub: Subparsers) -> None:
    embed = sub.add_parser("embed", help="compute dense vectors")
    _add_common(embed)
    embed.add_argument("--pending", action="store_true", required=True)


def _doctor_parser(sub: Subparsers) -> None:
    doctor = sub.add_parser(
        "doctor", help="check the setup: store, server, embeddings, pending verdicts, sync, hook"
    )
    _add_common(doctor)


def _report_parser(sub: Subparsers) -> None:
    report = sub.add_parser("report", help="write the learned patterns as a static HTML catalogue")
    _add_common(report)
    report.add_argument("--html", type=Path, required=True, metavar="OUT", help="the page to write")
    report.add_argument("--title", default=None, help="the page title (default: names the repository)")


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def emit(args: argparse.Namespace, payload: Any, text: Sequence[str]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(_jsonable(payload), indent=2, sort_keys=True, default=str))
    else:
        for line in text:
            print(line)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) and EXIT_BAD_INPUT
    from nodeforge import commands  # heavy imports only once the arguments are good

    try:
        return commands.run(args)
    except NodeforgeError as error:
        print(f"nodeforge: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("nodeforge: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `nodeforge ... --json | head`: the reader left; say nothing more, as cat and grep do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


__all__ = ["EXIT_OK", "InputError", "build_parser", "emit", "main"]
