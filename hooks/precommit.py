"""The ``nodeforge-learn`` post-commit hook: learn from the commit just made, never block it.

pre-commit runs it after ``git commit`` (``stages: [post-commit]``). It learns the nodes the commit
touched (files from ``git diff-tree``) that have a passing verdict for exactly their committed
content, queues the rest as pending (``learn`` re-checks pending nodes on every later run, so a node
is learned once its verdict arrives), and prints one summary line. Exit 0 always, unless ``--strict``
and learning failed.

**Committed content, not the working tree.** The working tree may differ from the commit (a partial
``git add -p``, an untracked scratch file inside a node, an edit made while the commit ran). Patterns
are mined from the files on disk, so a node is learned only when its working-tree content hash equals
the hash of its *committed* blobs (their ids from ``git ls-tree``, combined exactly as
``nodeforge.learning.nodes.content_hash`` combines the working tree's). A mismatch leaves the node
pending with the reason "working tree differs from the commit"; it is learned when a later commit
makes them equal again (its verdict, recorded by the pytest plugin for the tested content, is then the
committed content's verdict). The same check applies to pending nodes re-checked in this run: the hook never
learns uncommitted code.

**Never slows a commit.** A post-commit hook runs on every commit. The hook sorts the commit's nodes
with git, the verdict book and the standard library (which will be learned, which wait for a
verdict, which failed their tests), prints that as its one line, and leaves the mining itself to a
detached copy of itself (``--foreground``), as git runs ``gc --auto``: libcst, the store and the
model never load in the commit's time. Of the settings it reads only ``node_paths``
(``nodeforge.configfile``, no pydantic); the detached run, or ``--strict`` at once, checks the
rest. The detached run appends its own summary line to ``.nodeforge/hook.log``.
``--foreground`` (in ``args:`` of ``.pre-commit-config.yaml``) learns before returning instead.
Dense vectors are never computed by the hook: when sentence-transformers is importable in the
hook's environment, a detached ``nodeforge embed --pending`` fills them in.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nodeforge.configfile import node_roots
from nodeforge.errors import NodeforgeError
from nodeforge.gitrepo import TreeBlob, changed_files, content_digest, run_git, tree_blobs
from nodeforge.learning.reasons import (
    NO_VERDICT,
    PARTIAL_RUN,
    TESTS_FAILED,
    Reason,
    differs_from_commit,
    not_in_commit,
)
from nodeforge.paths import HOOK_LOG_FILE, LEARN_FAILED_FILE, PENDING_FILE, find_repo_root, state_dir
from nodeforge.statefile import read_state_object

if TYPE_CHECKING:
    from nodeforge.config import Settings
    from nodeforge.learning.learn import LearnReport
    from nodeforge.learning.nodes import NodeSource

PREFIX = "nodeforge:"
STORE_WAIT_SECONDS = 1.0


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nodeforge-learn-hook")
    parser.add_argument("--strict", action="store_true", help="exit 1 when learning failed")
    parser.add_argument(
        "--no-embed-later", action="store_true", help="do not start `nodeforge embed --pending`"
    )
    parser.add_argument(
        "--foreground", action="store_true", help="learn before returning instead of in a detached process"
    )
    parser.add_argument("--commit", default="HEAD", help=argparse.SUPPRESS)  # the detached run's commit
    parser.add_argument(
        "--since",
        default="",
        help="learn what arrived since this revision (post-merge / post-rewrite hooks pass ORIG_HEAD)",
    )
    parser.add_argument("filenames", nargs="*", help="ignored: the files come from the commit itself")
    return parser.parse_args(argv)


# -- the commit's content ---------------------------------------------------------------------


def committed_content_hash(
    repo: Path, commit: str, node: NodeSource, listing: Sequence[TreeBlob] | None = None
) -> str | None:
    """``node``'s content hash in ``commit`` (None: not in it), as ``nodes.content_hash`` computes it.

    ``listing``: the commit's blobs under several nodes at once (``tree_blobs``); default: this one's.
    """
    from nodeforge.learning.nodes import is_node_file

    is_folder = node.root.is_dir()
    base = node.root if is_folder else node.root.parent
    blobs: dict[Path, str] = {}
    for blob in tree_blobs(repo, commit, (node.key,)) if listing is None else listing:
        path = repo / blob.path
        inside = path.is_relative_to(node.root) if is_folder else path == node.root  # a module node: one file
        if inside and is_node_file(path):
            blobs[path] = blob.oid
    if not blobs:
        return None
    # Path order, exactly as nodes.content_hash sorts its files
    return content_digest((path.relative_to(base).as_posix(), blobs[path]) for path in sorted(blobs))


class CommittedContent:
    """The content gate of the hook: a node may be learned only as it is in ``commit``.

    ``keys``: the nodes about to be asked for, listed from the commit by one ``git ls-tree``.
    """

    def __init__(self, repo: Path, commit: str, keys: Sequence[str] = ()) -> None:
        self.repo = repo
        self.commit = commit
        self.keys = frozenset(keys)
        self.listing = tree_blobs(repo, commit, sorted(self.keys)) if self.keys else []

    def __call__(self, node: NodeSource) -> Reason | None:
        listing = self.listing if node.key in self.keys else None
        committed = committed_content_hash(self.repo, self.commit, node, listing)
        if committed is None:
            return not_in_commit(self.commit)
        if committed != node.content_hash:
            return differs_from_commit(self.commit)
        return None


def _has_pending(state: Path) -> bool:
    return bool(read_state_object(state / PENDING_FILE))  # a corrupt one is set aside, with a warning


def _touches_a_node(repo: Path, files: Sequence[str]) -> bool:
    """Whether any file is inside a node folder or is a module node (yaml + regex: no libcst)."""
    from nodeforge.learning.nodes import is_node_dir, load_module_node

    for name in files:
        path = repo / name
        folders = path.parents[: len(Path(name).parts) - 1]  # inside the repository only
        if any(is_node_dir(folder) for folder in folders):
            return True
        if path.suffix == ".py" and path.is_file() and load_module_node(path, repo) is not None:
            return True
    return False


# -- the quick look, in the commit's time ------------------------------------------------------


def _report_last_failure(state: Path) -> None:
    """Say, in this commit's output, that the previous background learn failed (then forget it)."""
    marker = state / LEARN_FAILED_FILE
    try:
        detail = marker.read_text(encoding="utf-8").strip()
        marker.unlink()
    except OSError:
        return
    print(f"{PREFIX} the previous background learn failed ({detail}); see .nodeforge/{HOOK_LOG_FILE}")


