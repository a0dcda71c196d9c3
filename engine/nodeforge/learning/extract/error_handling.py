"""Error handling: the team's convention for catching, logging, re-raising and retrying.

A ``try`` statement is kept as an error-handling pattern when its except clauses show a convention:
they log, re-raise (bare or wrapped ``raise DomainError(...) from exc``), compensate, or the guarded
call is retried. Optional-import boilerplate (``except ImportError``), fallbacks that only assign a
default, and clauses that swallow the exception teach nothing about the convention and are skipped.
The pattern's identity is its *structure*: messages are instance detail, so the same convention
around ``create`` and around ``get`` is one pattern (``identity_code``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from nodeforge.learning.extract import deps
from nodeforge.learning.extract.build import Mining, add_pattern
from nodeforge.learning.extract.source import ParsedFile
from nodeforge.model import PatternKind

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})
_LOG_CALL = re.compile(
    r"\b(?:self\.)?_?(?:log|logger|logging|LOGGER|LOG)\.(debug|info|warning|warn|error|exception|critical)\("
)
_RETRY = re.compile(r"retr(?:y|ies)|backoff|attempts?\b", re.IGNORECASE)
_COMPENSATE = re.compile(r"compensat|rollback|roll_back|undo", re.IGNORECASE)


_ENTERED = (
    cst.Module,
    cst.BaseCompoundStatement,
    cst.IndentedBlock,
    cst.ExceptHandler,
    cst.ExceptStarHandler,
    cst.Else,
    cst.Finally,
)


@dataclass
class GatherErrorHandlingVisitor(cst.CSTVisitor):
    """``try`` statements with ``except`` clauses; statements only, expressions are never entered.

    It declares no metadata: it reads none, and resolving even shared metadata costs a visit.
    """

    statements: list[cst.Try] = field(default_factory=list)

    def on_visit(self, node: cst.CSTNode) -> bool:
        # A ``try`` is a compound statement inside a block: nothing else needs entering.
        if not isinstance(node, _ENTERED):
            return False
        return super().on_visit(node)

    def visit_Try(self, node: cst.Try) -> None:
        if node.handlers:  # a plain test, not a matcher: ten times cheaper
            self.statements.append(node)


@dataclass(frozen=True)
class ErrorConvention:
    """What one ``try`` statement's except clauses do."""

    caught: tuple[str, ...]
    logs: tuple[str, ...]  # log levels used
    raises: str  # "wrap" (raise X(...) from exc), "reraise" (bare raise), "raise" or ""
    compensates: bool
    retried: bool
    bare: bool

    @property
    def skip_reason(self) -> str:
        """Why this ``try`` is not the team's error-handling convention; "" when it is."""
        if self.bare:
            return "bare except"
        if set(self.caught) & _IMPORT_ERRORS:
            return "optional-import boilerplate (except ImportError)"
        if not (self.logs or self.raises or self.compensates):
            return "fallback only: the exception is neither logged, re-raised nor compensated"
        return ""

    def describe(self) -> str:
        parts = [f"catch {', '.join(self.caught)}"]
        if self.retried:
            parts.append("around a retried call")
        if self.logs:
            parts.append(f"log {'/'.join(self.logs)}")
        if self.compensates:
            parts.append("compensate")
        if self.raises == "wrap":
            parts.append("raise a domain error from it")
        elif self.raises:
            parts.append("re-raise")
        return "; ".join(parts)


def _type_names(node: cst.BaseExpression | None) -> list[str]:
    if node is None:
        return []
    if isinstance(node, cst.Tuple):
        return [name for element in node.elements for name in _type_names(element.value)]
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, cst.Attribute):
        return [node.attr.value]
    return ["?"]


def _raises(handler: cst.ExceptHandler) -> str:
    statements = handler.body.body if isinstance(handler.body, cst.IndentedBlock) else [handler.body]
    found = ""
    for statement in statements:
        smalls = (
            statement.body
            if isinstance(statement, cst.SimpleStatementLine | cst.SimpleStatementSuite)
            else []
        )
        for small in smalls:
            if not isinstance(small, cst.Raise):
                continue
            if isinstance(small.cause, cst.From):  # raise X(...) from exc
                return "wrap"
            found = "reraise" if small.exc is None else found or "raise"
    return found


def convention_of(statement: cst.Try, code: str) -> ErrorConvention:
    """``code`` is the statement's source with strings blanked (``identity_code``): calls are read as text."""
    caught: list[str] = []
    logs: list[str] = []
    raises = ""
    bare = False
    for handler in statement.handlers:
        names = _type_names(handler.type)
        bare = bare or not names
        caught.extend(names)
        raised = _raises(handler)
        raises = "wrap" if "wrap" in (raises, raised) else raises or raised
    handlers_text = code[code.find("except") :]
    logs = sorted(set(_LOG_CALL.findall(handlers_text)))
    body_text = code[: code.find("except")]
    return ErrorConvention(
        caught=tuple(dict.fromkeys(caught)),
        logs=tuple(logs),
        raises=raises,
        compensates=bool(_COMPENSATE.search(handlers_text)),
        retried=bool(_RETRY.search(body_text)),
        bare=bare,
    )


def without_try_body(statement: cst.Try) -> cst.Try:
    """The ``try`` statement with its body reduced to ``...``: what remains is the error-handling idiom."""
    body = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Expr(cst.Ellipsis())])])
    return statement.with_changes(body=body, leading_lines=[])


_STRING = re.compile(
    r"""[rRbBuUfF]{0,2}(?:\"\"\"[\s\S]*?\"\"\"|'\'\'[\s\S]*?'\'\'|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')"""
)


def identity_code(code: str) -> str:
    """``code`` with every string literal blanked: what makes two error handlers the same idiom.

    A regex over code libcst generated (so every literal is well formed) instead of a tree
    transform: the transform cost more than the rest of the error-handling extraction.
    """
    return _STRING.sub('""', code)


def mine_error_handling(
    mining: Mining,
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
            add_pattern(
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


def _from_except(code: str) -> str:
    """The except clauses of a ``try`` statement's code."""
    match = re.search(r"^\s*except\b", code, re.MULTILINE)
    return code[match.start() :] if match else code
