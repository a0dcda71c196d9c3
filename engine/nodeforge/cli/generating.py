"""``nodeforge generate``: a node from its contract, reported as the team sees its paths."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from nodeforge.cli.output import emit
from nodeforge.cli.workspace import repo_of, shown, store_for
from nodeforge.config import load_settings
from nodeforge.errors import EXIT_CHECK_FAILED, EXIT_OK

if TYPE_CHECKING:
    from nodeforge.generation.generate import GenerateReport


def cmd_generate(args: argparse.Namespace) -> int:
    from nodeforge.generation.contract import load_contract
    from nodeforge.generation.generate import (
        GenerateOptions,
        generation_inputs,
        record_node,
        render_node,
        write_rendered,
    )

    contract = load_contract(args.contract)  # a bad contract is named first, wherever it is
    # Like every command, only inside a git repository: generated.json, which credits the patterns
    # the node used, lives next to the code it describes, and verification runs the repository's tests.
    repo = repo_of(args)
    settings = load_settings(repo)
    out = (args.out or Path.cwd()).resolve()
    options = GenerateOptions(
        out=out,
        dry_run=args.dry_run,
        force=args.force,
        learning=not args.no_learning,
        diff=args.diff,
        verify=not args.no_verify and out.is_relative_to(repo),
        python=args.python or "",
        verify_timeout=settings.test_timeout,
    )
    # The contract as the team names it: it ends up in every generated file's header.
    source = shown(args.contract, repo)
    # The store is held while the node is rendered, and again to count its use: writing and
    # verifying (seconds of subprocesses) must not keep other nodeforge processes waiting on it.
    if options.learning:
        with store_for(settings) as store:
            rendered = render_node(
                repo, contract, source, settings, options, store, contract_file=args.contract
            )
    else:
        rendered = render_node(repo, contract, source, settings, options, None, contract_file=args.contract)
    report = write_rendered(repo, rendered, settings, options)
    if report.written:
        inputs = generation_inputs(repo, rendered, options)
        if options.learning:  # a store another process holds spools the count instead of failing
            with store_for(settings, embed=False) as store:
                record_node(repo, rendered.target, rendered.used, store, inputs)
        else:
            record_node(repo, rendered.target, rendered.used, None, inputs)
    emit(args, report, _generate_lines(args, report, options.learning, repo))
    verification = report.verification
    return EXIT_CHECK_FAILED if verification is not None and not verification.imports else EXIT_OK


def _generate_lines(
    args: argparse.Namespace, report: GenerateReport, learning: bool, repo: Path
) -> list[str]:
    verb = "would write" if args.dry_run else "wrote"
    node_dir = shown(Path(report.node_dir), repo)
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
        why = "--no-verify" if args.no_verify else "--out is outside the repository"
        lines.append(f"  verify: skipped ({why})")
    return lines
