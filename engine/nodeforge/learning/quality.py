"""Code quality of a mined pattern: a score in [0, 1] with one reasoned check per concern.

The quality gate of ``learn`` keeps a pattern only when ``analyze(code).score >= defaults.QUALITY_THRESHOLD``.
Learned code is copied into every node generated from it, so the checks ask "would we want this
copied?" rather than "is this perfect?".

Scoring: the score starts at 1.0 and every failed check subtracts its ``weight`` (code that does
not parse scores 0). The weights come in two tiers, chosen so the default gate (0.8,
``defaults.QUALITY_THRESHOLD``) reads as a rule:

* **defects**, weight > 0.2, so any one of them alone fails the gate: stub bodies (0.30, a stub
  teaches nothing), bare ``except:`` (0.25), swallowed exceptions (0.25) and mutable default
  arguments (0.25, a shared-state bug that would be copied into every generated node);
* **hygiene**, weight 0.12, so one lapse alone passes (0.88) and any two fail (0.76): TODO markers,
  docstrings on public definitions, type annotations, ``print`` calls, nesting/length.

Placeholders in identifiers (``Handler__Entity__Create``, ``get___entity__``) are ordinary
identifiers; only the public/private decision looks through them (``__entity__`` is not a dunder).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from nodeforge import defaults
from nodeforge.learning import shapes
from nodeforge.learning.cstwalk import walk
from nodeforge.naming import PLACEHOLDERS

# Weights: the penalty a failed check subtracts from 1.0 (see the module docstring for the tiers).
PARSES = "parses"
STUB_BODIES = "no_stub_bodies"
TODO_MARKERS = "no_todo_markers"
DOCSTRINGS = "docstrings"
ANNOTATIONS = "type_annotations"
BARE_EXCEPT = "no_bare_except"
SWALLOWED = "no_swallowed_exceptions"
PRINT_CALLS = "no_print_calls"
COMPLEXITY = "reasonable_complexity"
MUTABLE_DEFAULTS = "no_mutable_defaults"
WEIGHTS: dict[str, float] = {
    STUB_BODIES: 0.30,
    BARE_EXCEPT: 0.25,
    SWALLOWED: 0.25,
    MUTABLE_DEFAULTS: 0.25,
    TODO_MARKERS: 0.12,
    DOCSTRINGS: 0.12,
    ANNOTATIONS: 0.12,
    PRINT_CALLS: 0.12,
    COMPLEXITY: 0.12,
}

# Pylint's defaults (max-nested-blocks 5 counts the def itself; max-statements 50).
MAX_NESTING = 4
MAX_STATEMENTS = 50

_TODO = re.compile(r"\b(?:TODO|FIXME|XXX|HACK)\b")
# Expressions are only walked when the text holds something only they can show (a print call, a
# TODO comment inside an expression); skipping them makes the walk about three times faster.
_NEEDS_EXPRESSIONS = re.compile(r"\bprint\b|\b(?:TODO|FIXME|XXX|HACK)\b")
_MAX_DETAIL_ITEMS = 3

_EXEMPT_DECORATORS = frozenset({"abstractmethod", "overload"})


@dataclass(frozen=True)
class Check:
    """One concern: whether the code passed it, its weight (penalty when failed) and why."""

    name: str
    passed: bool
    weight: float
    detail: str


@dataclass(frozen=True)
class QualityReport:
    """The score in [0, 1] and every check that made it."""

    score: float
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        """Whether the code clears the learning gate."""
        return self.score >= defaults.QUALITY_THRESHOLD

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.passed)

    @property
    def reasons(self) -> tuple[str, ...]:
        """One human line per check, failures first, e.g. ``FAIL no_bare_except (-0.25): ...``."""
        ordered = sorted(self.checks, key=lambda check: check.passed)
        return tuple(
            f"ok   {check.name}: {check.detail}"
            if check.passed
            else f"FAIL {check.name} (-{check.weight:.2f}): {check.detail}"
            for check in ordered
        )


def analyze(code: str) -> QualityReport:
    """Score ``code`` (a class, a function or a module fragment, possibly indented)."""
    source = textwrap.dedent(code)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        reason = f"does not parse: {error.message} (line {error.raw_line})"
        return QualityReport(score=0.0, checks=(Check(PARSES, False, 1.0, reason),))
    return _report(module, walk_expressions=bool(_NEEDS_EXPRESSIONS.search(source)))


def analyze_tree(tree: cst.CSTNode, *, source: str | None = None) -> QualityReport:
    """Score an already parsed node (saves the parse, the larger half of ``analyze``'s cost).

    ``source`` is any text that contains the node's code (the whole file will do); with it, the
    walk skips expressions when the text shows no ``print`` and no TODO marker.
    """
    walk_expressions = source is None or bool(_NEEDS_EXPRESSIONS.search(source))
    return _report(tree, walk_expressions=walk_expressions)


def _report(tree: cst.CSTNode, *, walk_expressions: bool) -> QualityReport:
    visitor = GatherQualityFactsVisitor()
    # ``walk``, not ``tree.visit``: libcst's visit rebuilds every node it enters.
    walk(tree, visitor, prune=() if walk_expressions else (cst.BaseExpression,))
    facts = visitor.facts
    checks = (
        Check(PARSES, True, 1.0, "parses"),
        _check(STUB_BODIES, facts.stubs, "stub body in", "no stub bodies"),
        _check(TODO_MARKERS, facts.todos, "TODO/FIXME marker in", "no TODO/FIXME markers"),
        _check(
            DOCSTRINGS,
            facts.undocumented,
            "no docstring on",
            f"all {facts.public_definitions} public definitions documented",
        ),
        _check(
            ANNOTATIONS,
            facts.unannotated,
            "missing annotations:",
            f"all {facts.functions} functions fully annotated",
        ),
        _check(BARE_EXCEPT, facts.bare_excepts, "bare `except:` in", "no bare except"),
        _check(SWALLOWED, facts.swallowed, "exceptions swallowed in", "no swallowed exceptions"),
        _check(PRINT_CALLS, facts.prints, "print() in", "no print calls"),
        _check(
            COMPLEXITY,
            facts.too_complex,
            "too complex:",
            f"nesting <= {MAX_NESTING}, statements <= {MAX_STATEMENTS} per function",
        ),
        _check(
            MUTABLE_DEFAULTS, facts.mutable_defaults, "mutable default argument in", "no mutable defaults"
        ),
    )
    penalty = sum(check.weight for check in checks if not check.passed)
    return QualityReport(score=round(max(0.0, 1.0 - penalty), 4), checks=checks)


def _check(name: str, problems: Sequence[str], failed_prefix: str, passed_detail: str) -> Check:
    if not problems:
        return Check(name, True, WEIGHTS[name], passed_detail)
    unique = list(dict.fromkeys(problems))
    shown = ", ".join(unique[:_MAX_DETAIL_ITEMS])
    more = f" and {len(unique) - _MAX_DETAIL_ITEMS} more" if len(unique) > _MAX_DETAIL_ITEMS else ""
    return Check(name, False, WEIGHTS[name], f"{failed_prefix} {shown}{more}")


@dataclass
class QualityFacts:
    """What one walk found; each list names where (``Class.method``) a problem is."""

    functions: int = 0
    public_definitions: int = 0
    stubs: list[str] = field(default_factory=list)
    todos: list[str] = field(default_factory=list)
    undocumented: list[str] = field(default_factory=list)
    unannotated: list[str] = field(default_factory=list)
    bare_excepts: list[str] = field(default_factory=list)
    swallowed: list[str] = field(default_factory=list)
    prints: list[str] = field(default_factory=list)
    too_complex: list[str] = field(default_factory=list)
    mutable_defaults: list[str] = field(default_factory=list)


@dataclass
class _FunctionFrame:
    name: str
    depth: int = 0
    max_depth: int = 0
    statements: int = 0
    has_todo: bool = False


@dataclass
class _ClassFrame:
    name: str
    is_protocol: bool


class GatherQualityFactsVisitor(cst.CSTVisitor):
    """Gathers every quality fact in one walk.

    One visitor rather than one per concern: a LibCST walk costs about 11 ms per 100 lines here,
    more than the parse, so the concerns share the walk. ``_report`` walks it with expressions
    pruned unless the text hints at a print or a TODO (only those concerns look inside them).
    Neither ``on_visit`` nor attribute hooks of its own: ``cstwalk.walk`` then dispatches from a
    table and skips the attribute calls.
    """

    def __init__(self) -> None:
        super().__init__()
        self.facts = QualityFacts()
        self._scopes: list[_FunctionFrame | _ClassFrame] = []
        self._elifs: set[int] = set()

    def _where(self) -> str:
        return ".".join(scope.name for scope in self._scopes) or "<module>"

    def _function(self) -> _FunctionFrame | None:
        for scope in reversed(self._scopes):
            if isinstance(scope, _FunctionFrame):
                return scope
        return None

    # -- definitions -------------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        self._note_docstring_todo(node.get_docstring(clean=False))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        is_protocol = any(shapes.names_or_ends_with(base.value, "Protocol") for base in node.bases)
        nested_in_function = self._function() is not None
        self._scopes.append(_ClassFrame(node.name.value, is_protocol))
        docstring = node.get_docstring(clean=False)
        self._note_docstring_todo(docstring)
        if _is_public(node.name.value) and not nested_in_function:
            self.facts.public_definitions += 1
            if docstring is None and not node.name.value.startswith("Test"):
                self.facts.undocumented.append(self._where())

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        nested_in_function = self._function() is not None
        self._scopes.append(_FunctionFrame(name))
        self.facts.functions += 1
        where = self._where()
        docstring = node.get_docstring(clean=False)
        self._note_docstring_todo(docstring)
        # Tests are named for what they check; an @overload's docstring lives on the implementation.
        exempt = name.startswith("test") or any(_decorator_name(d) == "overload" for d in node.decorators)
        if _is_public(name) and not nested_in_function and not exempt:
            self.facts.public_definitions += 1
            if docstring is None:
                self.facts.undocumented.append(where)
        self._note_parameters(node, where)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        frame = self._scopes.pop()
        assert isinstance(frame, _FunctionFrame)
        where = ".".join([*(scope.name for scope in self._scopes), frame.name])
        if frame.has_todo and self._function() is not None:
            # A TODO in a nested function is also a TODO in the function around it.
            enclosing = self._function()
            assert enclosing is not None
            enclosing.has_todo = True
        if self._is_stub(original_node, frame):
            self.facts.stubs.append(where)
        if frame.max_depth > MAX_NESTING:
            self.facts.too_complex.append(f"{where} nests {frame.max_depth} blocks deep")
        if frame.statements > MAX_STATEMENTS:
            self.facts.too_complex.append(f"{where} has {frame.statements} statements")

    def _note_parameters(self, node: cst.FunctionDef, where: str) -> None:
        params = node.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                every.append(star)
        # self/cls need no annotation, also outside a class: a mined method is analyzed on its own.
        missing = [
            param.name.value
            for index, param in enumerate(every)
            if param.annotation is None and not (index == 0 and param.name.value in ("self", "cls"))
        ]
        annotated_any = any(param.annotation is not None for param in every)
        # mypy --strict accepts an unannotated return on an __init__ whose parameters are typed.
        if node.returns is None and not (node.name.value == "__init__" and annotated_any):
            missing.append("return")
        if missing:
            self.facts.unannotated.append(f"{where}({', '.join(missing)})")
        if any(param.default is not None and shapes.is_mutable_default(param.default) for param in every):
            self.facts.mutable_defaults.append(where)

    def _is_stub(self, node: cst.FunctionDef, frame: _FunctionFrame) -> bool:
        """Pass / ... / raise NotImplementedError as the whole body, or a TODO and nothing else.

        A docstring with ``pass`` (or alone) is a documented no-op, not a stub; abstract methods,
        overloads and Protocol members are stubs by design.
        """
        enclosing = self._scopes[-1] if self._scopes else None
        if isinstance(enclosing, _ClassFrame) and enclosing.is_protocol:
            return False
        if any(_decorator_name(decorator) in _EXEMPT_DECORATORS for decorator in node.decorators):
            return False
        docstring = node.get_docstring(clean=False)
        statements = _small_statements(node.body, skip_docstring=docstring is not None)
        if statements is None:
            return False  # holds a compound statement: real code
        if frame.has_todo:
            return all(shapes.is_stub_statement(s) or shapes.returns_nothing(s) for s in statements)
        if any(shapes.raises_not_implemented(s) for s in statements):
            return all(shapes.is_stub_statement(s) for s in statements)
        return docstring is None and bool(statements) and all(shapes.is_no_op(s) for s in statements)

    def _note_docstring_todo(self, docstring: str | None) -> None:
        if docstring is not None and _TODO.search(docstring):
            self._note_todo()

    def _note_todo(self) -> None:
        self.facts.todos.append(self._where())
        frame = self._function()
        if frame is not None:
            frame.has_todo = True

    # -- statements --------------------------------------------------------------------------
    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._count_statements(len(node.body))

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._count_statements(len(node.body))

    def _count_statements(self, count: int) -> None:
        frame = self._function()
        if frame is not None:
            frame.statements += count

    def _enter_block(self) -> None:
        frame = self._function()
        if frame is not None:
            frame.statements += 1
            frame.depth += 1
            frame.max_depth = max(frame.max_depth, frame.depth)

    def _leave_block(self) -> None:
        frame = self._function()
        if frame is not None:
            frame.depth -= 1

    def visit_If(self, node: cst.If) -> None:
        if isinstance(node.orelse, cst.If):
            self._elifs.add(id(node.orelse))
        if id(node) not in self._elifs:  # an elif is a sibling branch, not a deeper block
            self._enter_block()

    def leave_If(self, original_node: cst.If) -> None:
        if id(original_node) not in self._elifs:
            self._leave_block()

    def visit_For(self, node: cst.For) -> None:
        self._enter_block()

    def leave_For(self, original_node: cst.For) -> None:
        self._leave_block()

    def visit_While(self, node: cst.While) -> None:
        self._enter_block()

    def leave_While(self, original_node: cst.While) -> None:
        self._leave_block()

    def visit_With(self, node: cst.With) -> None:
        self._enter_block()
        if any(shapes.suppresses_broad(item.item) for item in node.items):
            self.facts.swallowed.append(f"{self._where()} (suppress of a broad exception)")

    def leave_With(self, original_node: cst.With) -> None:
        self._leave_block()

    def visit_Try(self, node: cst.Try) -> None:
        self._enter_block()

    def leave_Try(self, original_node: cst.Try) -> None:
        self._leave_block()

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._enter_block()

    def leave_TryStar(self, original_node: cst.TryStar) -> None:
        self._leave_block()

    def visit_Match(self, node: cst.Match) -> None:
        self._enter_block()

    def leave_Match(self, original_node: cst.Match) -> None:
        self._leave_block()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._note_handler(node.type, node.body)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._note_handler(node.type, node.body)

    def _note_handler(self, caught: cst.BaseExpression | None, body: cst.BaseSuite) -> None:
        where = self._where()
        if caught is None:
            self.facts.bare_excepts.append(where)
            return
        # A specific exception handled by doing nothing (``except OSError: continue``) is a decision;
        # catching everything and not re-raising hides the failures nobody anticipated.
        if not shapes.is_broad_type(caught) or shapes.holds_raise(body):
            return
        statements = _small_statements(body, skip_docstring=False)
        empty = statements is not None and all(shapes.swallows(s) for s in statements)
        self.facts.swallowed.append(
            f"{where} ({'empty broad handler' if empty else 'broad except, no re-raise'})"
        )

    # -- expressions and comments (walked only when the text hints at them) -------------------
    def visit_Call(self, node: cst.Call) -> None:
        if shapes.is_name(node.func, "print"):
            self.facts.prints.append(self._where())

    def visit_Comment(self, node: cst.Comment) -> None:
        if _TODO.search(node.value):
            self._note_todo()


def _small_statements(body: cst.BaseSuite, *, skip_docstring: bool) -> list[cst.BaseSmallStatement] | None:
    """The small statements of a suite, or None when it holds a compound statement."""
    if isinstance(body, cst.SimpleStatementSuite):
        small = list(body.body)
    else:
        small = []
        for statement in body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                return None
            small.extend(statement.body)
    return small[1:] if skip_docstring else small


def _decorator_name(decorator: cst.Decorator) -> str:
    expression = decorator.decorator
    if isinstance(expression, cst.Call):
        expression = expression.func
    if isinstance(expression, cst.Attribute):
        return expression.attr.value
    if isinstance(expression, cst.Name):
        return expression.value
    return ""


def _is_public(name: str) -> bool:
    """Public means no leading underscore once placeholders (``__entity__``) are read as words."""
    for placeholder in PLACEHOLDERS:
        name = name.replace(placeholder, "entity")
    return not name.startswith("_")
