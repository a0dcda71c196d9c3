"""Build a new node from its nearest exemplar, with each handler chosen by consensus of near nodes.

1. The exemplar's files, routed to the contract's handlers (``fanout.fan_out``): node.py, registry,
   package files, support modules and models keep the team's layout and constructor conventions.
2. Models go where the contract says: renamed in the node, or imported from a shared package (the
   local file is then left out); an input and an output model declared in one module share it.
3. Each handler module (and its tests) is chosen among the near exemplars' handlers and the learned
   operation patterns by consensus (``consensus``): the candidate most like the others, weighted
   by how near its node is and how well it fits the operation's meaning, is the best bet on the
   unknown real handler (copying the single nearest node's handler lost to copying the nearest
   node by contract words). A candidate whose names do not all resolve in the node
   (``scope.check_module``) gives way to the next, and the template's handler comes last.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst

from nodeforge.generation.compose import UsedPattern, model_names
from nodeforge.generation.consensus import consensus_order
from nodeforge.generation.contract import Contract
from nodeforge.generation.exemplar import (
    NearExemplar,
    Need,
    io_of,
    meaning,
    needs,
    operation_patterns,
    shared_model_paths,
    sources,
)
from nodeforge.generation.fanout import (
    HandlerRef,
    absolute_model_imports,
    fan_out,
    imports_name,
    rename_handler,
)
from nodeforge.generation.holefill import fill_holes, holes_of
from nodeforge.generation.idiomfit import compose_idiom
from nodeforge.generation.modmerge import merge_modules
from nodeforge.generation.placement import own_packages
from nodeforge.generation.prune import prune_unresolved
from nodeforge.generation.scope import (
    OutsideNames,
    Unresolved,
    check_module,
    check_node,
    unresolved_relative_imports,
)
from nodeforge.generation.support import support_for
from nodeforge.learning.extract.exemplar import exemplar_features, exemplar_files
from nodeforge.learning.generalize import adapt_code
from nodeforge.learning.vocabulary import contract_names
from nodeforge.model import DependencyKind, Pattern, ScoredPattern
from nodeforge.naming import (
    ENTITY_PASCAL,
    ENTITY_SNAKE,
    MODEL_PACKAGES,
    NodeNames,
    instantiate_text,
    split_identifier,
)
from nodeforge.storage.protocol import PatternStore

HANDLER_POOL = 20  # near exemplars whose handlers compete for each operation (by consensus)
ALTERNATIVES = 2  # further handler modules per operation that self-verification may swap in
# The conventional (class, module) of an exemplar whose contract does not name its models.
_DEFAULT_INPUT = (f"Model{ENTITY_PASCAL}Input", f"model_{ENTITY_SNAKE}_input")
_DEFAULT_OUTPUT = (f"Model{ENTITY_PASCAL}Output", f"model_{ENTITY_SNAKE}_output")
TemplateHandler = Callable[[HandlerRef], str]


@dataclass
class Assembled:
    files: dict[str, str]
    exemplar: NearExemplar
    used: list[UsedPattern] = field(default_factory=list)
    handlers: dict[str, str] = field(default_factory=dict)  # operation -> where its code came from
    notes: list[str] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    # Handler path -> the next candidates for it, best first (generation.verify swaps them in).
    alternatives: dict[str, list[str]] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)  # handler modules an operation's handler went into


@dataclass(frozen=True)
class _Candidate:
    score: float
    origin: str
    module: str  # generalized, already renamed to the target handler
    tests: tuple[tuple[str, str], ...]  # (generalized path, generalized code)
    used: tuple[UsedPattern, ...]
    original: str = ""  # the learned module as it was mined (generalized), before renaming
    support: tuple[tuple[str, str], ...] = ()  # its node's other modules (generalized), to bring along
    nodes: tuple[str, ...] = ()  # the node(s) the module comes from
    source: HandlerRef | None = None  # the handler it was in its node (generalized names)
    target: HandlerRef | None = None
    prior: float = 0.0  # how likely the new handler is like this one, before comparing candidates


def _used(pattern: Pattern, score: float) -> UsedPattern:
    return UsedPattern(pattern.id, pattern.version, pattern.kind.value, pattern.slot, round(score, 4))


def _assign(need_list: Sequence[Need], near: NearExemplar) -> dict[HandlerRef, list[HandlerRef]]:
    """Each new handler takes the exemplar handler closest in meaning; one-to-one while both remain."""
    features = exemplar_features(near.pattern)
    own = sources(near.pattern)
    pairs = sorted(
        (
            (-meaning(need, src.operation, io_of(features, src.operation), ()), i, j)
            for i, need in enumerate(need_list)
            for j, src in enumerate(own)
        ),
    )
    plan: dict[HandlerRef, list[HandlerRef]] = {src: [] for src in own}
    placed: set[int] = set()
    taken: set[int] = set()
    for _, i, j in pairs:
        if i not in placed and j not in taken:
            plan[own[j]].append(need_list[i].target)
            placed.add(i)
            taken.add(j)
    for _, i, j in pairs:
        if i not in placed:
            plan[own[j]].append(need_list[i].target)
            placed.add(i)
    return plan


def _tests_of(files: Mapping[str, str], src: HandlerRef) -> list[tuple[str, str]]:
    """The exemplar's tests of one handler: those that import its class (on one line or in a
    parenthesized, formatted import)."""
    return [
        (rel, code)
        for rel, code in files.items()
        if rel.startswith("tests/") and imports_name(code, src.class_name)
    ]


def _exemplar_candidates(need: Need, near: Sequence[NearExemplar]) -> list[_Candidate]:
    found = []
    for rank, candidate in enumerate(near[:HANDLER_POOL]):
        files = exemplar_files(candidate.pattern)
        features = exemplar_features(candidate.pattern)
        for src in sources(candidate.pattern):
            fit = meaning(need, src.operation, io_of(features, src.operation), features.description_words)
            # The new handler is likelier like a near node's handler that serves the same need.
            prior = fit + candidate.similarity.score
            # Nearer nodes share more of the new node's structure: a small edge, never more than meaning.
            fit += 0.1 * candidate.similarity.score - 0.001 * rank
            module = rename_handler(files[f"handlers/{src.module}.py"], src, need.target)
            tests = tuple(
                (rel.replace(src.module, need.target.module), rename_handler(code, src, need.target))
                for rel, code in _tests_of(files, src)
            )
            origin = f"handler {src.operation} of {candidate.pattern.provenance.node_name}"
            original = files[f"handlers/{src.module}.py"]
            support = tuple((rel, code) for rel, code in files.items() if _is_support(rel))
            used = (_used(candidate.pattern, fit),)
            found.append(
                _Candidate(
                    fit,
                    origin,
                    module,
                    tests,
                    used,
                    original,
                    support,
                    candidate.pattern.source_nodes,
                    src,
                    need.target,
                    prior,
                )
            )
    return found


def _is_support(rel: str) -> bool:
    """A node module a handler may import: not a handler, a test, a package file or the node itself."""
    name = rel.rsplit("/", 1)[-1]
    if not name.endswith(".py"):
        return False
    return not (rel.startswith(("handlers/", "tests/")) or name in ("__init__.py", "node.py"))


def _pattern_module(pattern: Pattern, target: HandlerRef) -> str:
    imports = [d.code for d in pattern.dependencies if d.kind == DependencyKind.IMPORT and not d.origin]
    definitions = [
        d.code for d in pattern.dependencies if d.kind == DependencyKind.DEFINITION and not d.origin
    ]
    code = pattern.code
    own = pattern.extra.get("class_name", "")
    if own:
        code = rename_handler(code, HandlerRef("", own, ""), HandlerRef("", target.class_name, ""))
    blocks = ["from __future__ import annotations", "\n".join(dict.fromkeys(imports)), *definitions, code]
    return "\n\n\n".join(block.strip() for block in blocks if block.strip()) + "\n"


def _pattern_candidates(need: Need, hits: Sequence[ScoredPattern]) -> list[_Candidate]:
    found = []
    for hit in hits:
        pattern = hit.pattern
        fit = meaning(need, pattern.operation, "", split_identifier(pattern.summary))
        origin = f"operation pattern {pattern.id[:12]} ({pattern.slot})"
        module = _pattern_module(pattern, need.target)
        found.append(_Candidate(fit, origin, module, (), (_used(pattern, hit.score),), prior=fit))
    return found


def _credit(candidate: _Candidate, hits: Sequence[ScoredPattern], names: NodeNames) -> _Candidate:
    """An exemplar's handler that a learned operation pattern shows credits that pattern; when the
    pattern is an idiom merged from several nodes (holes filled for the new node), the idiom's class
    replaces the node's own in the node's module (``idiomfit``)."""
    also: list[UsedPattern] = []
    module = candidate.module
    for hit in hits:
        pattern = hit.pattern
        if pattern.code.strip() in candidate.original:
            also.append(_used(pattern, hit.score))
        elif _instance_of(candidate, pattern) and candidate.source and candidate.target:
            filled = fill_holes(pattern, names)
            idiom = rename_handler(filled.code, candidate.source, candidate.target)
            imports = [
                d.code for d in filled.dependencies if d.kind == DependencyKind.IMPORT and not d.origin
            ]
            composed = compose_idiom(module, candidate.target.class_name, idiom, imports)
            if composed is not None:
                module = composed
                also.append(_used(pattern, hit.score))
    return dataclasses.replace(candidate, module=module, used=(*also, *candidate.used))


def _instance_of(candidate: _Candidate, pattern: Pattern) -> bool:
    """Whether ``pattern`` is an idiom (holes, several nodes) that the candidate's handler is one of."""
    if candidate.source is None or not holes_of(pattern) or pattern.support < 2:
        return False
    same_class = pattern.extra.get("class_name", "") == candidate.source.class_name
    return same_class and bool(set(pattern.source_nodes) & set(candidate.nodes))


