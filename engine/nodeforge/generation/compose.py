"""Choose the best learned patterns for a contract and adapt them into one coherent node plan.

For every operation the best-ranked operation pattern whose adaptation parses and passes the quality
gate is used; otherwise the template's code is, and the plan says why. Imports are merged and
deduplicated, node-local definitions are written once per module, and every used pattern is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from nodeforge.generation.contract import Contract
from nodeforge.generation.detect import FEATURE_KINDS, Detection, feature_evidence
from nodeforge.generation.holefill import fill_holes
from nodeforge.generation.scope import undefined_in_module
from nodeforge.learning.generalize import adapt_code
from nodeforge.learning.vocabulary import contract_names
from nodeforge.model import (
    Dependency,
    DependencyKind,
    NodeType,
    Pattern,
    PatternKind,
    PatternQuery,
    ScoredPattern,
)
from nodeforge.naming import NodeNames, generalize_text, instantiate_text, snake_case, split_identifier

Retriever = Callable[[PatternQuery], Sequence[ScoredPattern]]
QualityCheck = Callable[[str], float]


@dataclass(frozen=True)
class UsedPattern:
    id: str
    version: int
    kind: str
    slot: str
    score: float
    file: str = ""  # the node file its code went into; "" when it shaped the node as a whole


@dataclass
class ModulePlan:
    """A generated module assembled from learned imports and definitions (deduplicated by name)."""

    imports: list[str] = field(default_factory=list)
    definitions: dict[str, str] = field(default_factory=dict)

    def add(self, dependency_kind: DependencyKind, name: str, code: str) -> str | None:
        """Add one dependency; returns a note when a different definition of ``name`` is already here."""
        if dependency_kind == DependencyKind.IMPORT:
            if code not in self.imports:
                self.imports.append(code)
            return None
        existing = self.definitions.get(name)
        if existing is None:
            self.definitions[name] = code
            return None
        return None if existing == code else f"kept the first definition of {name}; another pattern differs"


@dataclass(frozen=True)
class HandlerPlan:
    operation: str
    class_name: str
    module: str
    summary: str
    learned_class: str  # adapted class source, "" when the template's class is used
    # The team's learned error handling around the template's handle() body (``handler.py.j2``
    # writes the body): its lines up to ``try:`` and its clauses after the body, indented; "" when none.
    guard_open: str
    guard_close: str
    used: tuple[UsedPattern, ...]


@dataclass
class NodePlan:
    contract: Contract
    names: NodeNames
    base_module: str
    input_model: str
    input_module: str
    output_model: str
    output_module: str
    handlers: list[HandlerPlan] = field(default_factory=list)
    modules: dict[str, ModulePlan] = field(default_factory=dict)  # node-relative path -> module
    tests: dict[str, str] = field(default_factory=dict)  # node-relative path -> adapted learned test
    notes: list[str] = field(default_factory=list)
    features: tuple[Detection, ...] = ()  # cross-cutting needs (retry, event publishing, ...)
    coverage: dict[str, str] = field(default_factory=dict)  # need label -> "pattern id (word)"

    @property
    def used(self) -> list[UsedPattern]:
        seen: dict[str, UsedPattern] = {}
        for handler in self.handlers:
            for used in handler.used:
                seen.setdefault(used.id, used)
        return [seen[key] for key in sorted(seen)]

    def module(self, rel: str) -> ModulePlan:
        return self.modules.setdefault(rel, ModulePlan())


def model_names(contract: Contract, names: NodeNames) -> tuple[str, str, str, str]:
    """(input class, its module basename, output class, its module basename) of the new node.

    A contract that names a model class without its module (``input_model: ModelXRequest``) gets
    the module named for the class (``model_x_request``), as ONEX teams name model files."""

    def pick(ref: object, default_name: str, default_module: str) -> tuple[str, str]:
        name = getattr(ref, "name", None)
        module = getattr(ref, "module", None) or (snake_case(name) if name else default_module)
        return name or default_name, module.rsplit(".", 1)[-1]

    input_name, input_module = pick(contract.input_model, names.input_model, f"model_{names.snake}_input")
    output_name, output_module = pick(
        contract.output_model, names.output_model, f"model_{names.snake}_output"
    )
    return input_name, input_module, output_name, output_module


def plan_node(
    contract: Contract,
    *,
    retrieve: Retriever | None,
    quality: QualityCheck,
    quality_threshold: float,
    min_score: float,
    base_module: str,
    query_hint: str = "",
    detections: Sequence[Detection] = (),
) -> NodePlan:
    """Plan the node: ``retrieve`` is ``None`` for ``--no-learning`` (the template-only node)."""
    names = contract_names(contract)  # the entity the contract's own names use
    input_model, input_module, output_model, output_module = model_names(contract, names)
    plan = NodePlan(contract, names, base_module, input_model, input_module, output_model, output_module)
    plan.features = tuple(d for d in detections if d.kind in FEATURE_KINDS)
    renames = _renames(plan)
    error_handling = _best_error_handling(plan, retrieve, renames, min_score) if retrieve else None
    for operation in contract.operations:
        op = snake_case(operation.python_name)
        class_name = operation.handler_name or names.handler_class(op)
        module = (operation.handler_module or names.handler_module(op)).rsplit(".", 1)[-1]
        if class_name != names.handler_class(op):
            renames[names.handler_class(op)] = class_name
        if module != names.handler_module(op):
            renames[names.handler_module(op)] = module
        learned = None
        if retrieve is not None:
            learned = _best_operation(
                plan, op, retrieve, renames, quality, quality_threshold, min_score, query_hint
            )
        if learned is not None:
            plan.handlers.append(learned.with_identity(op, class_name, module))
            _record_coverage(plan, learned)
            continue
        opening, closing = _guard(error_handling)
        used = (error_handling.used,) if error_handling is not None else ()
        _add_template_imports(plan, module, error_handling)
        summary = f"Handle `{op}` for {contract.name}."
        plan.handlers.append(HandlerPlan(op, class_name, module, summary, "", opening, closing, used))
    return plan


@dataclass(frozen=True)
class _Learned:
    summary: str
    learned_class: str
    used: tuple[UsedPattern, ...]
    words: tuple[str, ...] = ()  # split identifiers of the pattern and what it imports

    def with_identity(self, operation: str, class_name: str, module: str) -> HandlerPlan:
        return HandlerPlan(operation, class_name, module, self.summary, self.learned_class, "", "", self.used)


def _code_words(pattern: Pattern) -> list[str]:
    texts = [pattern.code, *(d.code for d in pattern.dependencies if d.kind == DependencyKind.IMPORT)]
    return [word for text in texts for word in split_identifier(text)]


def _covers(plan: NodePlan, pattern: Pattern) -> int:
    words = _code_words(pattern)
    return sum(1 for need in plan.features if feature_evidence(need, words))


def _by_coverage(plan: NodePlan, candidates: list[ScoredPattern], min_score: float) -> list[ScoredPattern]:
    """Among candidates good enough to use, those meeting more of the contract's needs come first.

    A contract that asks for retry and event publishing should get the team's handler that retries
    and publishes, even when a plainer one for the same operation ranks slightly higher.
    """
    if not plan.features:
        return candidates
    usable = [c for c in candidates if c.score >= min_score]
    rest = [c for c in candidates if c.score < min_score]
    usable.sort(key=lambda c: -_covers(plan, c.pattern))  # stable: rank order within equal coverage
    return usable + rest


def _record_coverage(plan: NodePlan, learned: _Learned) -> None:
    for need in plan.features:
        word = feature_evidence(need, learned.words)
        if word and need.label not in plan.coverage:
            plan.coverage[need.label] = f"{learned.used[0].id} ({word})"


def _renames(plan: NodePlan) -> dict[str, str]:
    renames: dict[str, str] = {}
    if plan.input_model != plan.names.input_model:
        renames[plan.names.input_model] = plan.input_model
    if plan.output_model != plan.names.output_model:
        renames[plan.names.output_model] = plan.output_model
    default_in, default_out = f"model_{plan.names.snake}_input", f"model_{plan.names.snake}_output"
    if plan.input_module != default_in:
        renames[default_in] = plan.input_module
    if plan.output_module != default_out:
        renames[default_out] = plan.output_module
    return renames


def _adapt_path(origin: str, plan: NodePlan, renames: dict[str, str]) -> str:
    path = instantiate_text(origin, plan.names)
    folder, _, filename = path.rpartition("/")
    stem = filename.removesuffix(".py")
    stem = renames.get(stem, stem)
    return f"{folder}/{stem}.py" if folder else f"{stem}.py"


def _best_operation(
    plan: NodePlan,
    op: str,
    retrieve: Retriever,
    renames: dict[str, str],
    quality: QualityCheck,
    quality_threshold: float,
    min_score: float,
    query_hint: str,
) -> _Learned | None:
    node_type = plan.contract.node_type
    slot = f"{node_type.value}:{generalize_text(op, plan.names)}"
    query = PatternQuery(
        text=f"{node_type.value} {op} {plan.names.spaced} {query_hint}".strip(),
        node_type=node_type,
        slot=slot,
        kind=PatternKind.OPERATION,
        limit=5,
    )
    candidates = _by_coverage(plan, list(retrieve(query)), min_score)
    for candidate in candidates:
        if candidate.score < min_score:
            plan.notes.append(
                f"{op}: best learned pattern {candidate.pattern.id[:12]} scored {candidate.score:.2f} "
                f"< {min_score:.2f}; template code used"
            )
            return None
        learned = _try_adapt(plan, op, candidate, renames, quality, quality_threshold)
        if learned is not None:
            return learned
    if not candidates:
        plan.notes.append(f"{op}: no learned pattern for slot {slot}; template code used")
    return None


def _try_adapt(
    plan: NodePlan,
    op: str,
    candidate: ScoredPattern,
    renames: dict[str, str],
    quality: QualityCheck,
    quality_threshold: float,
) -> _Learned | None:
    pattern = fill_holes(candidate.pattern, plan.names)
    try:
        learned_class = adapt_code(pattern.code, plan.names, renames, pattern.parameters).strip()
        adapted = [_adapt_dependency(dep, plan, renames, pattern.parameters) for dep in pattern.dependencies]
    except cst.ParserSyntaxError as error:
        plan.notes.append(
            f"{op}: pattern {pattern.id[:12]} does not parse once adapted ({error.message}); next"
        )
        return None
    score = quality(learned_class)
    if score < quality_threshold:
        plan.notes.append(f"{op}: pattern {pattern.id[:12]} scores {score:.2f} on quality once adapted; next")
        return None
    handler_path = f"handlers/{_module_for(op, plan, renames)}.py"
    handler_module = plan.module(handler_path)
    for dep in adapted:
        if dep.kind == DependencyKind.TEST:
            plan.tests.setdefault(dep.origin, dep.code)
            continue
        target = handler_module if not dep.origin else plan.module(dep.origin)
        note = target.add(dep.kind, dep.name, dep.code)
        if note:
            plan.notes.append(f"{op}: {note}")
    used = UsedPattern(
        pattern.id, pattern.version, pattern.kind.value, pattern.slot, round(candidate.score, 4), handler_path
    )
    summary = instantiate_text(pattern.summary, plan.names) if pattern.summary else f"Handle `{op}`."
    return _Learned(summary, learned_class, (used,), tuple(_code_words(pattern)))


def _module_for(op: str, plan: NodePlan, renames: dict[str, str]) -> str:
    default = plan.names.handler_module(op)
    return renames.get(default, default)


def _adapt_dependency(
    dep: Dependency, plan: NodePlan, renames: dict[str, str], parameters: Sequence[tuple[str, str]] = ()
) -> Dependency:
    code = adapt_code(dep.code, plan.names, renames, parameters)
    return Dependency(
        kind=dep.kind,
        name=renames.get(instantiate_text(dep.name, plan.names), instantiate_text(dep.name, plan.names)),
        code=code.strip() + ("\n" if dep.kind == DependencyKind.TEST else ""),
        origin=_adapt_path(dep.origin, plan, renames) if dep.origin else "",
    )


@dataclass(frozen=True)
class _ErrorHandling:
    try_statement: cst.Try
    imports: tuple[str, ...]
    definitions: tuple[tuple[str, str], ...]
    used: UsedPattern


def _best_error_handling(
    plan: NodePlan, retrieve: Retriever, renames: dict[str, str], min_score: float
) -> _ErrorHandling | None:
    node_type: NodeType = plan.contract.node_type
    query = PatternQuery(
        text=f"{node_type.value} error handling except raise",
        node_type=node_type,
        slot=f"{node_type.value}:error_handling",
        kind=PatternKind.ERROR_HANDLING,
        limit=3,
    )
    for candidate in retrieve(query):
        if candidate.score < min_score:
            break
        pattern: Pattern = fill_holes(candidate.pattern, plan.names)
        try:
            statement = cst.parse_statement(adapt_code(pattern.code, plan.names, renames, pattern.parameters))
            deps = [_adapt_dependency(dep, plan, renames, pattern.parameters) for dep in pattern.dependencies]
        except cst.ParserSyntaxError:
            continue
        if not isinstance(statement, cst.Try):
            continue
        used = UsedPattern(
            pattern.id, pattern.version, pattern.kind.value, pattern.slot, round(candidate.score, 4)
        )
        imports = tuple(d.code for d in deps if d.kind == DependencyKind.IMPORT and not d.origin)
        definitions = tuple(
            (d.name, d.code) for d in deps if d.kind == DependencyKind.DEFINITION and not d.origin
        )
        if not _guard_resolves(statement, imports, definitions):
            continue  # its clauses read names of the code it was cut from (``tmp_path``...)
        return _ErrorHandling(statement, imports, definitions, used)
    return None


def _guard_resolves(
    statement: cst.Try, imports: Sequence[str], definitions: Sequence[tuple[str, str]]
) -> bool:
    """Whether the learned ``try``, around the template's body (which binds ``result`` from
    ``request`` in a method), reads only names that body, its imports and definitions bind."""
    body = cst.parse_statement("result = dict(request.payload)\n")
    wrapped = cst.Module(body=[statement.with_changes(body=cst.IndentedBlock(body=[body]))]).code
    method = "class _Guarded:\n    async def handle(self, request):\n" + _indent(wrapped, 8) + "\n"
    module = "\n".join([*imports, *(code for _, code in definitions), method])
    try:
        return not undefined_in_module("handler.py", module)
    except cst.ParserSyntaxError:
        return False


# Stands for the template's body inside the learned ``try`` while it is cut in two; a name no
# learned code has (a module-level dunder of ours).
_BODY_MARK = "__nodeforge_template_body__"


def _guard(error_handling: _ErrorHandling | None) -> tuple[str, str]:
    """The learned ``try`` cut around its body: the lines up to ``try:``, and the clauses after it,
    each indented for a method (the template writes the body between them); ``("", "")`` without."""
    if error_handling is None:
        return "", ""
    mark = cst.parse_statement(f"{_BODY_MARK}\n")
    wrapped = error_handling.try_statement.with_changes(body=cst.IndentedBlock(body=[mark]))
    lines = cst.Module(body=[wrapped]).code.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == _BODY_MARK)
    return _indent("\n".join(lines[:at]), 8), _indent("\n".join(lines[at + 1 :]), 8)


def _add_template_imports(plan: NodePlan, module: str, error_handling: _ErrorHandling | None) -> None:
    """The template handler's own imports, plus what the learned error handling needs."""
    target = plan.module(f"handlers/{module}.py")
    target.add(
        DependencyKind.IMPORT,
        plan.input_model,
        f"from ..models.{plan.input_module} import {plan.input_model}",
    )
    target.add(
        DependencyKind.IMPORT,
        plan.output_model,
        f"from ..models.{plan.output_module} import {plan.output_model}",
    )
    if error_handling is None:
        return
    for line in error_handling.imports:
        target.add(DependencyKind.IMPORT, line, line)
    for name, code in error_handling.definitions:
        target.add(DependencyKind.DEFINITION, name, code)


def _indent(code: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else "" for line in code.strip("\n").splitlines())
