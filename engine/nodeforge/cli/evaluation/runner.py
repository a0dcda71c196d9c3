"""k-fold leave-out regeneration: learn without a fold, regenerate each held-out node, score it.

Everything happens in a scratch clone of the repository's HEAD (``git clone --shared``), with
nodeforge's state in a temporary folder per fold (``paths.state_home``): the user's repository,
store and ledgers are never touched. Training learns every node outside the fold without the test
gate (``learn --no-test-gate``): a fresh clone has no verdicts. The runtime checks run after every
fold has learned and generated, one subprocess per check (imports, generated tests, real tests)
for many held-out nodes swapped for their candidates at once: pytest's start-up dominates on real
repositories. Nodes whose real code, real tests or candidates mention each other go in different
batches (``groups``): a node that imports another held-out node must meet that node's real code, or
it fails for a reason that is not its own candidate's.
"""

from __future__ import annotations

import dataclasses
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from nodeforge.cli.evaluation.baseline import copy_renamed, ranked, structure_top5_right_type
from nodeforge.cli.evaluation.declared import declared_handlers
from nodeforge.cli.evaluation.groups import independent_batches, own_files, references
from nodeforge.cli.evaluation.names import undefined_names
from nodeforge.cli.evaluation.scores import (
    BASELINE,
    LEARNED,
    LEARNING_NOTE,
    TEMPLATE,
    CandidateEval,
    Checks,
    EvalOptions,
    EvalReport,
    NodeEval,
)
from nodeforge.cli.evaluation.similarity import compare
from nodeforge.config import Settings
from nodeforge.errors import InputError, NodeforgeError
from nodeforge.generation.contract import Contract, load_contract
from nodeforge.generation.generate import GenerateOptions, generate
from nodeforge.generation.verify import (
    PytestRun,
    TestOutcome,
    check_imports,
    node_test_files,
    repo_python,
    run_pytest,
)
from nodeforge.gitrepo import git
from nodeforge.learning.learn import LearnOptions, MinedAndGated, MineTask, learn
from nodeforge.learning.mining_cache import MiningCache
from nodeforge.learning.nodes import DIRECTORY, NodeSource, discover
from nodeforge.learning.runtests import TestRunner
from nodeforge.model import NodeType, PatternQuery, ScoredPattern
from nodeforge.paths import state_home
from nodeforge.storage.factory import open_store
from nodeforge.storage.protocol import PatternStore


class _Recorder:
    """The store, remembering every query ``generate`` makes (for the retrieval score)."""

    def __init__(self, store: PatternStore) -> None:
        self._store = store
        self.queries: list[PatternQuery] = []

    def query(self, q: PatternQuery) -> list[ScoredPattern]:
        self.queries.append(q)
        return self._store.query(q)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _clone(repo: Path, destination: Path) -> str:
    try:
        commit = git(repo, "rev-parse", "HEAD").strip()
        subprocess.run(
            ["git", "clone", "-q", "--shared", str(repo), str(destination)], check=True, capture_output=True
        )
    except subprocess.CalledProcessError as error:
        why = " ".join((error.stderr or b"").decode(errors="replace").split()) or "git failed"
        raise InputError(f"{repo}: eval needs a git repository with a commit ({why})") from None
    return commit


def _sample(nodes: Sequence[NodeSource], options: EvalOptions) -> list[list[NodeSource]]:
    """The held-out nodes of each fold: a seeded shuffle, cut to ``limit``, dealt round-robin."""
    order = sorted(nodes, key=lambda n: n.key)
    random.Random(options.seed).shuffle(order)
    chosen = order[: options.limit] if options.limit else order
    return [chosen[fold :: options.folds] for fold in range(options.folds)]