@dataclass(frozen=True)
class _Models:
    renames: dict[str, str]  # instantiated name -> the contract's
    moved: dict[str, str]  # node-relative module path -> absolute module (shared packages)
    names: NodeNames  # the new node's, as its contract spells them
    own: frozenset[str] = frozenset()  # folder names the node's code may import itself through
    outside: OutsideNames | None = None  # what the repository's other modules define


def _models(contract: Contract, near: NearExemplar, outside: OutsideNames | None) -> _Models:
    names = contract_names(contract)
    features = exemplar_features(near.pattern)
    in_name, in_module, out_name, out_module = model_names(contract, names)
    renames: dict[str, str] = {}
    pairs = (
        (features.input_model, _DEFAULT_INPUT, in_name, in_module),
        (features.output_model, _DEFAULT_OUTPUT, out_name, out_module),
    )
    for (ex_name, ex_module), default, name, module in pairs:
        ex_class = instantiate_text(ex_name or default[0], names)
        ex_basename = instantiate_text((ex_module or default[1]).rsplit(".", 1)[-1], names)
        if ex_class != name:
            renames[ex_class] = name
        if ex_basename != module and not MODEL_PACKAGES & {ex_basename, module}:
            renames[ex_basename] = module
    return _Models(renames, shared_model_paths(contract), names, own_packages(contract, names), outside)


