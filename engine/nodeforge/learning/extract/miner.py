"""Mine one node: parse each file once, run every extractor, generalize, and build patterns.

Extractors, one ``Gather...Visitor`` and one ``mine_*`` function per concern, side by side in each
module; this module only orchestrates them (one parse per file, every extractor on it):

========================  ===========================================  ====================================
kind                      slot                                         from
========================  ===========================================  ====================================
operation                 ``<type>:<operation>``, ``<type>:execute_*``  ``extract.handlers``
error_handling            ``<type>:error_handling``                    ``extract.error_handling``
validation                ``<type>:validation:<operation>``            ``extract.validation``
skeleton                  ``<type>:skeleton:node`` / ``:handler``      ``extract.skeleton``
imports                   ``<type>:imports:base`` / ``:handler``       ``extract.imports``
test_shape                ``<type>:test:<operation>``                  ``extract.testshape``
naming                    ``<type>:naming``                            ``extract.conventions``
workflow                  ``<type>:workflow:steps`` / ``compensation``  ``extract.workflow``
                          / ``state_transition``
model                     ``<type>:model[:<role>]``                    ``extract.models``
registry                  ``<type>:registry``                          ``extract.registry``
support                   ``<type>:support:<module>``                  ``extract.registry``
========================  ===========================================  ====================================

Every pattern is generalized (``generalize.generalize_source`` then ``parameterize_literals``), so
the same idiom in two nodes is the same pattern (``pattern_id``) and the store counts its support.
Each file ends as extracted, skipped (with why) or failed (with the error); a bad file never stops
the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from nodeforge.learning.extract.build import Mining, pattern_id
from nodeforge.learning.extract.context import ContractFacts, NodeContext
from nodeforge.learning.extract.conventions import NamingEvidence, mine_naming, note_class_names
from nodeforge.learning.extract.exemplar import mine_exemplar
from nodeforge.learning.extract.handlers import GatherHandlerClassesVisitor, mine_operations
from nodeforge.learning.extract.imports import mine_imports
from nodeforge.learning.extract.models import mine_models
from nodeforge.learning.extract.outcome import EXTRACTED, FAILED, SKIPPED, FileOutcome
from nodeforge.learning.extract.registry import (
    GatherDefinitionsVisitor,
    is_support_module,
    mine_registry,
    mine_support,
)
from nodeforge.learning.extract.skeleton import mine_skeletons
from nodeforge.learning.extract.source import ParsedFile, is_test_path
from nodeforge.learning.extract.testshape import mine_test_shapes
from nodeforge.learning.extract.workflow import may_hold_workflow, mine_workflow
from nodeforge.learning.nodes import NodeSource
from nodeforge.learning.vocabulary import with_code_names
from nodeforge.model import Pattern, PatternStatus

__all__ = ["EXTRACTION_ERRORS", "MAX_FILE_BYTES", "MinedNode", "mine_file", "mine_node", "pattern_id"]


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
    reviewed_calls: frozenset[str] = frozenset(),
) -> MinedNode:
    """Every pattern of one node. A file that fails is reported and never stops the run.

    ``score_quality`` scores each pattern with ``quality.analyze_tree`` on the tree at hand
    (``Pattern.quality``), so the learn gate need not parse the code again. ``reviewed_calls``
    (the team's ``[tool.nodeforge] reviewed_calls``) keep a test making them in the exemplar.
    """
    node = with_code_names(node)  # the entity its code names, not only its folder's words
    contract = ContractFacts.read(node)
    ctx = NodeContext(node=node, commit=commit, contract=contract)
    mining = Mining(
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
        if is_test_path(rel):
            continue
        too_big = _too_big(ctx.base / rel)
        if too_big:
            mining.outcomes.append(FileOutcome(ctx.repo_rel(rel), SKIPPED, too_big))
            continue
        before = len(mining.patterns)
        try:
            parsed = ctx.parsed(rel)
            mine_file(mining, parsed, tests, naming)
        except EXTRACTION_ERRORS as error:
            mining.outcomes.append(FileOutcome(ctx.repo_rel(rel), FAILED, _one_line(error)))
            continue
        files.append(parsed)
        _record(mining, parsed, len(mining.patterns) - before)
    for test in tests:
        before = len(mining.patterns)
        try:
            mine_test_shapes(mining, test, naming)
        except EXTRACTION_ERRORS as error:
            mining.outcomes.append(FileOutcome(ctx.repo_rel(test.rel), FAILED, _one_line(error)))
            continue
        _record(mining, test, len(mining.patterns) - before)
    mine_naming(mining, naming, files)
    # A whole node is an exemplar only when all of it parsed and it showed something to learn.
    whole = mining.patterns and not any(o.status == FAILED for o in mining.outcomes)
    exemplar = (
        mine_exemplar(
            node,
            _parsed_files(ctx),
            commit=commit,
            status=status,
            learned_at=learned_at,
            reviewed_calls=reviewed_calls,
        )
        if whole
        else None
    )
    if exemplar is not None:
        mining.patterns.append(exemplar)
    return MinedNode(node=node, patterns=tuple(mining.patterns), outcomes=tuple(mining.outcomes))


def _parsed_files(ctx: NodeContext) -> list[ParsedFile]:
    """Every Python file of the node that parses (each was parsed once already, or is now)."""
    found = []
    for rel in ctx.python_files():
        if _too_big(ctx.base / rel):
            continue
        try:
            found.append(ctx.parsed(rel))
        except EXTRACTION_ERRORS:
            continue  # reported as failed where it was mined
    return found


def _record(mining: Mining, parsed: ParsedFile, found: int) -> None:
    path = mining.ctx.repo_rel(parsed.rel)
    if found:
        mining.outcomes.append(FileOutcome(path, EXTRACTED, patterns=found))
        return
    reasons = mining.skipped.get(parsed.rel)
    detail = "; ".join(reasons) if reasons else "no handler, node class, guard or test to learn from"
    mining.outcomes.append(FileOutcome(path, SKIPPED, detail))


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def _test_modules(mining: Mining) -> list[ParsedFile]:
    parsed = []
    for rel in mining.ctx.python_files():
        if is_test_path(rel) and not rel.endswith("__init__.py"):
            try:
                parsed.append(mining.ctx.parsed(rel))
            except EXTRACTION_ERRORS as error:
                mining.outcomes.append(FileOutcome(mining.ctx.repo_rel(rel), FAILED, _one_line(error)))
    return parsed


def mine_file(mining: Mining, parsed: ParsedFile, tests: list[ParsedFile], naming: NamingEvidence) -> None:
    """Every extractor over one parsed source file."""
    handlers = parsed.visit(GatherHandlerClassesVisitor()).classes
    mine_operations(mining, parsed, handlers, tests, naming)
    mine_skeletons(mining, parsed)
    mine_imports(mining, parsed)
    if may_hold_workflow(parsed.text):
        mine_workflow(mining, parsed, handlers)
    mine_models(mining, parsed)
    definitions = parsed.visit(GatherDefinitionsVisitor())
    mine_registry(mining, parsed, definitions)
    if not handlers and not definitions.registries and is_support_module(parsed.rel):
        mine_support(mining, parsed, definitions)
    note_class_names(parsed, naming)