def evaluate(
    repo: Path,
    settings: Settings,
    options: EvalOptions,
    progress: Callable[[str], None] | None = None,
    phase: Callable[[str], None] | None = None,
) -> EvalReport:
    """``progress`` hears each held-out node as it is regenerated; ``phase`` each step as it starts."""
    started = time.perf_counter()
    say = phase or (lambda _what: None)
    python = repo_python(repo, options.python or settings.python)
    with tempfile.TemporaryDirectory(prefix="nodeforge-eval-") as tmp:
        work = Path(tmp)
        scratch = work / "repo"
        commit = _clone(repo, scratch)
        nodes = [
            n
            for n in discover(scratch, [scratch / p for p in settings.node_paths])
            if n.layout == DIRECTORY and (n.root / "contract.yaml").is_file()
        ]
        if len(nodes) < options.folds + 1 or options.folds < 2:
            raise InputError(f"eval needs --folds >= 2 and more nodes than folds; found {len(nodes)} node(s)")
        folds = _sample(nodes, options)
        report = EvalReport(
            str(repo), commit, options.folds, options.seed, python, LEARNING_NOTE, len(nodes) - len(folds[0])
        )
        context = _Context(scratch, work, settings, options, python, progress, say)
        held_out = [n for fold in folds for n in fold]
        say(f"the real tests of {len(held_out)} held-out node(s), on the real code")
        context.real_tests = _real_tests(scratch, settings, held_out)
        context.references = references(
            {n.key: own_files(n.root, context.real_tests[n.key]) for n in held_out},
            {n.key: n.root.name for n in held_out},
        )
        reference = context.reference(held_out)
        for index, held in enumerate(folds):
            held_keys = {n.key for n in held}
            report.nodes.extend(context.run_fold(index, held, [n for n in nodes if n.key not in held_keys]))
        results = {r.key: r for r in report.nodes}
        say("undefined names (ruff)")
        _count_undefined(context.candidates, results)
        for kind in (LEARNED, BASELINE):
            say(f"{kind} candidates in place: imports, own tests, real tests")
            context.checks(kind, [n for n in held_out if (kind, n.key) in context.candidates], results)
        report.batches = context.batches
        for result in report.nodes:
            result.reference_passed, result.reference_total = reference.get(result.key, (0, 0))
    report.seconds = time.perf_counter() - started
    return report


def _real_tests(scratch: Path, settings: Settings, nodes: Sequence[NodeSource]) -> dict[str, list[Path]]:
    """The real tests of each node, in its folder and linked from elsewhere (nodeforge.learning.testmap)."""
    runner = TestRunner(scratch, node_paths=settings.node_paths)
    return {node.key: runner.test_files(node) for node in nodes}


def _rel(path: Path, scratch: Path) -> str:
    return path.relative_to(scratch).as_posix()


def _tally(run_outcomes: Sequence[TestOutcome]) -> tuple[int, int]:
    return sum(o.passed for o in run_outcomes), len(run_outcomes)


