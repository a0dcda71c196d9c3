"""The generate flow: contract -> detect -> retrieve -> adapt -> render -> validate -> write -> record."""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import libcst as cst

from nodeforge.config import DEFAULT_BASE_MODULE, Settings
from nodeforge.errors import NodeforgeError
from nodeforge.generation.assemble import Assembled, assemble
from nodeforge.generation.compose import NodePlan, UsedPattern, plan_node
from nodeforge.generation.contract import Contract
from nodeforge.generation.detect import Detection, detect, explain, feature_evidence
from nodeforge.generation.exemplar import NearExemplar, nearest_exemplars, shared_model_paths
from nodeforge.generation.fixtures import bring_fixtures
from nodeforge.generation.formatting import Formatter, find_formatter
from nodeforge.generation.placement import (
    handler_moves,
    node_folder,
    own_packages,
    point_at_folder,
    relocate,
    relocate_node,
)
from nodeforge.generation.pristine import save_pristine
from nodeforge.generation.provenance import (
    GeneratedNode,
    GenerationInputs,
    feedback_event,
    record_generated,
)
from nodeforge.generation.prune import prune_unresolved
from nodeforge.generation.querybatch import Lookups, embed_queries_at_once
from nodeforge.generation.render import environment, header, render_files
from nodeforge.generation.repomodules import RepoModules
from nodeforge.generation.templating import templates_digest
from nodeforge.generation.verify import Choices, Tidy, Verification, repo_python, verify_node
from nodeforge.generation.wiring import WIRING_TEST, wiring_test, with_declared_exports
from nodeforge.learning.nodes import load_directory_node
from nodeforge.learning.quality import analyze
from nodeforge.model import PatternKind, PatternQuery, PatternStatus, ScoredPattern
from nodeforge.naming import NodeNames, split_identifier
from nodeforge.storage.protocol import PatternStore
from nodeforge.writer import safe_target, write_node


@dataclass(frozen=True)
class GenerateOptions:
    out: Path
    dry_run: bool = False
    force: bool = False
    learning: bool = True
    diff: bool = False  # a unified diff of the rendered files against those on disk
    # Self-verification in the target repository (generation.verify); the CLI turns it on in git repos.
    verify: bool = False
    python: str = ""  # the repository's interpreter; "" = nodeforge.generation.verify.repo_python's choice
    verify_timeout: float = 300.0
    # Run the repository's own ruff (or isort and black) on the generated files (generation.formatting).
    format: bool = True


@dataclass
class GenerateReport:
    contract: str
    node_dir: str
    files: list[str] = field(default_factory=list)
    used: list[UsedPattern] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    coverage: dict[str, str] = field(default_factory=dict)
    written: bool = False
    seconds: float = 0.0
    retrieval: str = ""  # "hybrid", "sparse" or "off"
    diff: str = ""
    exemplar: str = ""  # the learned node generation started from, with its similarity facets
    handler_sources: dict[str, str] = field(default_factory=dict)  # operation -> where its code came from
    unresolved: list[str] = field(default_factory=list)  # names the scope check could not resolve
    verification: Verification | None = None

    def explain_lines(self) -> list[str]:
        lines = [f"started from exemplar {self.exemplar}"] if self.exemplar else []
        lines += [f"handler {op}: {where}" for op, where in sorted(self.handler_sources.items())]
        lines += [f"unresolved: {name}" for name in self.unresolved]
        return lines + explain(self.detections)


def validate_files(files: dict[str, str]) -> None:
    """Every generated Python file must compile; a failure is ours, reported as a failed check.

    A file the running Python cannot compile but libcst's parser reads is in syntax newer than
    this interpreter (``type X = ...`` of 3.12 under 3.11): the team's code, valid where it runs.
    """
    for rel, text in files.items():
        if not rel.endswith(".py"):
            continue
        try:
            compile(text, rel, "exec")
        except SyntaxError as error:
            if not _newer_syntax(text):
                raise NodeforgeError(
                    f"generated {rel} does not compile: {error.msg} (line {error.lineno})"
                ) from error


def _newer_syntax(text: str) -> bool:
    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError:
        return False
    return True