def _instantiate(code: str, contract: Contract, models: _Models) -> str:
    return adapt_code(code, models.names, models.renames)


def _path(rel: str, contract: Contract, models: _Models) -> str:
    path = instantiate_text(rel, models.names)
    folder, _, filename = path.rpartition("/")
    stem = filename.removesuffix(".py")
    stem = models.renames.get(stem, stem)
    return f"{folder}/{stem}.py" if folder else f"{stem}.py"


def _put(files: dict[str, str], rel: str, code: str) -> None:
    files[rel] = merge_modules(files[rel], code) if rel in files and rel.endswith(".py") else code


def _skeleton(
    contract: Contract, near: NearExemplar, plan: Mapping[HandlerRef, Sequence[HandlerRef]], models: _Models
) -> dict[str, str]:
    """Every exemplar file except its handler modules and their tests, routed and instantiated."""
    files = exemplar_files(near.pattern)
    per_handler = {f"handlers/{src.module}.py" for src in plan}
    per_handler.update(rel for src in plan for rel, _ in _tests_of(files, src))
    built: dict[str, str] = {}
    for rel, code in sorted(files.items()):
        if rel in per_handler:
            continue
        if not rel.endswith(".py"):  # a data file: the new node's names in it, nothing to parse
            built[instantiate_text(rel, models.names)] = instantiate_text(code, models.names)
            continue
        path = _path(rel, contract, models)
        if path in models.moved:
            continue
        _put(built, path, _instantiate(fan_out(code, plan), contract, models))
    return built