@dataclass
class _Context:
    scratch: Path
    work: Path
    settings: Settings
    options: EvalOptions
    python: str
    progress: Callable[[str], None] | None
    say: Callable[[str], None]
    real_tests: dict[str, list[Path]] = field(default_factory=dict)
    references: dict[str, set[str]] = field(default_factory=dict)  # key -> held-out nodes it mentions
    # Each node is mined once per run, whichever folds train on it (learning.mining_cache).
    mined: MiningCache[MineTask, MinedAndGated] = field(default_factory=MiningCache)
    learned_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    candidates: dict[tuple[str, str], Path] = field(default_factory=dict)  # (kind, key) -> folder
    batches: dict[str, str] = field(default_factory=dict)  # batch -> pytest's last line

    def reference(self, nodes: Sequence[NodeSource]) -> dict[str, tuple[int, int]]:
        files = sorted({f for n in nodes for f in self.real_tests[n.key]})
        run = run_pytest(self.scratch, self.python, files, self.options.timeout)
        self.batches["real node, real tests"] = run.detail
        return {
            n.key: _tally(run.in_files(_rel(f, self.scratch) for f in self.real_tests[n.key])) for n in nodes
        }

    def run_fold(
        self, index: int, held: Sequence[NodeSource], training: Sequence[NodeSource]
    ) -> list[NodeEval]:
        home = self.work / f"fold-{index}"
        fold = f"fold {index + 1}/{self.options.folds}"
        self.say(f"{fold}: learning {len(training)} node(s) ({len(self.mined.results)} mined so far)")
        with (
            state_home(home),  # the fold's store, ledgers and generated.json
            open_store(
                self.scratch,
                collection=self.settings.collection,
                embedder="auto" if self.options.embed else None,
            ) as store,
        ):
            learn_options = LearnOptions(
                test_gate=False,
                quality_threshold=self.settings.quality_threshold,
                reviewed_calls=self.settings.reviewed_calls,
                force=True,
                embed=self.options.embed,
                node_paths=self.settings.node_paths,
                jobs=self.options.jobs,
                learned_at=self.learned_at,
                mining_cache=self.mined,
            )
            learn(self.scratch, training, store, learn_options)
            self.say(f"{fold}: regenerating {len(held)} node(s)")
            return [self._regenerate(index, node, training, store) for node in held]

    def _regenerate(
        self, index: int, node: NodeSource, training: Sequence[NodeSource], store: PatternStore
    ) -> NodeEval:
        result = NodeEval(node.key, index, node.node_type.value)
        real = self.work / "real" / node.key
        shutil.copytree(node.root, real, ignore=shutil.ignore_patterns("__pycache__"))
        try:
            self._candidates(result, node, training, store, real)
        except Exception as error:  # noqa: BLE001 - one node's crash is its result: counted and shown
            result.error = f"{type(error).__name__}: {' '.join(str(error).split())[:300]}"
        if self.progress is not None:
            self.progress(node.key)
        return result

    def _candidates(
        self,
        result: NodeEval,
        node: NodeSource,
        training: Sequence[NodeSource],
        store: PatternStore,
        real: Path,
    ) -> None:
        source = ranked(node, training)[0]
        copy = self.work / BASELINE / node.key
        copy_renamed(source, node.names, copy)
        self.candidates[(BASELINE, node.key)] = copy
        result.baseline, result.baseline_source = CandidateEval(compare(copy, real)), source.key
        result.structure_right, result.structure_total = structure_top5_right_type(node, training)
        contract_path = node.root / "contract.yaml"
        try:
            contract = load_contract(contract_path)
        except NodeforgeError as refused:
            # Nothing generated: it scores as an empty node, so the means stay over every held-out node.
            result.detail = str(refused)
            nothing = self.work / "nothing"
            nothing.mkdir(exist_ok=True)
            refused_checks = Checks(False, 0, 0, 0, 0, "contract refused")
            result.learned = CandidateEval(compare(nothing, real), refused_checks)
            result.template = CandidateEval(compare(nothing, real)) if self.options.no_learning else None
            return
        result.contract_accepted = True
        result.baseline.handlers = declared_handlers(contract, node.root.name, copy)
        recorder = _Recorder(store)
        if self.options.verify:
            learned, verified = self._generate_in_place(contract_path, contract, node, recorder)
        else:
            learned, verified = (
                self._generate(contract_path, contract, LEARNED, node, cast(PatternStore, recorder)),
                "",
            )
        self.candidates[(LEARNED, node.key)] = learned
        result.learned = CandidateEval(
            compare(learned, real),
            verification=verified,
            handlers=declared_handlers(contract, node.root.name, learned),
        )
        result.retrieval_right, result.retrieval_total = _right_type(store, recorder.queries, node.node_type)
        if self.options.no_learning:
            template = self._generate(contract_path, contract, TEMPLATE, node, None)
            self.candidates[(TEMPLATE, node.key)] = template
            result.template = CandidateEval(
                compare(template, real), handlers=declared_handlers(contract, node.root.name, template)
            )

    def _generate(
        self, path: Path, contract: Contract, kind: str, node: NodeSource, store: PatternStore | None
    ) -> Path:
        out = self.work / kind / node.key
        options = GenerateOptions(out=out, force=True, learning=store is not None)
        report = generate(self.scratch, contract, str(path), self.settings, options, store)
        return Path(report.node_dir)

    def _generate_in_place(
        self, path: Path, contract: Contract, node: NodeSource, store: _Recorder
    ) -> tuple[Path, str]:
        """The learned candidate as a user gets it: written beside the other nodes (the real one
        moved away), verified there with the repository's interpreter, then kept aside."""
        parent = node.root.parent
        parked = self.work / "parked" / node.key
        parked.parent.mkdir(parents=True, exist_ok=True)
        before = set(parent.iterdir())
        shutil.move(node.root, parked)
        options = GenerateOptions(
            out=parent, force=True, verify=True, python=self.python, verify_timeout=self.options.timeout
        )
        try:
            report = generate(
                self.scratch, contract, str(path), self.settings, options, cast(PatternStore, store),
                contract_file=parked / "contract.yaml",
            )  # fmt: skip
            kept = self.work / LEARNED / node.key
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(report.node_dir, kept)
        finally:
            for leftover in set(parent.iterdir()) - before:
                shutil.rmtree(leftover)  # a generated folder named unlike the real one
            shutil.rmtree(node.root, ignore_errors=True)
            shutil.move(parked, node.root)
        verification = report.verification
        said = "; ".join(line.strip() for line in verification.lines()) if verification is not None else ""
        return kept, said

    def _split_runs(self, files: dict[str, Sequence[Path]]) -> dict[str, PytestRun]:
        everything = sorted({f for fs in files.values() for f in fs})
        run = run_pytest(self.scratch, self.python, everything, self.options.timeout)
        if not run.aborted or len(files) == 1:
            return dict.fromkeys(files, run)
        keys = sorted(files)
        half = len(keys) // 2
        return {
            **self._split_runs({k: files[k] for k in keys[:half]}),
            **self._split_runs({k: files[k] for k in keys[half:]}),
        }

    def _tests(
        self, label: str, files: Mapping[str, Sequence[Path]]
    ) -> dict[str, tuple[list[TestOutcome], str]]:
        """Each node's test outcomes and first failure: one pytest run, split in halves if it aborts.

        A conftest that fails to import stops the whole pytest session: then no node would get an
        outcome. Splitting the batch until each abort is down to one node costs a few runs per
        culprit, and only the culprit loses its results.
        """
        runs = self._split_runs(dict(files))
        aborted = sum(run.aborted for run in {id(run): run for run in runs.values()}.values())
        first = next(iter(runs.values()), None)
        self.batches[label] = (
            f"{aborted} node(s) stopped pytest before it reported (a failing conftest, ...)"
            if aborted
            else (first.detail if first is not None else "no tests")
        )
        found = {}
        for key, node_files in files.items():
            outcomes = runs[key].in_files(_rel(f, self.scratch) for f in node_files)
            found[key] = (outcomes, _first_failure(outcomes, runs[key]))
        return found

    def checks(self, kind: str, held: Sequence[NodeSource], results: Mapping[str, NodeEval]) -> None:
        """Drop the held-out nodes' candidates in place, a batch at a time; imports, own and real tests.

        All folds' candidates are checked after every fold has learned and generated: three
        subprocesses per batch instead of three per node. A batch never holds two nodes where one
        mentions the other in its real files, real tests or candidate (``groups``): each candidate
        then meets the real code of every other node it uses, as it would when a user regenerates
        one node. On a repository whose nodes keep to themselves that is one batch.
        """
        by_key = {n.key: n for n in held}
        # What the candidates import counts too: a user regenerating one node has the others real.
        written = references(
            {n.key: own_files(self.candidates[(kind, n.key)], ()) for n in held},
            {n.key: n.root.name for n in held},
        )
        mentions = {key: self.references.get(key, set()) | written[key] for key in by_key}
        batches = independent_batches(list(by_key), mentions)
        for number, keys in enumerate(batches, start=1):
            suffix = f" (batch {number}/{len(batches)})" if len(batches) > 1 else ""
            self._check_batch(kind, [by_key[k] for k in keys], results, suffix)

    def _check_batch(
        self, kind: str, held: Sequence[NodeSource], results: Mapping[str, NodeEval], suffix: str
    ) -> None:
        """Swap ``held`` for their ``kind`` candidates, check them together, put the real nodes back."""
        for node in held:
            shutil.rmtree(node.root)
            shutil.copytree(self.candidates[(kind, node.key)], node.root)
        try:
            imports = check_imports(
                self.scratch, self.python, {n.key: n.root for n in held}, self.options.timeout
            )
            importing = [n for n in held if not imports[n.key]]
            generated = self._tests(
                f"{kind} generated tests{suffix}", {n.key: node_test_files(n.root) for n in importing}
            )
            for node in importing:
                _overlay_tests(self.work / "real" / node.key, node.root, self.real_tests[node.key])
            real = self._tests(
                f"{kind} real tests{suffix}", {n.key: self.real_tests[n.key] for n in importing}
            )
            for node in held:
                failures = imports[node.key]
                gen, gen_detail = generated.get(node.key, ([], ""))
                tests, real_detail = real.get(node.key, ([], ""))
                detail = (
                    f"{failures[0].file}: {failures[0].detail}" if failures else gen_detail or real_detail
                )
                checks = Checks(not failures, *_tally(gen), *_tally(tests), detail)
                candidate = getattr(results[node.key], kind)
                if candidate is not None:
                    candidate.checks = checks
        finally:
            for node in held:
                shutil.rmtree(node.root, ignore_errors=True)
                git(self.scratch, "checkout", "-q", "HEAD", "--", _rel(node.root, self.scratch))


