"""``nodeforge store rebuild``: re-mine the embedded store from git history after it was lost or corrupted.

The store is a cache of what committed nodes teach; git still holds every committed revision of
them. Rebuilding walks the commits that touched ``node_paths`` oldest first, materialises each
revision's node files in a temporary folder (``git ls-tree`` + one ``git cat-file --batch``: the
work tree, the index and HEAD are never touched), mines them with the test gate off, and upserts
the patterns in commit order so versions supersede one another as they did when first learned.
A node revision with a recorded verdict keeps its meaning: passed -> active, failed -> not learned;
without a verdict its patterns are unverified, as with ``learn --no-test-gate``.

The damaged store folder is moved aside (``<collection>.corrupt-<time>``), never deleted. What git
cannot give back: usage and success counters (they lived only in the store), and patterns learned
from files that were never committed.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from nodeforge.config import Settings
from nodeforge.errors import InputError, NodeforgeError, StoreError
from nodeforge.filelock import FileLock
from nodeforge.gitrepo import cat_blobs, git, tree_blobs
from nodeforge.learning.extract.miner import mine_node
from nodeforge.learning.learn import LearnOptions, LearnReport, gate_patterns
from nodeforge.learning.nodes import Discovery, NodeSource, scan
from nodeforge.learning.reasons import TESTS_FAILED_AT_REVISION
from nodeforge.learning.verdicts import VerdictBook
from nodeforge.model import Pattern, PatternStatus
from nodeforge.paths import LEARNED_FILE, state_dir
from nodeforge.statefile import read_state_object
from nodeforge.storage.counters import Tally
from nodeforge.storage.driver_store import DriverStore
from nodeforge.storage.edge import DEFAULT_LOCK_TIMEOUT, LOCK_FILE, store_path
from nodeforge.storage.protocol import PatternStore
from nodeforge.writer import atomic_write_text

_NODE_SUFFIXES = (".py", ".yaml", ".yml")
_SYMLINK = "120000"  # git's mode for a symbolic link: not a node file


@dataclass(frozen=True)
class Revision:
    sha: str
    date: str  # ISO 8601, the commit date: when its patterns were first learnable


@dataclass
class RebuildReport:
    commits: int = 0
    node_revisions: int = 0
    patterns_new: int = 0
    patterns_merged: int = 0
    moved_aside: str = ""
    counters_kept: int = 0  # patterns whose usage and success counters came back from the old store
    learn: LearnReport = field(default_factory=LearnReport)

    def summary(self) -> str:
        aside = f"; the old store is kept at {self.moved_aside}" if self.moved_aside else ""
        return (
            f"nodeforge: rebuilt the store from {self.commits} commit(s), {self.node_revisions} node "
            f"revision(s): {self.patterns_new} new / {self.patterns_merged} merged pattern(s), "
            f"{self.learn.secrets_blocked} blocked for secrets, {len(self.learn.failed_files)} file(s) "
            f"failed{aside}" + (f"; counters kept for {self.counters_kept}" if self.counters_kept else "")
        )


def move_store_aside(settings: Settings) -> Path | None:
    """Rename the embedded store folder out of the way (it may be unreadable); None if there is none."""
    folder = store_path(state_dir(settings.repo), settings.collection)
    if not folder.exists():
        return None
    aside = folder.with_name(
        f"{folder.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**6}"
    )
    folder.rename(aside)
    return aside


def _move_aside_locked(settings: Settings) -> Path | None:
    """Move the store aside while holding its lock, so no other process has it open meanwhile."""
    lock = FileLock(state_dir(settings.repo) / LOCK_FILE)
    if not lock.acquire(DEFAULT_LOCK_TIMEOUT):
        raise StoreError("the pattern store is in use by another nodeforge process; rebuild it later")
    try:
        return move_store_aside(settings)
    finally:
        lock.release()


Counters = dict[str, Tally]  # pattern id -> its counters, every writer's slot


def saved_counters(open_embedded: Callable[[], PatternStore]) -> Counters | None:
    """The counters of a store that still opens (git cannot give them back); None if it does not."""
    try:
        with open_embedded() as store:
            if not isinstance(store, DriverStore):  # the spool: the store is busy
                return None
            return store.tallies([p.id for p in store.list(statuses=tuple(PatternStatus))])
    except StoreError:
        return None


def restore_counters(store: PatternStore, counters: Counters) -> int:
    """Put saved counters back on the rebuilt patterns with the same id; returns how many."""
    if not isinstance(store, DriverStore):
        return 0
    saved = {pattern_id: tally for pattern_id, tally in counters.items() if tally.slots}
    restored = [p for p in (store.get(pattern_id) for pattern_id in saved) if p is not None]
    if restored:
        store.upsert(restored, embed=False, tallies=saved)  # same ids: merged, tallies joined
    return len(restored)


def node_revisions(repo: Path, node_paths: Sequence[str]) -> list[Revision]:
    """Commits touching ``node_paths``, oldest first."""
    try:
        output = git(repo, "log", "--reverse", "--format=%H %cI", "--", *node_paths)
    except subprocess.CalledProcessError as error:
        why = " ".join((error.stderr or "").split()) or f"git exited {error.returncode}"
        raise InputError(f"{repo}: cannot read git history to rebuild from ({why})") from None
    revisions = []
    for line in output.splitlines():
        sha, _, date = line.partition(" ")
        if sha:
            revisions.append(Revision(sha, date))
    return revisions


def checkout_nodes(repo: Path, revision: str, node_paths: Sequence[str], into: Path) -> int:
    """Write the node files of ``revision`` under ``into`` (same relative paths); returns how many."""
    blobs = [
        blob
        for blob in tree_blobs(repo, revision, node_paths)
        if blob.mode != _SYMLINK and blob.path.endswith(_NODE_SUFFIXES)
    ]
    root = into.resolve()
    for blob, body in zip(blobs, cat_blobs(repo, [blob.oid for blob in blobs]), strict=True):
        target = (root / PurePosixPath(blob.path)).resolve()
        if not target.is_relative_to(root):
            continue  # git does not store such paths; be safe anyway
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return len(blobs)


def _status(node: NodeSource, book: VerdictBook) -> PatternStatus | None:
    verdict = book.get(node.key, node.content_hash)
    if verdict is None:
        return PatternStatus.UNVERIFIED
    return PatternStatus.ACTIVE if verdict.passed else None


def rebuild(
    settings: Settings,
    store_factory: Callable[[], PatternStore],
    *,
    move_aside: bool = True,
    progress: Callable[[str], None] | None = None,
) -> RebuildReport:
    """Re-mine every committed revision of the nodes into a fresh store opened by ``store_factory``."""
    repo = settings.repo.resolve()
    if not (repo / ".git").exists():
        raise InputError(f"{repo}: not a git work tree; there is no history to rebuild from")
    report = RebuildReport()
    revisions = node_revisions(repo, settings.node_paths)
    if move_aside:
        aside = _move_aside_locked(settings)
        report.moved_aside = str(aside) if aside else ""
    book = VerdictBook(state_dir(repo))
    options = LearnOptions(
        test_gate=False,
        quality_threshold=settings.quality_threshold,
        reviewed_calls=settings.reviewed_calls,
        embed=False,
    )
    seen: set[tuple[str, str]] = set()  # (node key, content hash): each node revision mined once
    learned: dict[str, str] = {}
    with store_factory() as store:
        if store.info().backend == "spool":
            raise StoreError("the pattern store is in use by another nodeforge process; rebuild it later")
        for revision in revisions:
            report.commits += 1
            if progress is not None:
                progress(revision.sha[:10])
            batch = _mine_revision(repo, settings, revision, book, options, report, seen, learned)
            if batch:
                upserted = store.upsert(batch, embed=False)
                report.patterns_new += len(upserted.inserted)
                report.patterns_merged += len(upserted.merged)
    _record_learned(repo, learned)
    return report


def _mine_revision(
    repo: Path,
    settings: Settings,
    revision: Revision,
    book: VerdictBook,
    options: LearnOptions,
    report: RebuildReport,
    seen: set[tuple[str, str]],
    learned: dict[str, str],
) -> list[Pattern]:
    batch: list[Pattern] = []
    with tempfile.TemporaryDirectory(prefix="nodeforge-rebuild-") as tmp:
        root = Path(tmp)
        try:
            checkout_nodes(repo, revision.sha, settings.node_paths, root)
        except (subprocess.CalledProcessError, ValueError, IndexError) as error:
            raise NodeforgeError(
                f"cannot read the node files of commit {revision.sha[:10]}: {error}"
            ) from None
        tops = [root / p for p in settings.node_paths if (root / p).exists()]
        found = scan(root, tops) if tops else Discovery(())
        report.learn.skipped.extend((f"{s.key}@{revision.sha[:10]}", s.reason) for s in found.skipped)
        for node in found.nodes:
            if (node.key, node.content_hash) in seen:
                continue
            seen.add((node.key, node.content_hash))
            status = _status(node, book)
            if status is None:
                report.learn.skipped.append((f"{node.key}@{revision.sha[:10]}", TESTS_FAILED_AT_REVISION))
                continue
            report.node_revisions += 1
            mined = mine_node(node, commit=revision.sha, status=status, learned_at=revision.date)
            report.learn.files.extend(mined.outcomes)
            # keys and provenance paths are relative to the temporary root, which mirrors the repo
            batch.extend(gate_patterns(mined.patterns, options, report.learn))
            learned[node.key] = node.content_hash
    return batch


def _record_learned(repo: Path, learned: dict[str, str]) -> None:
    """The ledger's "learned at" hashes, so the next ``learn`` does not redo what was rebuilt."""
    path = state_dir(repo) / LEARNED_FILE
    current = {str(k): str(v) for k, v in read_state_object(path).items()}
    current.update(learned)
    atomic_write_text(path, json.dumps(current, indent=2, sort_keys=True) + "\n")