def assemble(
    contract: Contract,
    near: Sequence[NearExemplar],
    store: PatternStore,
    template_handler: TemplateHandler,
    outside: OutsideNames | None = None,
) -> Assembled | None:
    """The node built from the nearest exemplar with a handler to route, or None when none has one
    (or the contract needs no handler).

    An exemplar whose handlers its contract does not declare where they live gives no handler to
    route; the next nearest one does, and is nearer than the template.
    ``outside`` tells what the repository's other modules define (``repomodules``): reused code
    that imports a name they lack counts as unresolved, as an undefined name does.
    """
    best = next((n for n in near if sources(n.pattern)), None)
    need_list = needs(contract)
    if best is None or not need_list:
        return None
    plan = _assign(need_list, best)
    models = _models(contract, best, outside)
    result = Assembled(_skeleton(contract, best, plan, models), best, used=[_used(best.pattern, best.score)])
    for need in need_list:
        _choose_handler(result, contract, need, near, store, models, template_handler)
    for rel in list(result.files):
        if rel.endswith(".py"):
            result.files[rel] = absolute_model_imports(rel, result.files[rel], models.moved)
    pruned = prune_unresolved(result.files, models.own, models.outside)
    result.files = pruned.files
    result.notes += pruned.notes
    result.unresolved = check_node(result.files, models.own, models.outside)
    return result


def _bring_support(
    rel: str,
    module: str,
    files: Mapping[str, str],
    candidate: _Candidate,
    contract: Contract,
    models: _Models,
) -> dict[str, str] | None:
    """The candidate's own node modules that make its relative imports resolve here, if any do."""
    if not candidate.support:
        return None
    support = {
        _path(p, contract, models): _instantiate(code, contract, models) for p, code in candidate.support
    }
    return support_for(rel, module, files, support, models.own)


@dataclass(frozen=True)
class _Fit:
    """A candidate adapted to the node: its module, tests and the support it brings, or what it lacks."""

    module: str
    tests: list[tuple[str, str]]
    brought: dict[str, str]
    missing: list[Unresolved]
    breaks: list[Unresolved]  # names other node modules import from it that it does not define


def _fit(
    rel: str, candidate: _Candidate, files: Mapping[str, str], contract: Contract, models: _Models
) -> _Fit:
    """Raises ``libcst.ParserSyntaxError`` when the candidate does not parse once adapted."""
    module = absolute_model_imports(rel, _instantiate(candidate.module, contract, models), models.moved)
    tests = [
        (_path(p, contract, models), _instantiate(code, contract, models)) for p, code in candidate.tests
    ]
    trial = {**files, rel: module}
    missing = check_module(rel, module, trial, models.own, models.outside)
    brought = _bring_support(rel, module, files, candidate, contract, models) if missing else None
    if brought:
        trial.update(brought)
        missing = check_module(rel, module, trial, models.own, models.outside)
    return _Fit(module, tests, brought or {}, missing, _broken_importers(rel, files, trial, models.own))


def _broken_importers(
    rel: str, files: Mapping[str, str], trial: Mapping[str, str], own: frozenset[str]
) -> list[Unresolved]:
    """Names the node's other modules (``__main__``, registry...) import from ``rel`` that the
    candidate in ``trial`` does not define. A package ``__init__`` only re-exports: the re-exports
    that do not resolve are dropped once the handlers are chosen (``prune``), so it breaks nothing."""
    stem = rel.removesuffix(".py").rsplit("/", 1)[-1]
    return [
        u
        for path, code in files.items()
        if path != rel
        and path.endswith(".py")
        and not path.startswith("tests/")
        and not path.endswith("__init__.py")
        and stem in code
        for u in unresolved_relative_imports(path, code, trial, own)
        if u.module == rel
    ]