def _count_undefined(candidates: Mapping[tuple[str, str], Path], results: Mapping[str, NodeEval]) -> None:
    counts = undefined_names(list(candidates.values()))
    if counts is None:
        return
    for (kind, key), folder in candidates.items():
        candidate = getattr(results[key], kind) if key in results else None
        if candidate is not None:
            candidate.undefined_names = counts[folder]


def _first_failure(outcomes: Sequence[TestOutcome], run: PytestRun) -> str:
    if run.timed_out or run.aborted:
        return run.detail
    failed = next((o for o in outcomes if not o.passed), None)
    return f"{failed.file}::{failed.name}: {failed.detail}" if failed else ""


def _overlay_tests(real: Path, node_root: Path, tests: Sequence[Path]) -> None:
    """Put the real node's own test modules (with their packages' ``__init__``/``conftest``) over the
    candidate, wherever in the node they live, so its real tests run against the candidate."""
    inside = [t.relative_to(node_root) for t in tests if t.is_relative_to(node_root)]
    support = {
        parent / name for rel in inside for parent in rel.parents for name in ("__init__.py", "conftest.py")
    }
    for rel in sorted({*inside, *support}):
        if (real / rel).is_file():
            (node_root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(real / rel, node_root / rel)


def _right_type(store: PatternStore, queries: Sequence[PatternQuery], node_type: NodeType) -> tuple[int, int]:
    """Of the top-5 for each of generate's queries, without node type or slot filter: the right type."""
    right = total = 0
    for query in queries:
        open_query = dataclasses.replace(query, node_type=None, slot=None, limit=5)
        for candidate in store.query(open_query):
            total += 1
            right += candidate.pattern.node_type == node_type
    return right, total
