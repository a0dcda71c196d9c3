"""Mine one node: parse each file once, run every extractor, generalize, and build patterns.

Extractors, one ``Gather...Visitor`` per concern (see each module):

========================  ===========================================  ====================================
kind                      slot                                         from
========================  ===========================================  ====================================
operation                 ``<type>:<operation>``, ``<type>:execute_*``  handler classes; module-node methods
error_handling            ``<type>:error_handling``                    ``extract.errors``
validation                ``<type>:validation:<operation>``            ``extract.validation``
skeleton                  ``<type>:skeleton:node`` / ``:handler``      ``extract.skeleton``
imports                   ``<type>:imports:base`` / ``:handler``       ``extract.imports``
test_shape                ``<type>:test:<operation>``                  ``extract.testshape``
naming                    ``<type>:naming``                            ``extract.conventions``
workflow                  ``<type>:workflow:steps`` / ``compensation``  ``extract.workflow``
                          / ``state_transition``
========================  ===========================================  ====================================

Every pattern is generalized (``generalize.generalize_source`` then ``parameterize_literals``), so
the same idiom in two nodes is the same pattern (``pattern_id``) and the store counts its support.
Each file ends as extracted, skipped (with why) or failed (with the error); a bad file never stops
the run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from nodeforge.extract import deps
from nodeforge.extract.boilerplate import boilerplate_reason
from nodeforge.extract.context import ContractFacts, NodeContext
from nodeforge.extract.conventions import GatherNamingVisitor, NamingEvidence, model_role, naming_code
from nodeforge.extract.errors import (
    GatherErrorHandlingVisitor,
    convention_of,
    identity_code,
    without_try_body,
)
from nodeforge.extract.evidence import Evidence, leftover_entity_words, placeholder_count
from nodeforge.extract.handlers import (
    GatherHandlerClassesVisitor,
    docstring_of,
    execute_methods,
    handle_method,
    is_node_class,
    is_node_class_name,
)
from nodeforge.extract.imports import GatherTypicalImportsVisitor, import_block
from nodeforge.extract.outcome import EXTRACTED, FAILED, SKIPPED, FileOutcome
from nodeforge.extract.skeleton import GatherClassSkeletonsVisitor, skeleton_of, skeleton_skip_reason
from nodeforge.extract.source import ParsedFile
from nodeforge.extract.testshape import GatherTestShapesVisitor, shape_of
from nodeforge.extract.validation import guard_block, guard_code, guard_count
from nodeforge.extract.workflow import GatherFoldsVisitor, GatherWorkflowVisitor, may_hold_workflow
from nodeforge.generalize import generalize_source, parameterize_literals
from nodeforge.model import Dependency, Pattern, PatternKind, PatternStatus, Provenance
from nodeforge.naming import generalize_text, snake_case, split_identifier
from nodeforge.nodes import DIRECTORY, NodeSource
from nodeforge.quality import analyze, analyze_tree
from nodeforge.vocabulary import with_code_names

TEST = "test"

# What one file's extraction may raise without stopping the run: parse errors, unreadable bytes, and
# trees too deep for the walks. Anything else is a bug and should surface.
EXTRACTION_ERRORS = (
    cst.ParserSyntaxError,
    cst.CSTValidationError,
    UnicodeDecodeError,
    OSError,
    RecursionError,
)


@dataclass(frozen=True)
class MinedNode:
    node: NodeSource
    patterns: tuple[Pattern, ...]
    outcomes: tuple[FileOutcome, ...]


@dataclass
class _Mining:
    ctx: NodeContext
    status: PatternStatus
    learned_at: str
    renames: dict[str, str]
    score_quality: bool = True
    patterns: list[Pattern] = field(default_factory=list)
    outcomes: list[FileOutcome] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # file -> why candidates were dropped
    handler_operations: dict[str, str] = field(default_factory=dict)  # handler class -> operation
    _ids: set[str] = field(default_factory=set)
    _identities: set[str] = field(default_factory=set)
    _general_texts: dict[str, str] = field(default_factory=dict)
    _generalized: dict[int, tuple[cst.CSTNode, str]] = field(default_factory=dict)

    def render(self, node: cst.CSTNode, parsed: ParsedFile) -> str:
        """A node's code with the source node's names generalized; each node is rendered once.

        Many patterns of one node share dependencies (models, imports, helpers), so the cache
        matters. It holds the node itself so that its ``id`` cannot be reused by a later node.
        """
        key = id(node)
        cached = self._generalized.get(key)
        if cached is None or cached[0] is not node:
            cached = (node, generalize_source(parsed.code(node), self.ctx.node.names, self.renames))
            self._generalized[key] = cached
        return cached[1]

    def general(self, text: str) -> str:
        cached = self._general_texts.get(text)
        if cached is None:
            cached = generalize_source(text, self.ctx.node.names, self.renames)
            self._general_texts[text] = cached
        return cached

    def seen(self, kind: PatternKind, identity: str) -> bool:
        """Whether this node already yielded ``identity`` (checked before the costly steps)."""
        key = f"{kind.value}\0{identity}"
        if key in self._identities:
            return True
        self._identities.add(key)
        return False

    def skip(self, parsed: ParsedFile, what: str, reason: str) -> None:
        self.skipped.setdefault(parsed.rel, []).append(f"{what}: {reason}")


def operations_from_contract(node: NodeSource) -> dict[str, str]:
    """Handler class name -> operation, from the node's ``contract.yaml`` ``handler_routing``."""
    return dict(ContractFacts.read(node).operations_by_handler)