def _choose_handler(
    result: Assembled,
    contract: Contract,
    need: Need,
    near: Sequence[NearExemplar],
    store: PatternStore,
    models: _Models,
    template_handler: TemplateHandler,
) -> None:
    hits = operation_patterns(store, contract, need)
    candidates = [
        _credit(c, hits, models.names) for c in _exemplar_candidates(need, near)
    ] + _pattern_candidates(need, hits)
    order = consensus_order([c.module for c in candidates], [c.prior for c in candidates])
    candidates = [candidates[i] for i in order]
    rel = f"handlers/{need.target.module}.py"
    # Another operation's handler already in this module (the contract names one module for both).
    earlier = result.files[rel] if rel in result.taken else None
    result.taken.add(rel)
    # First a candidate that also gives what the node's other modules import from it; else any.
    for index, candidate, fit in _fits(rel, candidates, result, contract, models, need):
        if fit.missing:
            shown = ", ".join(u.name for u in fit.missing[:3])
            result.notes.append(f"{need.target.operation}: {candidate.origin} leaves {shown} undefined; next")
            continue
        _take(result, need, rel, candidate, fit, models)
        if earlier is None:
            result.alternatives[rel] = _next_candidates(
                rel, candidates[index + 1 :], near, result, contract, models
            )
        else:  # a shared module: a swap of the file would lose the other handler
            result.files[rel] = merge_modules(earlier, result.files[rel])
            result.alternatives.pop(rel, None)
        return
    # The template writes every handler of a shared module into it: this operation's only here.
    others = {n.target.class_name for n in needs(contract) if n.target.module == need.target.module} - {
        need.target.class_name
    }
    template = _without_classes(template_handler(need.target), others)
    result.files[rel] = template if earlier is None else merge_modules(earlier, template)
    result.handlers[need.target.operation] = "the template (no learned handler resolves in this node)"


def _without_classes(code: str, names: set[str]) -> str:
    if not names:
        return code
    module = cst.parse_module(code)
    kept = [s for s in module.body if not (isinstance(s, cst.ClassDef) and s.name.value in names)]
    return module.with_changes(body=kept).code


def _fits(
    rel: str,
    candidates: Sequence[_Candidate],
    result: Assembled,
    contract: Contract,
    models: _Models,
    need: Need,
) -> Iterator[tuple[int, _Candidate, _Fit]]:
    """Candidates in order, fitted one at a time (a fit is a scope analysis, and the first that
    resolves is usually taken); those that break another module's imports only after all others."""
    breaking: list[tuple[int, _Candidate, _Fit]] = []
    for index, candidate in enumerate(candidates):
        try:
            fit = _fit(rel, candidate, result.files, contract, models)
        except cst.ParserSyntaxError:
            result.notes.append(
                f"{need.target.operation}: {candidate.origin} does not parse once adapted; next"
            )
            continue
        if fit.breaks:
            breaking.append((index, candidate, fit))
        else:
            yield index, candidate, fit
    yield from breaking


def _take(result: Assembled, need: Need, rel: str, candidate: _Candidate, fit: _Fit, models: _Models) -> None:
    result.files.update(fit.brought)
    result.files[rel] = fit.module
    if fit.brought:
        result.notes.append(f"{need.target.operation}: brought along {', '.join(sorted(fit.brought))}")
    for path, code in fit.tests:
        unresolved = check_module(path, code, {**result.files, path: code}, models.own, models.outside)
        if unresolved:
            shown = ", ".join(u.describe() for u in unresolved[:3])
            result.notes.append(f"{need.target.operation}: test {path} left out ({shown})")
        else:
            result.files[path] = code
    result.handlers[need.target.operation] = f"{candidate.origin} (meaning {candidate.score:.2f})"
    taken = {x.id for x in result.used}
    result.used.extend(dataclasses.replace(u, file=rel) for u in candidate.used if u.id not in taken)


def _next_candidates(
    rel: str,
    rest: Sequence[_Candidate],
    near: Sequence[NearExemplar],
    result: Assembled,
    contract: Contract,
    models: _Models,
) -> list[str]:
    """The handler modules self-verification may try next, best first: the nearest exemplar's own
    handlers (its structure is the node's), then the other candidates; only those that resolve
    here as they are (nothing to bring along, so a swap of this one file is whole)."""
    nearest = set(near[0].pattern.source_nodes) if near else set()
    ordered = sorted(rest, key=lambda c: (not (set(c.nodes) & nearest), -c.score))
    found: list[str] = []
    for candidate in ordered:
        if len(found) == ALTERNATIVES:
            break
        try:
            fit = _fit(rel, candidate, {k: v for k, v in result.files.items() if k != rel}, contract, models)
        except cst.ParserSyntaxError:
            continue
        if (
            not fit.missing
            and not fit.brought
            and not fit.breaks  # a swap of this file alone must leave the node's other imports whole
            and fit.module not in found
            and fit.module != result.files[rel]
        ):
            found.append(fit.module)
    return found