def diff_against_disk(target: Path, files: Mapping[str, str | None]) -> str:
    """A unified diff from what is under ``target`` to ``files``; new files diff against nothing,
    and a file mapped to None (to be removed) diffs to nothing."""
    chunks: list[str] = []
    for rel in sorted(files):
        old_path = target / rel
        old = old_path.read_text(encoding="utf-8").splitlines(keepends=True) if old_path.is_file() else []
        text = files[rel]
        new = [] if text is None else text.splitlines(keepends=True)
        name = f"{target.name}/{rel}"
        old_name, new_name = f"a/{name}" if old else "/dev/null", "/dev/null" if text is None else f"b/{name}"
        chunks.extend(difflib.unified_diff(old, new, old_name, new_name))
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)


@dataclass
class Rendered:
    """A node as generation renders it, before anything is written."""

    files: dict[str, str]
    used: list[UsedPattern]
    target: Path
    report: GenerateReport
    templates: str  # the digest of the templates it was rendered with
    template_only: Callable[[], dict[str, str]]  # the node from templates alone: verify's fallback
    contract_file: Path  # where the contract was read from
    # Handler path -> the next learned candidates, best first: verify tries them before the template.
    alternatives: dict[str, list[str]] = field(default_factory=dict)
    # After verify swaps a file: the node's files as they must be for the rest to resolve.
    tidy: Tidy | None = None


def render_node(
    repo: Path,
    contract: Contract,
    source: str,
    settings: Settings,
    options: GenerateOptions,
    store: PatternStore | None,
    *,
    contract_file: Path | None = None,
) -> Rendered:
    """The files of ``contract``'s node under ``options.out``, rendered, checked and formatted in the
    team's style; nothing written. Every read of the store happens here."""
    detections = detect(contract, threshold=settings.detection_threshold)
    retriever = _retriever(store) if options.learning and store is not None else None
    retrieval = _retrieval_mode(store, options)
    if retrieval == "hybrid" and store is not None:  # one embedding call for all the queries below
        embed_queries_at_once(store, contract, _lookups(contract, settings, detections))
    base_module, base_note = _base_module(settings, contract, store if options.learning else None)
    templates = environment((repo / settings.templates_dir) if settings.templates_dir else None)
    near = nearest_exemplars(store, contract) if retriever is not None and store is not None else []
    repo_modules = RepoModules.of(repo)  # read once: assembly's scope checks and verify's tidying
    built = None
    if near and store is not None:
        # From an exemplar, the template's files only stand in where nothing learned fits.
        stand_in = _plan(contract, None, settings, base_module, detections)
        stand_in_files = render_files(stand_in, templates, source)
        built = _from_exemplar(contract, source, near, store, stand_in_files, repo_modules)
    plan = _plan(contract, retriever if built is None else None, settings, base_module, detections)
    if base_note:
        plan.notes.append(base_note)
    if retriever is not None and store is not None:
        plan.notes.extend(_held_back(store, contract))
    uncovered = [need.label for need in plan.features if need.label not in plan.coverage]
    plan.notes.extend(
        f"{label}: no learned pattern shows it; add it by hand"
        for label in uncovered
        if options.learning and built is None
    )
    files, used = (built.files, built.used) if built else (render_files(plan, templates, source), plan.used)
    folder = node_folder(contract, plan.names)
    moves = handler_moves(contract, plan.names)  # handler modules the contract keeps outside handlers/
    head = header([], source)
    wired = partial(wiring_test, contract, folder=folder, moves=moves, env=templates, header=head)
    place = partial(_placed, contract, plan.names, folder, moves, wired)
    files = place(files)
    contract_path = contract_file or Path(source)
    files["contract.yaml"] = contract_path.read_text(encoding="utf-8") if contract_path.is_file() else ""
    target = safe_target(options.out, folder)
    fixtures = bring_fixtures(files, repo, target)  # reused tests may have left their conftest behind
    files = fixtures.files
    validate_files(files)
    formatter = _formatter(repo, settings, options)
    files, format_problems = formatter.apply(repo, target, files)
    report = GenerateReport(
        contract=source,
        node_dir=str(target),
        files=sorted(files),
        used=used,
        detections=detections,
        notes=plan.notes if built is None else plan.notes + built.notes,
        coverage=plan.coverage if built is None else _coverage(plan, built),
        retrieval=retrieval,
    )
    report.notes += fixtures.notes
    report.notes += [formatter.note, *format_problems] if options.format else []
    if built is not None:
        report.exemplar = built.exemplar.describe()
        report.handler_sources = built.handlers
        report.unresolved = [u.describe() for u in built.unresolved]

    def template_only() -> dict[str, str]:
        plain = render_files(_plan(contract, None, settings, base_module, detections), templates, source)
        return formatter.apply(repo, target, place(plain))[0]

    alternatives = {
        moves.get(rel, rel): list(
            relocate(
                point_at_folder(dict(enumerate(texts)), plan.names, folder),
                moves,
                dict.fromkeys(range(len(texts)), rel),
            ).values()
        )
        for rel, texts in (built.alternatives if built is not None else {}).items()
    }
    own, outside = own_packages(contract, plan.names), repo_modules.names

    def tidy(node_files: Mapping[str, str]) -> Mapping[str, str]:
        return prune_unresolved(node_files, own, outside).files

    return Rendered(
        files,
        used,
        target,
        report,
        templates_digest(templates),
        template_only,
        contract_path,
        alternatives,
        tidy,
    )


