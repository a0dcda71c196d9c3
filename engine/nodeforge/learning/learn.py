"""The learn flow: nodes -> test gate -> extract -> quality gate -> secret check -> store.

Learning never blocks a commit: every node ends as learned, pending (no verdict yet for its exact
content), or skipped with a reason, and every file as extracted, skipped or failed. All are counted.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from nodeforge.defaults import QUALITY_THRESHOLD
from nodeforge.errors import InputError
from nodeforge.generation.provenance import apply_feedback, generated_nodes
from nodeforge.gitrepo import changed_files, git
from nodeforge.learning.danger import hazards
from nodeforge.learning.extract.miner import mine_node
from nodeforge.learning.extract.outcome import FAILED, FileOutcome
from nodeforge.learning.idioms import merge_idioms, merge_with_store
from nodeforge.learning.mining_cache import MiningCache
from nodeforge.learning.mining_pool import run_in_order
from nodeforge.learning.nodes import Discovery, NodeSource, node_for_path, scan, scan_paths
from nodeforge.learning.quality import analyze
from nodeforge.learning.reasons import (
    GENERATED_UNCHANGED,
    NO_VERDICT,
    PARTIAL_RUN,
    TESTS_FAILED,
    UNCHANGED,
    Reason,
    holds_secrets,
    low_quality,
    no_verdict_after_run,
)
from nodeforge.learning.runtests import TestRun, TestRunner
from nodeforge.learning.secrets import SecretFinding, check_pattern_code, describe_findings
from nodeforge.learning.testmap import link_tests
from nodeforge.learning.verdicts import VerdictBook
from nodeforge.model import Pattern, PatternKind, PatternStatus
from nodeforge.paths import LEARNED_FILE, PENDING_FILE, state_dir
from nodeforge.storage.protocol import PatternStore, ServerUnreachable, UpsertReport
from nodeforge.storage.spool import is_spooling
from nodeforge.writer import atomic_write_text


@dataclass(frozen=True)
class LearnOptions:
    test_gate: bool = True
    quality_threshold: float = QUALITY_THRESHOLD
    # Calls the team has reviewed ([tool.nodeforge] reviewed_calls): code making them is not held.
    reviewed_calls: frozenset[str] = frozenset()
    force: bool = False  # re-learn nodes whose content was already learned
    embed: bool = True  # compute dense vectors now (the hook defers them)
    commit: str = ""
    # --run-tests: run a pending node's tests (nodeforge.learning.runtests), each run bounded by test_timeout
    run_tests: bool = False
    test_timeout: float = 300.0
    node_paths: tuple[str, ...] = (".",)
    # A reason the node's current content may not be learned yet (it waits, pending), or None. The
    # hook passes "the working tree equals the commit", so only committed content is ever learned.
    content_gate: Callable[[NodeSource], Reason | None] | None = None
    jobs: int = 1  # processes mining at once (nodeforge.learning.mining_pool); the CLI defaults to the cores
    learned_at: str = ""  # the patterns' time stamp; "" = now
    # Mined-and-gated results shared by several learn runs over the same nodes (eval's folds).
    mining_cache: MiningCache[MineTask, MinedAndGated] | None = None


@dataclass
class LearnReport:
    learned: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    pending_reasons: dict[str, Reason] = field(default_factory=dict)  # node key -> why it waits
    skipped: list[tuple[str, Reason]] = field(default_factory=list)  # (node or pattern, reason)
    files: list[FileOutcome] = field(default_factory=list)
    patterns_new: int = 0
    patterns_merged: int = 0
    patterns_superseded: int = 0
    below_quality: int = 0
    secrets_blocked: int = 0
    held: int = 0  # stored, but held for review (nodeforge.learning.danger): generation does not use them
    dense_pending: int = 0
    feedback: int = 0
    test_runs: list[TestRun] = field(default_factory=list)  # --run-tests
    seconds: dict[str, float] = field(default_factory=dict)
    offline: str = ""  # why patterns went to the embedded store instead of the server

    @property
    def failed_files(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == FAILED]

    def summary(self) -> str:
        skipped = len(self.skipped)
        parts = [
            f"learned {len(self.learned)} node(s)",
            f"{self.patterns_new} new / {self.patterns_merged} merged pattern(s)",
            f"{len(self.pending)} pending",
            f"{skipped} skipped",
        ]
        if self.failed_files:
            parts.append(f"{len(self.failed_files)} file(s) failed")
        if self.secrets_blocked:
            parts.append(f"{self.secrets_blocked} blocked for secrets")
        if self.held:
            parts.append(f"{self.held} held for review (nodeforge patterns review)")
        if self.feedback:
            parts.append(f"feedback for {self.feedback} generated node(s)")
        if self.offline:
            parts.append(f"offline: {self.offline}")
        return "nodeforge: " + ", ".join(parts)


def _load_map(path: Path) -> dict[str, str]:
    from nodeforge.statefile import read_state_object

    return {str(k): str(v) for k, v in read_state_object(path).items()}


def _save_map(path: Path, data: dict[str, str]) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def nodes_of_commit(repo: Path, commit: str, since: str = "") -> Discovery:
    """The nodes ``commit`` brought (``gitrepo.changed_files``: a merge's too), as they are on disk now."""
    return _nodes_of_files(repo, changed_files(repo, commit, since))


def nodes_since(repo: Path, revision: str) -> Discovery:
    try:
        output = git(repo, "diff", "--name-only", f"{revision}...HEAD")
    except subprocess.CalledProcessError as error:
        why = " ".join((error.stderr or "").split()) or f"git exited {error.returncode}"
        raise InputError(f"--since {revision}: not a revision git can compare with HEAD ({why})") from None
    return _nodes_of_files(repo, output.splitlines())


def _nodes_of_files(repo: Path, files: Iterable[str]) -> Discovery:
    """The nodes holding ``files`` (repo-relative names), each loaded once."""
    return scan_paths([repo / name for name in files if (repo / name).exists()], repo)


def select_nodes(
    repo: Path, *, paths: Sequence[Path], all_nodes: bool, since: str, commit: str, node_paths: Sequence[str]
) -> Discovery:
    """The nodes to learn, and the node folders skipped (a node type nodeforge does not know)."""
    if commit:
        return nodes_of_commit(repo, commit)
    if since:
        return nodes_since(repo, since)
    if paths:
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise InputError(f"{missing[0]}: no such file or folder to learn from")
        return scan(repo, paths)
    return scan(repo, [repo / p for p in node_paths]) if all_nodes else Discovery(())


@dataclass
class _Ledger:
    """Bookkeeping under ``.nodeforge/``: pending nodes, and the content hash each node was learned at."""

    folder: Path
    pending: dict[str, str]
    learned: dict[str, str]

    @classmethod
    def load(cls, folder: Path) -> _Ledger:
        return cls(folder, _load_map(folder / PENDING_FILE), _load_map(folder / LEARNED_FILE))

    def save(self) -> None:
        _save_map(self.folder / PENDING_FILE, self.pending)
        _save_map(self.folder / LEARNED_FILE, self.learned)


def _candidates(repo: Path, nodes: Sequence[NodeSource], ledger: _Ledger) -> dict[str, NodeSource]:
    """The nodes asked for, plus every pending node still present (its verdict may have arrived)."""
    candidates = {node.key: node for node in nodes}
    for key in list(ledger.pending):
        if key in candidates:
            continue
        node = node_for_path(repo / key, repo)
        if node is None:
            del ledger.pending[key]
        else:
            candidates[key] = node
    return candidates


def _wait(node: NodeSource, reason: Reason, report: LearnReport, ledger: _Ledger) -> None:
    report.pending.append(node.key)
    report.pending_reasons[node.key] = reason
    ledger.pending[node.key] = node.content_hash


def _status_for(
    node: NodeSource,
    book: VerdictBook,
    options: LearnOptions,
    report: LearnReport,
    ledger: _Ledger,
    runner: TestRunner | None = None,
    generated: Mapping[str, str] | None = None,
) -> PatternStatus | None:
    """The status its patterns get, or None when the node waits (pending) or is skipped."""
    if generated is not None and generated.get(node.key) == node.content_hash:
        # nodeforge's own output, as it wrote it: mining it would count the patterns it came from
        # again (support + 1 for copying themselves). Its verdicts credit those patterns instead
        # (provenance.apply_feedback); once a person edits it, it is the team's code and is learned.
        report.skipped.append((node.key, GENERATED_UNCHANGED))
        ledger.pending.pop(node.key, None)
        return None
    if not options.force and ledger.learned.get(node.key) == node.content_hash:
        report.skipped.append((node.key, UNCHANGED))
        ledger.pending.pop(node.key, None)
        return None
    gate = options.content_gate(node) if options.content_gate is not None else None
    if gate is not None:
        _wait(node, gate, report, ledger)
        return None
    if not options.test_gate:
        return PatternStatus.UNVERIFIED
    verdict = book.get(node.key, node.content_hash)
    if verdict is None and runner is not None:
        run, _output = runner.run(node)
        report.test_runs.append(run)
        verdict = book.get(node.key, node.content_hash)
        if verdict is None:
            _wait(node, no_verdict_after_run(run.detail), report, ledger)
            return None
    if verdict is None:
        _wait(node, NO_VERDICT, report, ledger)
        return None
    if verdict.partial:
        _wait(node, PARTIAL_RUN, report, ledger)
        return None
    if not verdict.passed:
        report.skipped.append((node.key, TESTS_FAILED))
        ledger.pending.pop(node.key, None)
        return None
    return PatternStatus.ACTIVE


def learn(
    repo: Path,
    nodes: Sequence[NodeSource],
    store: PatternStore,
    options: LearnOptions,
    progress: Callable[[str], None] | None = None,
) -> LearnReport:
    """Learn ``nodes`` plus every pending node whose verdict has arrived since."""
    report = LearnReport()
    folder = state_dir(repo)
    book = VerdictBook(folder)
    ledger = _Ledger.load(folder)
    generated = {g.key: g.content_hash for g in generated_nodes(repo)}
    candidates = _candidates(repo, nodes, ledger)
    runner = (
        TestRunner(repo, node_paths=options.node_paths, timeout=options.test_timeout)
        if options.run_tests and options.test_gate
        else None
    )
    started = time.perf_counter()
    now = options.learned_at or datetime.now(UTC).isoformat(timespec="seconds")
    to_mine: list[tuple[NodeSource, PatternStatus]] = []
    for key in sorted(candidates):
        node = candidates[key]
        status = _status_for(node, book, options, report, ledger, runner, generated)
        if status is None:
            if progress is not None:
                progress(key)
        else:
            to_mine.append((node, status))
    report.seconds["gate"] = time.perf_counter() - started
    started = time.perf_counter()
    # Only the nodes about to be mined: linking reads the repository's test modules.
    linked = link_tests(repo, [node for node, _status in to_mine])
    report.seconds["link_tests"] = time.perf_counter() - started
    started = time.perf_counter()
    to_store = _mine_and_gate(
        linked, [status for _, status in to_mine], options, now, report, ledger, progress
    )
    report.seconds["extract"] = time.perf_counter() - started
    started = time.perf_counter()
    if to_store:
        try:
            # One pattern per idiom shown by several nodes, holes where they differ (idioms).
            readable = not is_spooling(store)
            merged = (
                merge_with_store(to_store, store) if readable else merge_idioms(to_store, _nothing_stored)
            )
            upserted = store.upsert(merged.patterns, embed=options.embed)
            if readable:
                store.set_status(merged.absorbed, PatternStatus.SUPERSEDED)
        except ServerUnreachable as down:
            upserted = _keep_offline(repo, to_store, down, report)
        report.patterns_new = len(upserted.inserted)
        report.patterns_merged = len(upserted.merged)
        report.patterns_superseded = len(upserted.superseded)
        report.dense_pending = upserted.dense_pending
    report.seconds["store"] = time.perf_counter() - started
    try:
        report.feedback = len(apply_feedback(repo, book.all(), record=store.record_outcome))
    except ServerUnreachable as down:  # the feedback stays owed: it is marked given only once stored
        report.offline = f"{down}; feedback for generated nodes is kept for the next run"
    ledger.save()
    return report


def _nothing_stored(_kind: PatternKind, _slot: str) -> list[Pattern]:
    """A store that stayed locked spools its writes and cannot be read: idioms merge within this run
    only, and the spooled patterns meet the stored idioms the next time a learn touches their slot."""
    return []


@dataclass(frozen=True)
class MineTask:
    """One node to mine and gate, as it travels to a worker process."""

    node: NodeSource
    status: PatternStatus
    commit: str
    learned_at: str
    quality_threshold: float
    reviewed_calls: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MinedAndGated:
    node: NodeSource
    files: tuple[FileOutcome, ...]
    kept: tuple[Pattern, ...]
    gate: LearnReport  # what the gates dropped, and why (skipped, below_quality, secrets_blocked)


def mine_and_gate(task: MineTask) -> MinedAndGated:
    """Mine one node and pass its patterns through the gates: pure, so it runs in any process."""
    mined = mine_node(
        task.node,
        commit=task.commit,
        status=task.status,
        learned_at=task.learned_at,
        reviewed_calls=task.reviewed_calls,
    )
    gate = LearnReport()
    options = LearnOptions(quality_threshold=task.quality_threshold, reviewed_calls=task.reviewed_calls)
    kept = gate_patterns(mined.patterns, options, gate)
    return MinedAndGated(task.node, mined.outcomes, tuple(kept), gate)


def _mine_and_gate(
    nodes: Sequence[NodeSource],
    statuses: Sequence[PatternStatus],
    options: LearnOptions,
    now: str,
    report: LearnReport,
    ledger: _Ledger,
    progress: Callable[[str], None] | None,
) -> list[Pattern]:
    """Mine and gate ``nodes`` on ``options.jobs`` processes (results in order); the patterns kept."""
    to_store: list[Pattern] = []
    tasks = [
        MineTask(node, status, options.commit, now, options.quality_threshold, options.reviewed_calls)
        for node, status in zip(nodes, statuses, strict=True)
    ]
    cache = options.mining_cache if options.mining_cache is not None else MiningCache()
    mined = cache.run(tasks, lambda todo: run_in_order(mine_and_gate, todo, options.jobs))
    for _task, done in mined:
        node = done.node
        if progress is not None:
            progress(node.key)
        report.files.extend(done.files)
        _absorb(report, done.gate)
        to_store.extend(done.kept)
        report.learned.append(node.key)
        ledger.learned[node.key] = node.content_hash
        ledger.pending.pop(node.key, None)
    return to_store


def _absorb(report: LearnReport, part: LearnReport) -> None:
    """Add what a worker's gates reported (every list and count, whatever the gates grow to) to ``report``."""
    for item in dataclasses.fields(part):
        mine, theirs = getattr(report, item.name), getattr(part, item.name)
        if isinstance(theirs, list):
            mine.extend(theirs)
        elif isinstance(theirs, dict):
            mine.update(theirs)
        elif isinstance(theirs, int | float) and not isinstance(theirs, bool):
            setattr(report, item.name, mine + theirs)
        elif theirs:
            setattr(report, item.name, theirs)


def _keep_offline(
    repo: Path, patterns: Sequence[Pattern], down: ServerUnreachable, report: LearnReport
) -> UpsertReport:
    """The server stopped answering mid-learn: keep the patterns in the embedded store, unsynced."""
    from nodeforge.storage.edge import open_embedded

    note = f"{down}; kept in the embedded store, run `nodeforge store sync` when it is back"
    report.offline = note
    with open_embedded(state_dir(repo), track_unsynced=True, note=note) as local:
        return local.upsert(patterns, embed=False)


def gate_patterns(patterns: Iterable[Pattern], options: LearnOptions, report: LearnReport) -> list[Pattern]:
    """Quality gate on the code itself, then the secret check on the code and all it carries.

    Extraction scores quality on the tree it already parsed (``Pattern.quality``); only a pattern
    without a score is analyzed here. Patterns of one node, and the nodes of one repository, share
    most dependencies (models, imports), so each distinct text is scanned once per process.
    """
    kept = []
    decided: dict[str, Pattern | None] = {}  # the same idiom from many nodes: gated once per id
    for pattern in patterns:
        if pattern.id in decided:
            earlier = decided[pattern.id]
            if earlier is not None:
                kept.append(dataclasses.replace(pattern, quality=earlier.quality))
            continue
        decided[pattern.id] = None
        quality = pattern.quality if pattern.quality > 0 else analyze(pattern.code).score
        label = f"{pattern.provenance.path}:{pattern.provenance.start_line} {pattern.kind.value}"
        if quality < options.quality_threshold:
            report.below_quality += 1
            report.skipped.append((label, low_quality(quality, options.quality_threshold)))
            continue
        texts = [
            pattern.code,
            *(d.code for d in pattern.dependencies),
            *(value for _, value in pattern.parameters),
        ]
        findings = [f for text in texts for f in _findings_in(text)]
        if findings:
            report.secrets_blocked += 1
            # every finding, so fixing one secret does not reveal the next only on the next commit
            report.skipped.append((label, holds_secrets(describe_findings(findings))))
            continue
        passed = _held_if_hazardous(
            dataclasses.replace(pattern, quality=round(quality, 3)), options.reviewed_calls
        )
        report.held += passed.status is PatternStatus.HELD  # stored, listed by `patterns review`
        decided[pattern.id] = passed
        kept.append(passed)
    return kept


# Nodes of one repository share most dependency texts (models, imports, helpers): each distinct
# text is scanned once per process, across nodes (``danger.hazards`` caches the same way).
@lru_cache(maxsize=8192)
def _findings_in(text: str) -> tuple[SecretFinding, ...]:
    return check_pattern_code(text).findings


def _held_if_hazardous(pattern: Pattern, reviewed_calls: frozenset[str]) -> Pattern:
    """``pattern`` held for review when its code, the definitions it carries or (an exemplar) the
    node files it carries call something dangerous that the team has not reviewed."""
    codes = [pattern.code, *(d.code for d in pattern.dependencies if d.kind in ("definition", "file"))]
    found = [str(h) for code in codes for h in hazards(code) if h.call not in reviewed_calls]
    if not found:
        return pattern
    extra = {
        **pattern.extra,
        "held_reason": "; ".join(dict.fromkeys(found)),
        "held_from": pattern.status.value,
    }
    return dataclasses.replace(pattern, status=PatternStatus.HELD, extra=extra)