@dataclass(frozen=True)
class Triage:
    """What the detached learner will find, decided with git and the verdict book only."""

    ready: tuple[str, ...]
    pending: tuple[tuple[str, Reason], ...]
    skipped: tuple[tuple[str, Reason], ...]


def triage(repo: Path, commit: str, files: Sequence[str], state: Path, *, strict: bool = False) -> Triage:
    """Sort the commit's nodes. ``strict``: validate every setting now (pydantic), not only ``node_paths``."""
    from nodeforge.learning.nodes import nodes_for_paths
    from nodeforge.learning.verdicts import VerdictBook

    roots = _settings_roots(repo) if strict else node_roots(repo)
    paths = [repo / name for name in (*files, *_pending_keys(state)) if (repo / name).exists()]
    keys = {node.key: node for node in nodes_for_paths(paths, repo) if _inside(node, roots)}
    gate = CommittedContent(repo, commit, list(keys))
    book = VerdictBook(state)
    ready: list[str] = []
    pending: list[tuple[str, Reason]] = []
    skipped: list[tuple[str, Reason]] = []
    for key, node in sorted(keys.items()):
        reason = gate(node)
        verdict = book.get(key, node.content_hash) if reason is None else None
        if reason is not None:
            pending.append((key, reason))
        elif verdict is None:
            pending.append((key, NO_VERDICT))
        elif verdict.partial:
            pending.append((key, PARTIAL_RUN))
        elif not verdict.passed:
            skipped.append((key, TESTS_FAILED))
        else:
            ready.append(key)
    return Triage(tuple(ready), tuple(pending), tuple(skipped))


def _settings_roots(repo: Path) -> tuple[Path, ...]:
    from nodeforge.config import load_settings

    return load_settings(repo).node_roots


def _pending_keys(state: Path) -> list[str]:
    return list(read_state_object(state / PENDING_FILE))


def triage_line(found: Triage, commit: str, seconds: float) -> str:
    parts = [
        f"learning {len(found.ready)} node(s) of {commit[:10]} in the background"
        + (f": {', '.join(_short(k) for k in found.ready)}" if found.ready else "")
    ]
    parts.append(_counted("pending", found.pending, brief=True))
    parts.append(_counted("skipped", found.skipped, brief=True))
    return f"{PREFIX} " + ", ".join(parts) + f" (log: .nodeforge/{HOOK_LOG_FILE}) [{seconds:.2f} s]"


def _learn_detached(repo: Path, commit: str, state: Path, since: str = "") -> None:
    """The mining, in its own session: the commit returns at once; the result goes to the log."""
    with (state / HOOK_LOG_FILE).open("ab") as log:
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nodeforge.hooks.precommit",
                "--foreground",
                "--commit",
                commit,
                *(["--since", since] if since else []),
            ],
            cwd=repo,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )


# -- learning ----------------------------------------------------------------------------------


def _inside(node: NodeSource, roots: Sequence[Path]) -> bool:
    root = node.root.resolve()
    return any(root == top or top in root.parents for top in roots)