def generate(
    repo: Path,
    contract: Contract,
    source: str,
    settings: Settings,
    options: GenerateOptions,
    store: PatternStore | None,
    *,
    contract_file: Path | None = None,
) -> GenerateReport:
    """Generate the node of ``contract``. ``source`` names the contract in headers (repo-relative);
    ``contract_file`` is where it is read from (default: ``source``)."""
    started = time.perf_counter()
    rendered = render_node(repo, contract, source, settings, options, store, contract_file=contract_file)
    report = write_rendered(repo, rendered, settings, options)
    if report.written:
        record_node(repo, rendered.target, rendered.used, store, generation_inputs(repo, rendered, options))
    report.seconds = time.perf_counter() - started
    return report


def write_rendered(
    repo: Path, rendered: Rendered, settings: Settings, options: GenerateOptions
) -> GenerateReport:
    """Diff, write and verify a rendered node; the store is not needed (the CLI has let it go).
    Verification may swap files: ``rendered.used`` then keeps only the patterns still in the node."""
    files, target, report = rendered.files, rendered.target, rendered.report
    if options.diff:
        report.diff = diff_against_disk(target, files)
    if options.dry_run and target.exists() and not options.force:
        report.notes.append(f"{target} exists: writing it needs --force")
    if not options.dry_run:
        write_node(target, files, force=options.force)
        report.written = True
        if options.verify:
            report.verification = _verify(repo, target, rendered, settings, options)
            rendered.used = _still_used(rendered.used, report)
            for rel in report.verification.left_out:  # gone from the node: not in its record either
                rendered.files.pop(rel, None)
            report.files = sorted(rendered.files)
    return report


def _still_used(used: Sequence[UsedPattern], report: GenerateReport) -> list[UsedPattern]:
    """The patterns whose code is still in the node after verification: one whose file was swapped
    for its next candidate is not credited with the node's later verdicts (its code is gone)."""
    verification = report.verification
    replaced = {*verification.replaced, *verification.left_out} if verification else set()
    kept = [u for u in used if not u.file or u.file not in replaced]
    report.notes += [f"verify: {u.id[:12]} not credited, {u.file} replaced" for u in used if u not in kept]
    report.used = kept
    return kept


def generation_inputs(repo: Path, rendered: Rendered, options: GenerateOptions) -> GenerationInputs:
    """What the node was generated from, for ``record_node``."""
    return GenerationInputs(
        contract=_repo_relative(rendered.contract_file, repo),
        source=rendered.report.contract,
        templates=rendered.templates,
        files=tuple(sorted(rendered.files)),
        learning=options.learning,
    )


def _repo_relative(path: Path, repo: Path) -> str:
    resolved, root = path.resolve(), repo.resolve()
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(resolved)


