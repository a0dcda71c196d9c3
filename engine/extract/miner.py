"""Mine one node: parse each file once, run every extractor, generalize, and build patterns."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
import yaml

from nodeforge.extract import deps
from nodeforge.extract.context import NodeContext
from nodeforge.extract.handlers import (
    GatherErrorHandlingVisitor,
    GatherHandlerClassesVisitor,
    docstring_of,
    handle_method,
    without_try_body,
)
from nodeforge.extract.outcome import EXTRACTED, FAILED, SKIPPED, FileOutcome
from nodeforge.extract.source import ParsedFile
from nodeforge.generalize import generalize_node
from nodeforge.model import Dependency, Pattern, PatternKind, PatternStatus, Provenance
from nodeforge.naming import generalize_text, has_placeholders, snake_case, split_identifier
from nodeforge.nodes import NodeSource

TEST = "test"
# libcst takes seconds per thousand lines (parse + metadata); a file this long is generated or
# vendored, not a team idiom, and mining it would stall a post-commit hook.
MAX_MINED_LINES = 10_000
MAX_MINED_BYTES = 1024 * 1024
# What reading and parsing one file can raise: libcst's syntax errors, and the stdlib's
# ``SyntaxError`` from encoding detection (non-UTF-8 bytes without a coding cookie).
_UNREADABLE = (cst.ParserSyntaxError, SyntaxError, UnicodeDecodeError, OSError, RecursionError)


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
    patterns: list[Pattern] = field(default_factory=list)
    outcomes: list[FileOutcome] = field(default_factory=list)
    _generalized: dict[int, tuple[cst.CSTNode, str]] = field(default_factory=dict)

    def render(self, node: cst.CSTNode, parsed: ParsedFile) -> str:
        """A node's code with the source node's names generalized; each node is rewritten once.

        Many patterns of one node share dependencies (models, imports, helpers), so the cache
        matters; rewriting the parsed node directly avoids parsing its code a second time. The
        cache holds the node itself so that its ``id`` cannot be reused by a later node.
        """
        key = id(node)
        if key not in self._generalized:
            general = generalize_node(node, self.ctx.node.names)
            self._generalized[key] = (node, parsed.module.code_for_node(general))
        return self._generalized[key][1]


def operations_from_contract(node: NodeSource) -> dict[str, str]:
    """Handler class name -> operation, from the node's ``contract.yaml`` ``handler_routing``.

    Mining reads contracts tolerantly: a learned repo's contract is not ours to validate.
    """
    contract = node.root / "contract.yaml"
    if not contract.is_file():
        return {}
    try:
        data = yaml.safe_load(contract.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    routing = data.get("handler_routing") if isinstance(data, dict) else None
    handlers = routing.get("handlers") if isinstance(routing, dict) else None
    found: dict[str, str] = {}
    for entry in handlers if isinstance(handlers, list) else []:
        handler = entry.get("handler") if isinstance(entry, dict) else None
        if (
            isinstance(handler, dict)
            and isinstance(handler.get("name"), str)
            and isinstance(entry.get("operation"), str)
        ):
            found[handler["name"]] = entry["operation"]
    return found


def mine_node(
    node: NodeSource, *, commit: str = "", status: PatternStatus = PatternStatus.ACTIVE, learned_at: str = ""
) -> MinedNode:
    """Every pattern of one node. A file that fails to parse is reported and never stops the run."""
    ctx = NodeContext(node=node, commit=commit, operations_by_handler=operations_from_contract(node))
    mining = _Mining(ctx=ctx, status=status, learned_at=learned_at)
    tests = _test_modules(mining)
    for rel in ctx.python_files():
        if _is_test(rel):
            continue
        repo_rel = _repo_rel(ctx, rel)
        too_big = _too_big(ctx.base / rel)
        if too_big:
            mining.outcomes.append(FileOutcome(repo_rel, SKIPPED, too_big))
            continue
        before = len(mining.patterns)
        try:
            parsed = ctx.parsed(rel)
            # Following imports parses sibling modules too: a broken model fails this file only.
            _mine_handlers(mining, parsed, tests)
        except _UNREADABLE as error:
            del mining.patterns[before:]
            mining.outcomes.append(FileOutcome(repo_rel, FAILED, _one_line(error)))
            continue
        found = len(mining.patterns) - before
        if found:
            mining.outcomes.append(FileOutcome(repo_rel, EXTRACTED, patterns=found))
        else:
            mining.outcomes.append(FileOutcome(repo_rel, SKIPPED, "no handler implementation"))
    return MinedNode(node=node, patterns=tuple(mining.patterns), outcomes=tuple(mining.outcomes))


def _too_big(path: Path) -> str:
    """Why ``path`` is too large to mine, or ``""``. Counting lines is cheap; parsing them is not."""
    try:
        size = path.stat().st_size
        if size > MAX_MINED_BYTES:
            return f"too large to mine ({size} bytes > {MAX_MINED_BYTES})"
        lines = path.read_bytes().count(b"\n") + 1
    except OSError:
        return ""  # parsing reports it
    return f"too large to mine ({lines} lines > {MAX_MINED_LINES})" if lines > MAX_MINED_LINES else ""


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def _repo_rel(ctx: NodeContext, rel: str) -> str:
    return f"{ctx.node.key}/{rel}" if ctx.node.layout == "directory" else ctx.node.key


def _is_test(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return rel.startswith("tests/") or name.startswith("test_") or name == "conftest.py"


def _test_modules(mining: _Mining) -> list[ParsedFile]:
    parsed = []
    for rel in mining.ctx.python_files():
        if _is_test(rel) and rel.endswith(".py") and not rel.endswith("__init__.py"):
            try:
                parsed.append(mining.ctx.parsed(rel))
            except _UNREADABLE as error:
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


def _mine_handlers(mining: _Mining, parsed: ParsedFile, tests: list[ParsedFile]) -> None:
    visitor = GatherHandlerClassesVisitor()
    parsed.module.visit(visitor)
    ctx = mining.ctx
    for cls in visitor.classes:
        method = handle_method(cls)
        if method is None:
            continue
        operation = generalize_text(_operation_of(ctx, cls, parsed.rel), ctx.node.names)
        class_deps = deps.collect(ctx, parsed, mining.render, cls)
        test_deps = _tests_using(mining, tests, cls.name.value)
        _add(
            mining,
            kind=PatternKind.OPERATION,
            slot=f"{ctx.node.node_type.value}:{operation}",
            operation=operation,
            code=mining.render(cls, parsed),
            dependencies=class_deps + test_deps,
            parsed=parsed,
            node=cls,
            symbol=cls.name.value,
            summary=docstring_of(method) or docstring_of(cls),
            class_name=cls.name.value,
        )
        errors = GatherErrorHandlingVisitor()
        cls.visit(errors)
        for index, statement in enumerate(errors.statements, start=1):
            _add(
                mining,
                kind=PatternKind.ERROR_HANDLING,
                slot=f"{ctx.node.node_type.value}:error_handling",
                operation="",
                code=mining.render(without_try_body(statement), parsed),
                dependencies=deps.collect(ctx, parsed, mining.render, *statement.handlers),
                parsed=parsed,
                node=statement,
                symbol=f"{cls.name.value}.{method.name.value}#try{index}",
                summary=f"error handling of {ctx.node.node_type.value} handler",
                class_name="",
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


def _generalize_names(dep: Dependency, ctx: NodeContext) -> Dependency:
    """The code is generalized already (``_Mining.render``); its name and module path are not."""
    names = ctx.node.names
    return dataclasses.replace(
        dep, name=generalize_text(dep.name, names), origin=generalize_text(dep.origin, names)
    )


def _add(
    mining: _Mining,
    *,
    kind: PatternKind,
    slot: str,
    operation: str,
    code: str,
    dependencies: Iterable[Dependency],
    parsed: ParsedFile,
    node: cst.CSTNode,
    symbol: str,
    summary: str,
    class_name: str,
) -> None:
    ctx = mining.ctx
    names = ctx.node.names
    general = code.strip() + "\n"
    # Stable sort on the generalized module path: the order must not depend on the entity's name.
    general_deps = tuple(
        sorted(
            (_generalize_names(dep, ctx) for dep in dependencies), key=lambda d: (d.kind == TEST, d.origin)
        )
    )
    start, end = parsed.lines(node)
    identifiers = sorted({word for word in split_identifier(general) if len(word) > 1})
    generalized_cleanly = has_placeholders(general)
    confidence = round(
        0.55
        + 0.15 * generalized_cleanly
        + 0.15 * bool(general_deps)
        + 0.15 * any(d.kind == TEST for d in general_deps),
        2,
    )
    mining.patterns.append(
        Pattern(
            id=pattern_id(kind.value, slot, general, general_deps),
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
            identifiers=tuple(identifiers),
            summary=generalize_text(summary, names),
            confidence=confidence,
            source_nodes=(ctx.node.key,),
            status=mining.status,
            learned_at=mining.learned_at,
            extra={"class_name": generalize_text(class_name, names)} if class_name else {},
        )
    )


def pattern_id(kind: str, slot: str, code: str, dependencies: Iterable[Dependency]) -> str:
    """Deterministic: the same generalized code for the same slot is the same pattern."""
    digest = hashlib.sha256()
    for part in (kind, slot, code, *(f"{d.kind}|{d.origin}|{d.name}|{d.code}" for d in dependencies)):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]