# Node modules are tens to hundreds of lines. A generated or vendored file of tens of thousands
# costs libcst tens of seconds and is no team idiom: it is skipped and reported.
MAX_FILE_BYTES = 512 * 1024


def _too_big(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError:
        return ""  # reading it will report what is wrong
    return (
        f"too large to mine ({size // 1024} KiB > {MAX_FILE_BYTES // 1024} KiB)"
        if size > MAX_FILE_BYTES
        else ""
    )


def mine_node(
    node: NodeSource,
    *,
    commit: str = "",
    status: PatternStatus = PatternStatus.ACTIVE,
    learned_at: str = "",
    score_quality: bool = True,
) -> MinedNode:
    """Every pattern of one node. A file that fails is reported and never stops the run.

    ``score_quality`` scores each pattern with ``quality.analyze_tree`` on the tree at hand
    (``Pattern.quality``), so the learn gate need not parse the code again.
    """
    node = with_code_names(node)  # the entity its code names, not only its folder's words
    contract = ContractFacts.read(node)
    ctx = NodeContext(node=node, commit=commit, contract=contract)
    mining = _Mining(
        ctx=ctx,
        status=status,
        learned_at=learned_at,
        renames=contract.renames(node.names),
        score_quality=score_quality,
    )
    naming = NamingEvidence(node.names)
    tests = _test_modules(mining)
    files: list[ParsedFile] = []
    for rel in ctx.python_files():
        if _is_test(rel):
            continue
        too_big = _too_big(ctx.base / rel)
        if too_big:
            mining.outcomes.append(FileOutcome(_repo_rel(ctx, rel), SKIPPED, too_big))
            continue
        before = len(mining.patterns)
        try:
            parsed = ctx.parsed(rel)
            _mine_file(mining, parsed, tests, naming)
        except EXTRACTION_ERRORS as error:
            mining.outcomes.append(FileOutcome(_repo_rel(ctx, rel), FAILED, _one_line(error)))
            continue
        files.append(parsed)
        _record(mining, parsed, len(mining.patterns) - before)
    for test in tests:
        before = len(mining.patterns)
        try:
            _mine_test_shapes(mining, test, naming)
        except EXTRACTION_ERRORS as error:
            mining.outcomes.append(FileOutcome(_repo_rel(ctx, test.rel), FAILED, _one_line(error)))
            continue
        _record(mining, test, len(mining.patterns) - before)
    _mine_naming(mining, naming, files)
    return MinedNode(node=node, patterns=tuple(mining.patterns), outcomes=tuple(mining.outcomes))


def _record(mining: _Mining, parsed: ParsedFile, found: int) -> None:
    path = _repo_rel(mining.ctx, parsed.rel)
    if found:
        mining.outcomes.append(FileOutcome(path, EXTRACTED, patterns=found))
        return
    reasons = mining.skipped.get(parsed.rel)
    detail = "; ".join(reasons) if reasons else "no handler, node class, guard or test to learn from"
    mining.outcomes.append(FileOutcome(path, SKIPPED, detail))


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def _repo_rel(ctx: NodeContext, rel: str) -> str:
    return f"{ctx.node.key}/{rel}" if ctx.node.layout == DIRECTORY else ctx.node.key


def _is_test(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return rel.startswith("tests/") or name.startswith("test_") or name == "conftest.py"


def _test_modules(mining: _Mining) -> list[ParsedFile]:
    parsed = []
    for rel in mining.ctx.python_files():
        if _is_test(rel) and not rel.endswith("__init__.py"):
            try:
                parsed.append(mining.ctx.parsed(rel))
            except EXTRACTION_ERRORS as error:
                mining.outcomes.append(FileOutcome(_repo_rel(mining.ctx, rel), FAILED, _one_line(error)))
    return parsed


def _operation_of(ctx: NodeContext, cls: cst.ClassDef, rel: str) -> str:
    name = cls.name.value
    if name in ctx.operations_by_handler:
        return snake_case(ctx.operations_by_handler[name])
    words = split_identifier(name)
    entity = list(ctx.node.names.words)
    if words[:1] == ["handler"]:
        words = words[1:]
    if words[: len(entity)] == entity:
        words = words[len(entity) :]
    if words:
        return "_".join(words)
    return rel.rsplit("/", 1)[-1].removesuffix(".py").removeprefix("handler_")


# -- one source file -------------------------------------------------------------------------


def _mine_file(mining: _Mining, parsed: ParsedFile, tests: list[ParsedFile], naming: NamingEvidence) -> None:
    handlers = parsed.visit(GatherHandlerClassesVisitor())
    for cls in handlers.classes:
        if is_node_class(cls) and execute_methods(cls):
            for method in execute_methods(cls):
                _mine_operation_method(mining, parsed, cls, method, tests)
        else:
            _mine_handler_class(mining, parsed, cls, tests, naming)
    _mine_skeletons(mining, parsed)
    _mine_imports(mining, parsed)
    if may_hold_workflow(parsed.text):
        _mine_workflow(mining, parsed, handlers.classes)
    classes = parsed.visit(GatherNamingVisitor()).classes
    for name in classes:
        role = model_role(name)
        if role is not None:
            naming.add_entity_name(role, name, pascal=True)
        elif is_node_class_name(name):
            naming.add_entity_name("node_class", name, pascal=True)


def _mine_handler_class(
    mining: _Mining, parsed: ParsedFile, cls: cst.ClassDef, tests: list[ParsedFile], naming: NamingEvidence
) -> None:
    ctx = mining.ctx
    method = handle_method(cls)
    assert method is not None
    raw_operation = _operation_of(ctx, cls, parsed.rel)
    mining.handler_operations[cls.name.value] = raw_operation
    naming.add_operation_name("handler_class", cls.name.value, raw_operation, pascal=True)
    naming.add_operation_name("handler_module", parsed.rel, raw_operation, pascal=False)
    operation = generalize_text(raw_operation, ctx.node.names)
    test_deps = _tests_using(mining, tests, cls.name.value)
    _add(
        mining,
        parsed,
        kind=PatternKind.OPERATION,
        slot=f"{ctx.node.node_type.value}:{operation}",
        operation=operation,
        node=cls,
        code=mining.render(cls, parsed),
        dependencies=deps.collect(ctx, parsed, mining.render, cls) + test_deps,
        symbol=cls.name.value,
        summary=docstring_of(method) or docstring_of(cls),
        class_name=cls.name.value,
        lines_of=(cls, cls),
        references_of=((cls,), None),
        tested=bool(test_deps),
    )
    _mine_guards(mining, parsed, cls, method, operation, tested=bool(test_deps))
    _mine_error_handling(mining, parsed, cls, tested=bool(test_deps))


def _mine_operation_method(
    mining: _Mining, parsed: ParsedFile, cls: cst.ClassDef, method: cst.FunctionDef, tests: list[ParsedFile]
) -> None:
    """A module node's ``execute_<type>``: the method itself is the operation pattern."""
    ctx = mining.ctx
    operation = method.name.value
    test_deps = _tests_using(mining, tests, cls.name.value)
    _add(
        mining,
        parsed,
        kind=PatternKind.OPERATION,
        slot=f"{ctx.node.node_type.value}:{operation}",
        operation=operation,
        node=method,
        code=mining.render(method, parsed),
        dependencies=deps.collect(ctx, parsed, mining.render, method) + test_deps,
        symbol=f"{cls.name.value}.{operation}",
        summary=docstring_of(method) or docstring_of(cls),
        class_name=cls.name.value,
        lines_of=(method, method),
        references_of=((method,), None),
        tested=bool(test_deps),
    )
    _mine_guards(mining, parsed, cls, method, operation, tested=bool(test_deps))
    _mine_error_handling(mining, parsed, cls, tested=bool(test_deps), only=method)


def _mine_guards(
    mining: _Mining,
    parsed: ParsedFile,
    cls: cst.ClassDef,
    method: cst.FunctionDef,
    operation: str,
    *,
    tested: bool,
) -> None:
    block = guard_block(method)
    if not block:
        return
    fragment = guard_code(block)
    node_type = mining.ctx.node.node_type.value
    _add(
        mining,
        parsed,
        kind=PatternKind.VALIDATION,
        slot=f"{node_type}:validation:{operation}",
        operation=operation,
        node=fragment,
        code=mining.general(fragment.code),
        dependencies=deps.collect(mining.ctx, parsed, mining.render, *block, within=method),
        symbol=f"{cls.name.value}.{method.name.value}#guards",
        summary=f"{guard_count(block)} guard clause(s) before {operation}",
        lines_of=(block[0], block[-1]),
        references_of=(tuple(block), method),
        tested=tested,
    )


def _mine_error_handling(
    mining: _Mining,
    parsed: ParsedFile,
    cls: cst.ClassDef,
    *,
    tested: bool,
    only: cst.FunctionDef | None = None,
) -> None:
    methods = [only] if only is not None else [s for s in cls.body.body if isinstance(s, cst.FunctionDef)]
    node_type = mining.ctx.node.node_type.value
    for method in methods:
        found = parsed.visit(GatherErrorHandlingVisitor(), method).statements
        for index, statement in enumerate(found, start=1):
            what = f"{cls.name.value}.{method.name.value}#try{index}"
            source = parsed.source_text(statement)
            convention = convention_of(statement, identity_code(source))
            if convention.skip_reason:
                mining.skip(parsed, what, convention.skip_reason)
                continue
            # The identity is the except clauses, generalized, strings blanked: read off the text
            # already at hand, so a repeated convention costs no tree work at all.
            identity = identity_code(mining.general(_from_except(source)))
            if mining.seen(PatternKind.ERROR_HANDLING, identity):
                continue
            elided = without_try_body(statement)
            code = mining.general(cst.Module(body=[elided]).code)
            _add(
                mining,
                parsed,
                kind=PatternKind.ERROR_HANDLING,
                slot=f"{node_type}:error_handling",
                operation="",
                node=elided,
                code=code,
                dependencies=deps.collect(mining.ctx, parsed, mining.render, *statement.handlers),
                symbol=what,
                summary=convention.describe(),
                identity=identity,
                lines_of=(statement, statement),
                references_of=(tuple(statement.handlers), method),
                tested=tested,
                extra={"caught": ",".join(convention.caught), "raises": convention.raises},
            )


def _mine_skeletons(mining: _Mining, parsed: ParsedFile) -> None:
    node_type = mining.ctx.node.node_type.value
    for role, cls in parsed.visit(GatherClassSkeletonsVisitor()).classes:
        reason = skeleton_skip_reason(cls)
        if reason:
            mining.skip(parsed, f"{cls.name.value} skeleton", reason)
            continue
        # One skeleton per role and node type: the class's own name and its docstrings are
        # instance detail (HandlerXCreate and HandlerXGet have the same shape). A cheap shape key
        # first, so a repeated shape costs no code generation.
        if mining.seen(PatternKind.SKELETON, f"{role}:{_shape_key(cls)}"):
            continue
        skeleton = skeleton_of(cls)
        code = mining.general(cst.Module(body=[skeleton]).code)
        identity = identity_code(_CLASS_NAME.sub("class Skeleton", code, count=1))
        _add(
            mining,
            parsed,
            kind=PatternKind.SKELETON,
            slot=f"{node_type}:skeleton:{role}",
            operation="",
            node=skeleton,
            code=code,
            # The skeleton's own names (bases, signatures, fields), not what the elided bodies used.
            dependencies=deps.collect(
                mining.ctx,
                parsed,
                mining.render,
                cls,
                follow_siblings=False,
                names=parsed.signature_names(cls),
            ),
            symbol=f"{cls.name.value}#skeleton",
            summary=f"{role} class: bases {_bases(cls) or 'none'}; methods {_method_names(cls)}",
            identity=identity,
            lines_of=(cls, cls),
            references_of=None,
            tested=None,
            class_name=cls.name.value,
            boilerplate_of=cls,
        )


_CLASS_NAME = re.compile(r"^class \w+", re.MULTILINE)


def _shape_key(cls: cst.ClassDef) -> str:
    """Bases and method signatures by name: equal for classes whose skeletons differ only in names."""
    methods = []
    for statement in cls.body.body:
        if isinstance(statement, cst.FunctionDef):
            params = statement.params
            names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
            decorators = len(statement.decorators)
            methods.append(
                f"{statement.name.value}/{decorators}({','.join(names)}){bool(statement.asynchronous)}"
            )
    bases = ",".join(_base_name(base.value) for base in cls.bases)
    return f"{bases}|{';'.join(methods)}"


def _from_except(code: str) -> str:
    """The except clauses of a ``try`` statement's code."""
    match = re.search(r"^\s*except\b", code, re.MULTILINE)
    return code[match.start() :] if match else code


def _bases(cls: cst.ClassDef) -> str:
    return ", ".join(cst.Module(body=[]).code_for_node(base.value) for base in cls.bases)


def _method_names(cls: cst.ClassDef) -> str:
    return ", ".join(s.name.value for s in cls.body.body if isinstance(s, cst.FunctionDef))


def _mine_imports(mining: _Mining, parsed: ParsedFile) -> None:
    visitor = parsed.visit(GatherTypicalImportsVisitor())
    if not visitor.statements:
        return
    node_type = mining.ctx.node.node_type.value
    classes = [s for s in parsed.module.body if isinstance(s, cst.ClassDef)]
    bases = sorted(
        {_base_name(base.value) for cls in classes if is_node_class(cls) for base in cls.bases}
        & set(visitor.bindings)
    )
    if bases:
        module = visitor.bindings[bases[0]][0]
        originals = [visitor.bindings[name][1] for name in bases]
        reduced = [
            _as_line(deps.reduce_import(statement, name, parsed.module)[0])
            for name, statement in zip(bases, originals, strict=True)
        ]
        extra = {"base_module": module, "base_class": ",".join(bases)}
        _add_imports(mining, parsed, f"{node_type}:imports:base", reduced, originals, extra)
    if any(handle_method(cls) is not None and not is_node_class(cls) for cls in classes):
        statements = list(visitor.statements)
        _add_imports(mining, parsed, f"{node_type}:imports:handler", statements, statements, {})


def _fragment(parts: Sequence[cst.CSTNode]) -> cst.Module:
    """Module-level definitions as one module (for the quality walk), without their leading lines."""
    body = [p.with_changes(leading_lines=[]) for p in parts if isinstance(p, cst.ClassDef | cst.FunctionDef)]
    return cst.Module(body=body)


def _as_line(node: cst.CSTNode) -> cst.SimpleStatementLine:
    if isinstance(node, cst.SimpleStatementLine):
        return node
    assert isinstance(node, cst.BaseSmallStatement)
    return cst.SimpleStatementLine(body=[node])


def _base_name(node: cst.BaseExpression) -> str:
    """``NodeEffect`` for ``NodeEffect`` and for ``nodes.NodeEffect`` (the bound name is what counts)."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else ""


def _add_imports(
    mining: _Mining,
    parsed: ParsedFile,
    slot: str,
    statements: Sequence[cst.CSTNode],
    originals: Sequence[cst.SimpleStatementLine],
    extra: dict[str, str],
) -> None:
    rendered = [mining.general(cst.Module(body=[]).code_for_node(s)) for s in statements]
    code = import_block(rendered)
    _add(
        mining,
        parsed,
        kind=PatternKind.IMPORTS,
        slot=slot,
        operation="",
        node=cst.Module(body=[_as_line(s) for s in statements]),
        code=code,
        dependencies=(),
        symbol=f"{parsed.rel}#{slot.rsplit(':', 1)[-1]}-imports",
        summary=f"imports typical of {mining.ctx.node.node_type.value} {slot.rsplit(':', 1)[-1]} modules",
        lines_of=(originals[0], originals[-1]),
        references_of=None,
        tested=None,
        extra=extra,
        allow_imports=True,
    )


def _mine_workflow(mining: _Mining, parsed: ParsedFile, handlers: list[cst.ClassDef]) -> None:
    ctx = mining.ctx
    node_type = ctx.node.node_type.value
    visitor = parsed.visit(GatherWorkflowVisitor())
    if visitor.step_types:
        parts: list[cst.CSTNode] = [*visitor.step_types, *visitor.step_factories]
        _add_workflow(
            mining, parsed, f"{node_type}:workflow:steps", parts, "workflow steps and their compensation"
        )
    for owner, function in visitor.compensations:
        _add_workflow(
            mining,
            parsed,
            f"{node_type}:workflow:compensation",
            [function],
            "undo completed steps, last first",
            symbol=f"{owner}.{function.name.value}" if owner else function.name.value,
        )
    if "reduce(" not in parsed.text:
        return
    for cls in handlers:
        method = handle_method(cls)
        if method is None:
            continue
        folds = parsed.visit(GatherFoldsVisitor(), method)
        names = [*folds.initials, *folds.folds]
        parts = [
            parsed.top_level[n].statement
            for n in dict.fromkeys(names)
            if n in parsed.top_level and not parsed.top_level[n].is_import
        ]
        if parts:
            _add_workflow(
                mining,
                parsed,
                f"{node_type}:workflow:state_transition",
                parts,
                "initial state and fold of the reducer",
                symbol=f"{cls.name.value}#fold",
            )


def _add_workflow(
    mining: _Mining,
    parsed: ParsedFile,
    slot: str,
    parts: Sequence[cst.CSTNode],
    summary: str,
    symbol: str = "",
) -> None:
    module = _fragment(parts)
    code = "\n\n\n".join(mining.render(part, parsed).strip() for part in parts) + "\n"
    names = [getattr(getattr(p, "name", None), "value", "") for p in parts]
    _add(
        mining,
        parsed,
        kind=PatternKind.WORKFLOW,
        slot=slot,
        operation="",
        node=module,
        code=code,
        dependencies=deps.collect(mining.ctx, parsed, mining.render, *parts, follow_siblings=False),
        symbol=symbol or "+".join(names),
        summary=summary,
        lines_of=(parts[0], parts[-1]),
        references_of=(tuple(parts), None),
        tested=None,
    )


# -- tests and naming --------------------------------------------------------------------------


def _mine_test_shapes(mining: _Mining, test: ParsedFile, naming: NamingEvidence) -> None:
    imported = [
        name for name, top in test.top_level.items() if top.is_import and name in mining.handler_operations
    ]
    if not imported:
        mining.skip(test, "tests", "they import no handler of this node")
        return
    raw_operation = mining.handler_operations[imported[0]]
    naming.add_operation_name("test_module", test.rel, raw_operation, pascal=False)
    shapes = test.visit(GatherTestShapesVisitor())
    if not shapes.tests:
        mining.skip(test, "tests", "no test functions")
        return
    parts: list[cst.CSTNode] = [*shapes.fixtures, *shapes.tests]
    code = "\n\n\n".join(mining.render(part, test).strip() for part in parts) + "\n"
    fixtures = tuple(f.name.value for f in shapes.fixtures)
    found = deps.collect(mining.ctx, test, mining.render, *parts, follow_siblings=False)
    helpers = tuple(d.name for d in found if d.kind == deps.DEFINITION)
    shape = shape_of(code, len(shapes.tests), fixtures + helpers)
    operation = generalize_text(raw_operation, mining.ctx.node.names)
    _add(
        mining,
        test,
        kind=PatternKind.TEST_SHAPE,
        slot=f"{mining.ctx.node.node_type.value}:test:{operation}",
        operation=operation,
        node=_fragment(parts),
        code=code,
        dependencies=found,
        symbol=test.rel,
        summary=mining.general(shape.describe(raw_operation)),
        lines_of=(parts[0], parts[-1]),
        references_of=(tuple(parts), None),
        tested=None,
        extra={"tests": str(shape.tests), "asserts": str(shape.asserts), "raises": str(shape.raises)},
    )


def _mine_naming(mining: _Mining, naming: NamingEvidence, files: list[ParsedFile]) -> None:
    schemes = naming.schemes()
    if len(schemes) < 2 or not files:
        return
    anchor = next(
        (f for f in files if f.rel in ("node.py",) or mining.ctx.node.layout != DIRECTORY), files[0]
    )
    node_type = mining.ctx.node.node_type.value
    code = naming_code(node_type, schemes)
    _add(
        mining,
        anchor,
        kind=PatternKind.NAMING,
        slot=f"{node_type}:naming",
        operation="",
        node=cst.parse_module(code),
        code=code,
        dependencies=(),
        symbol="#naming",
        summary=f"naming scheme of {node_type} nodes: " + ", ".join(f"{k}={v}" for k, v in schemes.items()),
        lines_of=None,
        references_of=None,
        tested=None,
        extra=dict(schemes),
    )


def _tests_using(mining: _Mining, tests: list[ParsedFile], class_name: str) -> tuple[Dependency, ...]:
    """Node-local test modules that import the handler class: they travel with its pattern."""
    found = []
    for test in tests:
        top = test.top_level.get(class_name)
        if top is not None and top.is_import:
            name = test.rel.rsplit("/", 1)[-1].removesuffix(".py")
            found.append(
                Dependency(kind=TEST, name=name, code=mining.render(test.module, test), origin=test.rel)
            )
    return tuple(found)


# -- building a pattern ------------------------------------------------------------------------


def _generalize_names(dep: Dependency, mining: _Mining) -> Dependency:
    """The code is generalized already (``_Mining.render``); its name and module path are not."""
    return dataclasses.replace(dep, name=mining.general(dep.name), origin=mining.general(dep.origin))


def _add(
    mining: _Mining,
    parsed: ParsedFile,
    *,
    kind: PatternKind,
    slot: str,
    operation: str,
    node: cst.CSTNode,
    code: str,
    dependencies: Iterable[Dependency],
    symbol: str,
    summary: str,
    class_name: str = "",
    identity: str = "",
    lines_of: tuple[cst.CSTNode, cst.CSTNode] | None,
    references_of: tuple[tuple[cst.CSTNode, ...], cst.CSTNode | None] | None,
    tested: bool | None = False,
    extra: dict[str, str] | None = None,
    boilerplate_of: cst.CSTNode | None = None,
    allow_imports: bool = False,
) -> None:
    ctx = mining.ctx
    if not allow_imports:
        reason = boilerplate_reason(boilerplate_of or node)
        if reason:
            mining.skip(parsed, symbol, reason)
            return
    general, parameters = parameterize_literals(code.strip() + "\n")
    # Stable sort on the generalized module path: the order must not depend on the entity's name.
    general_deps = tuple(
        sorted(
            (_generalize_names(dep, mining) for dep in dependencies), key=lambda d: (d.kind == TEST, d.origin)
        )
    )
    pattern_id_ = pattern_id(kind.value, slot, identity or general, general_deps)
    if pattern_id_ in mining._ids:
        return  # the same idiom twice in one node is one pattern of this node
    mining._ids.add(pattern_id_)
    start, end = (parsed.lines(lines_of[0])[0], parsed.lines(lines_of[1])[1]) if lines_of else (0, 0)
    if references_of is not None:
        refs = parsed.references(*references_of[0], within=references_of[1])
        referenced, unresolved = len(refs.module_level) + 1, len(refs.unresolved)
    else:
        referenced, unresolved = 0, 0
    evidence = Evidence(
        replaced=placeholder_count(general),
        leftover=leftover_entity_words(general, ctx.node.names),
        referenced=referenced,
        unresolved=unresolved,
        tested=tested,
        lines=general.count("\n"),
    )
    quality = _quality(node, parsed) if mining.score_quality else 0.0
    details = dict(extra or {})
    if class_name:
        details["class_name"] = mining.general(class_name)
    mining.patterns.append(
        Pattern(
            id=pattern_id_,
            kind=kind,
            node_type=ctx.node.node_type,
            slot=slot,
            operation=operation,
            code=general,
            code_hash=hashlib.sha256(general.encode()).hexdigest()[:16],
            provenance=Provenance(
                path=_repo_rel(ctx, parsed.rel),
                symbol=symbol,
                start_line=start,
                end_line=end,
                commit=ctx.commit,
                content_hash=ctx.node.content_hash,
                node_name=ctx.node.name,
            ),
            dependencies=general_deps,
            parameters=parameters,
            identifiers=tuple(sorted({word for word in split_identifier(general) if len(word) > 1})),
            summary=mining.general(summary),
            confidence=evidence.confidence(),
            quality=quality,
            source_nodes=(ctx.node.key,),
            status=mining.status,
            learned_at=mining.learned_at,
            extra=details,
        )
    )


def _quality(node: cst.CSTNode, parsed: ParsedFile) -> float:
    """The quality score of the pattern's own code, on the tree already at hand (no re-parse)."""
    if isinstance(node, cst.Module):
        return round(analyze_tree(node, source=parsed.text).score, 3)
    if isinstance(node, cst.BaseStatement | cst.BaseCompoundStatement):
        return round(analyze_tree(node, source=parsed.text).score, 3)
    return round(analyze(cst.Module(body=[]).code_for_node(node)).score, 3)


def pattern_id(kind: str, slot: str, code: str, dependencies: Iterable[Dependency]) -> str:
    """Deterministic: the same generalized code for the same slot is the same pattern."""
    digest = hashlib.sha256()
    for part in (kind, slot, code, *(f"{d.kind}|{d.origin}|{d.name}|{d.code}" for d in dependencies)):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]