def _lookups(contract: Contract, settings: Settings, detections: Sequence[Detection]) -> Lookups:
    """The queries of this module's own: the base import, and the plan built without an exemplar."""
    return (
        lambda store: _base_module(settings, contract, store),
        lambda store: _plan(contract, _Retrieve(store), settings, settings.base_module, detections),
    )


def _plan(
    contract: Contract,
    retriever: _Retrieve | None,
    settings: Settings,
    base_module: str,
    detections: Sequence[Detection],
) -> NodePlan:
    hint = " ".join(sorted({d.kind for d in detections} | {d.subkind for d in detections if d.subkind}))
    return plan_node(
        contract,
        retrieve=retriever,
        quality=lambda code: analyze(code).score,
        quality_threshold=settings.quality_threshold,
        min_score=settings.min_score,
        base_module=base_module,
        query_hint=hint,
        detections=detections,
    )


def _verify(
    repo: Path,
    target: Path,
    rendered: Rendered,
    settings: Settings,
    options: GenerateOptions,
) -> Verification:
    """Import the written node and run its tests in the repository's interpreter.

    A file at fault gets its next candidates: the learned ones that came next (the nearest
    exemplar's own first), then, while the node does not import, the template's version of the
    file. A test borrowed from another node that still fails is dropped and said.
    """
    files = rendered.files
    learned = {
        rel: [t for t in dict.fromkeys(texts) if t != files[rel]]
        for rel, texts in rendered.alternatives.items()
        if rel in files
    }
    template = rendered.template_only()
    # The wiring test is the node's own, written from its contract: never swapped, never dropped.
    fallbacks = {
        rel: text
        for rel, text in template.items()
        if rel in files and text != files[rel] and rel != WIRING_TEST
    }
    borrowed = frozenset(
        rel
        for rel, text in files.items()
        if rel.startswith("tests/")
        and rel != WIRING_TEST
        and rel.rsplit("/", 1)[-1].startswith("test_")
        and template.get(rel) != text
    )
    choices = Choices({rel: t for rel, t in learned.items() if t}, fallbacks, borrowed, rendered.tidy)
    python = repo_python(repo, options.python or settings.python)
    return verify_node(repo, target, python, options.verify_timeout, choices)


def _formatter(repo: Path, settings: Settings, options: GenerateOptions) -> Formatter:
    if not options.format:
        return Formatter((), "")
    return find_formatter(repo, repo_python(repo, options.python or settings.python))


def _base_module(settings: Settings, contract: Contract, store: PatternStore | None) -> tuple[str, str]:
    """Where the node's base class comes from: the team's setting, else the team's own nodes.

    Without ``base_module`` in ``[tool.nodeforge]``, the import the team's nodes of this type use
    (an ``imports:base`` pattern) beats the ONEX default, which the team may not have installed.
    """
    if settings.base_module != DEFAULT_BASE_MODULE or store is None:
        return settings.base_module, ""
    node_type = contract.node_type
    query = PatternQuery(
        text=f"{node_type.base_class} import",
        node_type=node_type,
        slot=f"{node_type.value}:imports:base",
        kind=PatternKind.IMPORTS,
        limit=5,
    )
    for candidate in store.query(query):
        learned = candidate.pattern.extra.get("base_module", "")
        # A node class may derive from something else (its own handler class): not the base to use.
        if learned and node_type.base_class in candidate.pattern.extra.get("base_class", "").split(","):
            return learned, f"base class {node_type.base_class} from {learned}, as the team's nodes import it"
    return settings.base_module, ""


def _held_back(store: PatternStore, contract: Contract) -> list[str]:
    """Learned code of this node type a person has not reviewed yet: never used, but said."""
    held = store.list(statuses=(PatternStatus.HELD,), node_type=contract.node_type)
    return [
        f"held back for review: {p.slot} {p.id[:12]} ({p.extra.get('held_reason', 'unreviewed')}); "
        "see `nodeforge patterns review`"
        for p in held
    ]


def _retriever(store: PatternStore) -> _Retrieve:
    return _Retrieve(store)


@dataclass(frozen=True)
class _Retrieve:
    store: PatternStore

    def __call__(self, query: PatternQuery) -> Sequence[ScoredPattern]:
        return self.store.query(query)


