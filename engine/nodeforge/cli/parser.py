"""The ``nodeforge`` argument parser: every subcommand, its help, examples and options.

Adding a command is one registration: a ``_name_parser(sub)`` function below, listed in
``build_parser``, built with ``_command`` (help, examples, ``--repo`` and ``--json``), and its
handler in the table of ``commands.run``. Kept apart from ``cli`` so ``commands`` (shell completion
reads the parser) never imports the module that dispatches to it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from nodeforge.cli.argtypes import at_least_one, fraction
from nodeforge.errors import UsageError


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``main`` reports usage errors like any other."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, usage=self.format_usage())


if TYPE_CHECKING:  # argparse does not export the type of add_subparsers()' result
    Subparsers = argparse._SubParsersAction[_Parser]


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repo",
        type=Path,
        default=None,
        metavar="PATH",
        help="the git repository to work on (default: the one holding the current folder)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout (errors too)")


def _command(sub: Subparsers, name: str, summary: str, *examples: str, common: bool = True) -> _Parser:
    """A subcommand with its one-line help, its examples under ``--help``, and the common options."""
    epilog = "examples:\n" + "\n".join(f"  {example}" for example in examples)
    parser = sub.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if common:
        _add_common(parser)
    return parser


def _group(sub: Subparsers, name: str, summary: str, dest: str) -> Subparsers:
    parser = sub.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".")
    return parser.add_subparsers(dest=dest, required=True, metavar="COMMAND", parser_class=_Parser)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nodeforge")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def build_parser() -> _Parser:
    parser = _Parser(
        prog="nodeforge",
        description="Learn proven idioms from committed, test-passing nodes; reuse them.",
        epilog="Run `nodeforge COMMAND --help` for a command's options and examples. "
        "Exit codes: 0 ok, 1 a check failed, 2 bad input or usage.",
    )
    parser.add_argument("--version", action="version", version=f"nodeforge {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for add in (
        _init_parser,
        _learn_parser,
        _generate_parser,
        _update_parser,
        _outdated_parser,
        _patterns_parser,
        _store_parser,
        _embed_parser,
        _doctor_parser,
        _report_parser,
        _completion_parser,
        _eval_parser,
    ):
        add(sub)
    return parser


def _init_parser(sub: Subparsers) -> None:
    init = _command(
        sub,
        "init",
        "set nodeforge up in a repository: [tool.nodeforge], the pre-commit entry, the hook",
        "nodeforge init",
        "nodeforge init --node-path src/myteam/nodes --no-hook",
    )
    init.add_argument(
        "--node-path",
        action="append",
        default=None,
        dest="node_paths",
        metavar="DIR",
        help="a folder of node_* folders (repeatable; default: every folder found holding node_* folders)",
    )
    init.add_argument(
        "--no-hook", action="store_true", help="write the configuration only; do not run pre-commit install"
    )


def _learn_parser(sub: Subparsers) -> None:
    learn = _command(
        sub,
        "learn",
        "learn patterns from committed, test-passing nodes",
        "nodeforge learn --all",
        "nodeforge learn src/myteam/nodes/node_order_effect",
        "nodeforge learn --since origin/main --junit report.xml",
    )
    learn.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="node folders or files to learn from"
    )
    learn.add_argument("--all", action="store_true", dest="all_nodes", help="every node under node_paths")
    learn.add_argument("--since", default="", metavar="REV", help="the nodes changed since REV (CI)")
    learn.add_argument("--commit", default="", metavar="REV", help="the nodes one commit touched (the hook)")
    learn.add_argument(
        "--no-test-gate", action="store_true", help="learn without verdicts (patterns marked unverified)"
    )
    learn.add_argument(
        "--junit",
        type=Path,
        default=None,
        metavar="XML",
        help="record verdicts from a JUnit XML report first",
    )
    learn.add_argument("--force", action="store_true", help="re-learn nodes already learned at this content")
    learn.add_argument(
        "-j",
        "--jobs",
        type=at_least_one,
        default=None,
        metavar="N",
        help="mine on N processes (default: the cores available)",
    )
    learn.add_argument("--no-embed", action="store_true", help="store sparse vectors now, dense ones later")
    learn.add_argument(
        "--run-tests",
        action="store_true",
        help="run a pending node's tests (pytest --nodeforge, bounded by test_timeout), then learn it",
    )


def _generate_parser(sub: Subparsers) -> None:
    generate = _command(
        sub,
        "generate",
        "generate a node from a contract",
        "nodeforge generate contracts/node_order_effect.yaml --out src/myteam/nodes --explain",
        "nodeforge generate contracts/node_order_effect.yaml --out src/myteam/nodes --dry-run --diff",
    )
    generate.add_argument("contract", type=Path, metavar="CONTRACT", help="the node's contract (YAML)")
    generate.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="folder to write the node into (default: .)"
    )
    generate.add_argument(
        "--dry-run", action="store_true", help="write nothing; list the files it would write"
    )
    generate.add_argument(
        "--diff", action="store_true", help="show a unified diff against the files already on disk"
    )
    generate.add_argument("--force", action="store_true", help="overwrite an existing node folder")
    generate.add_argument("--no-learning", action="store_true", help="templates only, no learned patterns")
    generate.add_argument("--explain", action="store_true", help="show detections and their evidence")
    generate.add_argument(
        "--no-verify",
        action="store_true",
        help="skip importing the node and running its tests with the repository's interpreter "
        "(done by default inside a git repository)",
    )
    generate.add_argument(
        "--python",
        default=None,
        help="the repository's interpreter (default: [tool.nodeforge] python, its .venv)",
    )


def _update_parser(sub: Subparsers) -> None:
    update = _command(
        sub,
        "update",
        "bring generated nodes forward: merge what generation gives now into your edited files",
        "nodeforge update src/myteam/nodes/node_order_effect --dry-run --diff",
        "nodeforge update --all",
    )
    update.add_argument(
        "node_dir", type=Path, nargs="?", default=None, metavar="NODE_DIR", help="a generated node's folder"
    )
    update.add_argument("--all", action="store_true", help="every generated node of the repository")
    update.add_argument("--dry-run", action="store_true", help="write nothing; say what would change")
    update.add_argument("--diff", action="store_true", help="show the change to each file as a unified diff")
    update.add_argument(
        "--allow-dirty", action="store_true", help="update nodes that have uncommitted changes"
    )


def _outdated_parser(sub: Subparsers) -> None:
    _command(
        sub,
        "outdated",
        "list generated nodes whose patterns or templates moved on, and why",
        "nodeforge outdated",
        "nodeforge outdated --json",
    )


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kind", default=None, help="only this kind (operation, imports, validation, error_handling, ...)"
    )
    parser.add_argument(
        "--node-type",
        default=None,
        metavar="TYPE",
        help="only this node type (effect, compute, reducer, ...)",
    )


def _patterns_parser(sub: Subparsers) -> None:
    psub = _group(sub, "patterns", "inspect and curate learned patterns", "patterns_command")
    _filters(_command(psub, "list", "list learned patterns", "nodeforge patterns list --kind operation"))
    pshow = _command(psub, "show", "show one pattern's code", "nodeforge patterns show 370e0ddd --history")
    pshow.add_argument("id", metavar="ID", help="the pattern's id (from `patterns list`)")
    pshow.add_argument("--history", action="store_true", help="also show the versions it superseded")
    psearch = _command(
        psub,
        "search",
        "search learned patterns (hybrid, or sparse)",
        'nodeforge patterns search "retry audit"',
    )
    psearch.add_argument("text", metavar="TEXT", help="words or identifiers to look for")
    _filters(psearch)
    psearch.add_argument(
        "--limit", type=at_least_one, default=5, metavar="N", help="how many hits, >= 1 (default: 5)"
    )
    _command(psub, "stats", "usage, success and support per pattern", "nodeforge patterns stats --json")
    pprune = _command(
        psub, "prune", "retire patterns that keep failing", "nodeforge patterns prune --dry-run"
    )
    pprune.add_argument(
        "--min-success",
        type=fraction,
        default=0.3,
        metavar="RATE",
        help="success rate to keep, 0-1 (default: 0.3)",
    )
    pprune.add_argument(
        "--min-uses",
        type=at_least_one,
        default=3,
        metavar="N",
        help="outcomes needed before judging, >= 1 (default: 3)",
    )
    pprune.add_argument("--dry-run", action="store_true", help="list what would be retired; retire nothing")
    pexport = _command(
        psub, "export", "write every pattern to a JSON-lines file", "nodeforge patterns export patterns.jsonl"
    )
    pexport.add_argument("file", type=Path, metavar="FILE", help="the file to write")
    pimport = _command(
        psub, "import", "read patterns from a JSON-lines export", "nodeforge patterns import patterns.jsonl"
    )
    pimport.add_argument("file", type=Path, metavar="FILE", help="an export written by `patterns export`")
    pimport.add_argument(
        "--trust-counters",
        action="store_true",
        help="keep the file's uses, successes, failures and status (default: start unverified)",
    )
    prestore = _command(
        psub,
        "restore",
        "undo a prune from the export it wrote",
        "nodeforge patterns restore .nodeforge/prune-*.jsonl",
    )
    prestore.add_argument("file", type=Path, metavar="FILE", help="the export `patterns prune` wrote")
    _command(
        psub, "review", "list learned code held for review, with the reason", "nodeforge patterns review"
    )
    for decision, text in (("approve", "allow held code to be reused"), ("reject", "retire held code")):
        pdecide = _command(
            psub,
            decision,
            text,
            f"nodeforge patterns {decision} 370e0ddd",
            f"nodeforge patterns {decision} --call subprocess.run --call open",
        )
        pdecide.add_argument(
            "id", metavar="ID", nargs="?", help="the held pattern's id (from `patterns review`)"
        )
        pdecide.add_argument(
            "--call",
            action="append",
            default=[],
            metavar="NAME",
            help="every held pattern whose held calls are all among these (repeatable), instead of an ID",
        )


def _store_parser(sub: Subparsers) -> None:
    ssub = _group(sub, "store", "the pattern store", "store_command")
    _command(ssub, "info", "where the store is and what it holds", "nodeforge store info")
    _command(ssub, "sync", "push patterns learned while the server was unreachable", "nodeforge store sync")
    srebuild = _command(
        ssub,
        "rebuild",
        "re-mine the embedded store from git history (after corruption)",
        "nodeforge store rebuild",
        "nodeforge store rebuild --yes   # a healthy store: re-mined, its counters kept",
    )
    srebuild.add_argument(
        "--yes", action="store_true", help="rebuild even though the store opens fine (counters are kept)"
    )


def _embed_parser(sub: Subparsers) -> None:
    embed = _command(sub, "embed", "compute dense vectors", "nodeforge embed --pending")
    embed.add_argument(
        "--pending", action="store_true", required=True, help="the patterns still without a dense vector"
    )


def _doctor_parser(sub: Subparsers) -> None:
    _command(
        sub,
        "doctor",
        "check the setup: store, server, embeddings, pending verdicts, sync, hook",
        "nodeforge doctor",
    )


def _report_parser(sub: Subparsers) -> None:
    report = _command(
        sub,
        "report",
        "write the learned patterns as a static HTML catalogue",
        "nodeforge report --html catalogue.html",
    )
    report.add_argument("--html", type=Path, required=True, metavar="OUT", help="the page to write")
    report.add_argument("--title", default=None, help="the page title (default: names the repository)")


def _completion_parser(sub: Subparsers) -> None:
    completion = _command(
        sub,
        "completion",
        "print a shell completion script",
        'eval "$(nodeforge completion bash)"   # in ~/.bashrc',
        "nodeforge completion zsh > ~/.zfunc/_nodeforge",
        common=False,
    )
    completion.add_argument("shell", choices=("bash", "zsh"), help="the shell to complete in")


__all__ = ["build_parser"]


def _eval_parser(sub: Subparsers) -> None:
    evaluate = _command(
        sub,
        "eval",
        "how far to trust nodeforge here: k-fold leave-out regeneration of this repository's nodes",
        "nodeforge eval --limit 20                       # 20 held-out nodes, 5 folds",
        "nodeforge eval --python .venv/bin/python --json",
    )
    evaluate.add_argument(
        "--folds", type=int, default=5, help="how many folds to leave out in turn (default 5)"
    )
    evaluate.add_argument("--seed", type=int, default=0, help="the shuffle that deals nodes into folds")
    evaluate.add_argument("--limit", type=int, default=None, metavar="N", help="evaluate N nodes only")
    evaluate.add_argument("--python", default=None, help="the repository's interpreter")
    evaluate.add_argument(
        "--timeout", type=float, default=600.0, help="seconds for each check subprocess (default 600)"
    )
    evaluate.add_argument("--no-template", action="store_true", help="skip the templates-only column")
    evaluate.add_argument(
        "--no-verify",
        action="store_true",
        help="learned candidates without generate's self-verification (on by default, as in a git repo)",
    )