def learn_commit(settings: Settings, commit: str, since: str = "") -> LearnReport:
    from nodeforge.learning.learn import LearnOptions, learn, nodes_of_commit
    from nodeforge.storage.factory import open_configured

    repo = settings.repo
    # the plugin only records verdicts for nodes under node_paths; others would wait forever
    found = nodes_of_commit(repo, commit, since).nodes
    nodes = [node for node in found if _inside(node, settings.node_roots)]
    options = LearnOptions(
        quality_threshold=settings.quality_threshold,
        reviewed_calls=settings.reviewed_calls,
        embed=False,
        commit=commit,
        node_paths=settings.node_paths,
        content_gate=CommittedContent(repo, commit, [node.key for node in nodes]),
    )
    # A commit never waits long for the store (a detached `embed --pending` may hold it): past
    # this, the patterns go to .nodeforge/spool/ and the next opener ingests them.
    with open_configured(settings, embedder=None, lock_timeout=STORE_WAIT_SECONDS) as store:
        return learn(repo, nodes, store, options)


def _short(key: str) -> str:
    return key.rstrip("/").rsplit("/", 1)[-1]


def _grouped(items: Sequence[tuple[str, Reason]], *, brief: bool = False) -> str:
    """``a, b (reason one); c (reason two)`` — names grouped by reason, in first-seen order."""
    by_reason: dict[str, list[str]] = {}
    for name, reason in items:
        by_reason.setdefault(reason.brief if brief else str(reason), []).append(_short(name))
    return "; ".join(f"{', '.join(names)} ({reason})" for reason, names in by_reason.items())


def _counted(what: str, items: Sequence[tuple[str, Reason]], *, brief: bool = False) -> str:
    """``2 pending: a, b (reason)``, or ``0 pending``."""
    return f"{len(items)} {what}" + (f": {_grouped(items, brief=brief)}" if items else "")


def summary_line(report: LearnReport, seconds: float) -> str:
    """The hook's one line: learned / pending / skipped, with reasons."""
    learned = f"learned {len(report.learned)} node(s)"
    if report.learned:
        learned += f" {', '.join(_short(k) for k in report.learned)}"
    learned += f" ({report.patterns_new} new / {report.patterns_merged} merged pattern(s))"
    parts = [learned]
    parts.append(
        _counted("pending", [(key, report.pending_reasons.get(key, NO_VERDICT)) for key in report.pending])
    )
    # the gates' reasons are about single patterns: counted below as "not kept", not as nodes
    parts.append(_counted("skipped", [(what, why) for what, why in report.skipped if not why.of_pattern]))
    dropped = []
    if report.below_quality:
        dropped.append(f"{report.below_quality} below quality")
    if report.secrets_blocked:
        dropped.append(f"{report.secrets_blocked} holding secrets")
    if report.failed_files:
        dropped.append(f"{len(report.failed_files)} file(s) failed to parse")
    if report.offline:
        dropped.append(f"offline: {report.offline}")
    if dropped:
        parts.append("not kept: " + ", ".join(dropped))
    if report.feedback:
        parts.append(f"feedback for {report.feedback} generated node(s)")
    return f"{PREFIX} " + ", ".join(parts) + f" [{seconds:.2f} s]"


def _embeddings_installed() -> bool:
    return importlib.util.find_spec("sentence_transformers") is not None


def _start_embedding(repo: Path) -> None:
    """Fill dense vectors in a detached process, as git runs ``gc --auto``."""
    subprocess.Popen(
        [sys.executable, "-m", "nodeforge.cli.main", "embed", "--pending", "--repo", str(repo)],
        cwd=repo,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    from nodeforge.redact import redacted_streams

    with redacted_streams():  # the commit's output and .nodeforge/hook.log never show credentials
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    args = _parse(argv)
    started = time.perf_counter()
    state: Path | None = None
    commit = args.commit
    try:
        repo = find_repo_root()
        commit = run_git(repo, "rev-parse", args.commit).decode().strip()
        files = changed_files(repo, commit, args.since)
        state = state_dir(repo)
        _report_last_failure(state)
        if not _touches_a_node(repo, files) and not _has_pending(state):
            print(f"{PREFIX} nothing to learn (no node in this commit, none pending)")
            return 0
        if not args.foreground:
            found = triage(repo, commit, files, state, strict=args.strict)
            print(triage_line(found, commit, time.perf_counter() - started))
            if found.ready or found.pending:
                _learn_detached(repo, commit, state, args.since)
            return 0
        from nodeforge.config import load_settings  # the detached run: pydantic is no cost here

        settings = load_settings(repo)
        report = learn_commit(settings, commit, args.since)
    except (NodeforgeError, subprocess.CalledProcessError, OSError) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"{PREFIX} learning skipped: {detail}")
        if args.foreground and state is not None:  # nobody sees the background: the next commit will
            with contextlib.suppress(OSError):
                (state / LEARN_FAILED_FILE).write_text(f"{commit[:10]}: {detail}\n", encoding="utf-8")
        return 1 if args.strict else 0
    print(summary_line(report, time.perf_counter() - started))
    if report.dense_pending and not args.no_embed_later and settings.embed_later and _embeddings_installed():
        _start_embedding(repo)
    return 1 if args.strict and report.failed_files else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