def _retrieval_mode(store: PatternStore | None, options: GenerateOptions) -> str:
    if not options.learning or store is None:
        return "off"
    return "hybrid" if store.info().dense_available else "sparse"


def _from_exemplar(
    contract: Contract,
    source: str,
    near: Sequence[NearExemplar],
    store: PatternStore,
    template_files: dict[str, str],
    repo_modules: RepoModules,
) -> Assembled | None:
    """The node built from its nearest learned node, or None when no learned node is near enough.

    The template's files stand in where the exemplar has nothing: a handler no learned code fits,
    a model the exemplar kept elsewhere.
    """
    built = assemble(
        contract,
        near,
        store,
        lambda target: template_files[f"handlers/{target.module}.py"],
        repo_modules.names,
    )
    if built is None:
        return None
    for rel, text in template_files.items():
        if rel.startswith("models/") and rel not in built.files and rel not in shared_model_paths(contract):
            built.files[rel] = text
    # Test modules in a folder without ``__init__`` are imported by their base name: a second
    # ``tests/test_handler.py`` anywhere in the repository then stops pytest's collection. Every
    # node has tests (at least the contract's wiring test).
    if "tests/__init__.py" not in built.files:
        built.files["tests/__init__.py"] = template_files["tests/__init__.py"]
    head = header(built.used, source)
    built.files = {
        rel: f"{head}\n{text}" if rel.endswith(".py") else text for rel, text in built.files.items()
    }
    built.alternatives = {rel: [f"{head}\n{t}" for t in texts] for rel, texts in built.alternatives.items()}
    return built


def _placed(
    contract: Contract,
    names: NodeNames,
    folder: str,
    moves: Mapping[str, str],
    wired: Callable[[Mapping[str, str]], str | None],
    files: Mapping[str, str],
) -> dict[str, str]:
    """A node's files where the contract places them: its package named ``folder``, handler modules
    moved, declared models importable from the modules the contract names, and its wiring test."""
    placed = relocate_node(point_at_folder(files, names, folder), moves)
    placed = with_declared_exports(contract, placed, folder)
    test = wired(placed)  # none for a contract that names no handler and no model
    return placed if test is None else {**placed, WIRING_TEST: test}


def _coverage(plan: NodePlan, built: Assembled) -> dict[str, str]:
    """Which of the contract's cross-cutting needs the handlers built from learned code show, and how."""
    words = [
        word
        for rel, text in built.files.items()
        if rel.startswith("handlers/")
        for word in split_identifier(text)
    ]
    found = {}
    for need in plan.features:
        word = feature_evidence(need, words)
        if word:
            found[need.label] = f"{built.exemplar.pattern.id} ({word})"
    return found


def record_node(
    repo: Path,
    target: Path,
    used: Sequence[UsedPattern],
    store: PatternStore | None,
    inputs: GenerationInputs,
    pristine: Mapping[str, str] | None = None,
) -> None:
    """Remember what the node used (its exemplar too), so its own verdicts feed back into them, and
    what it was generated from and as, so ``nodeforge update`` can bring it forward later.

    The pristine files (the base of a later merge) are read back from disk unless given: verification
    may have swapped one for its template version, and the base must be what was really generated.
    """
    node = load_directory_node(target, repo) if target.is_relative_to(repo.resolve()) else None
    # Outside the repository no verdict of this repository's tests reaches the node, and update
    # cannot find it: nothing to record, and generated.json keeps repository-relative keys only.
    key = node.key if node else f"outside the repository: {target.name}"
    content = node.content_hash if node else ""
    patterns = tuple((u.id, u.version) for u in used)
    if node is not None:
        if pristine is None:
            pristine = {rel: (target / rel).read_text(encoding="utf-8") for rel in inputs.files}
        save_pristine(repo, key, pristine)
        record_generated(repo, GeneratedNode(key, content, patterns, inputs=inputs))
    if store is not None and used:
        # One event per generated node and content: generating the same node again counts once.
        event = feedback_event(key, content, patterns)
        store.record_usage([u.id for u in used], event=event)
