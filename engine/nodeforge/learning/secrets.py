"""Find secrets in code before it is stored: learned code may travel to a shared server.

The rules come from detect-secrets (``nodeforge.learning.secret_rules``): its vendor-format detectors over
every line (so comments, docstrings and f-strings are covered), its keyword detector over free
text (comments, docstrings, string contents such as ``.env`` lines and connection strings), and
its entropy measures over literal values. On top, a libcst **context** layer finds what a line
scanner cannot: a literal assigned to, passed as, keyed by or compared with a secret-like name
(``password = "hunter2"``, ``connect(api_key="...")``, ``{"X-Api-Key": "..."}``,
``os.getenv("DB_PASSWORD", "...")``), and values split over implicitly concatenated literals.

What is deliberately *not* a finding: see ``secret_rules.is_placeholder`` (references, masks,
well-known defaults) and the guards of ``secret_rules.entropy_hits`` (UUIDs, identifiers, digests).
Every finding is reported: one secret never hides another on another line. On one line only the
most specific finding is kept (``password = "AKIA..."`` is an AWS key, not also a credential).

A finding's ``detail`` never holds the secret.
"""

from __future__ import annotations

import bisect
import enum
import io
import re
import textwrap
import tokenize
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import libcst as cst

from nodeforge.learning import secret_rules
from nodeforge.learning.secret_rules import RuleHit
from nodeforge.naming import split_identifier


class SecretKind(enum.StrEnum):
    AWS_ACCESS_KEY_ID = "aws_access_key_id"
    AWS_SECRET_ACCESS_KEY = "aws_secret_access_key"
    GCP_SERVICE_ACCOUNT_KEY = "gcp_service_account_key"
    AZURE_CONNECTION_STRING = "azure_connection_string"
    GITHUB_TOKEN = "github_token"
    GITLAB_TOKEN = "gitlab_token"
    SLACK_TOKEN = "slack_token"
    SLACK_WEBHOOK = "slack_webhook"
    STRIPE_KEY = "stripe_key"
    OPENAI_API_KEY = "openai_api_key"
    GOOGLE_API_KEY = "google_api_key"
    JWT = "jwt"
    PRIVATE_KEY = "private_key"
    CONNECTION_STRING_PASSWORD = "connection_string_password"
    AUTHORIZATION_HEADER = "authorization_header"
    HARDCODED_CREDENTIAL = "hardcoded_credential"
    HIGH_ENTROPY_STRING = "high_entropy_string"
    ENCODED_CREDENTIAL = "encoded_credential"
    TWILIO_API_KEY = "twilio_api_key"
    SENDGRID_API_KEY = "sendgrid_api_key"
    NPM_TOKEN = "npm_token"
    MAILGUN_API_KEY = "mailgun_api_key"
    MAILCHIMP_KEY = "mailchimp_key"
    DISCORD_TOKEN = "discord_token"
    TELEGRAM_TOKEN = "telegram_token"
    PYPI_TOKEN = "pypi_token"
    SQUARE_OAUTH_SECRET = "square_oauth_secret"
    ARTIFACTORY_TOKEN = "artifactory_token"
    CLOUD_CREDENTIAL = "cloud_credential"  # IBM Cloud IAM / COS HMAC, SoftLayer, Cloudant
    VENDOR_TOKEN = "vendor_token"  # a detect-secrets detector newer than this list


@dataclass(frozen=True)
class SecretFinding:
    """A secret of ``kind`` at ``line`` (1-based); ``detail`` never contains the secret."""

    kind: SecretKind
    line: int
    detail: str

    def __str__(self) -> str:
        return f"secret ({self.kind}) at line {self.line}: {self.detail}"


@dataclass(frozen=True)
class SecretVerdict:
    """Whether a pattern's code may be stored."""

    clean: bool
    findings: tuple[SecretFinding, ...]

    @property
    def reason(self) -> str:
        """``""`` when clean, else every finding: ``skipped: secret (kind) at line N, ...``."""
        if self.clean:
            return ""
        return "skipped: " + describe_findings(self.findings)


def describe_findings(findings: Iterable[SecretFinding]) -> str:
    """``secret (aws_access_key_id) at line 3, secret (jwt) at line 9``: all of them, no values."""
    return ", ".join(f"secret ({finding.kind}) at line {finding.line}" for finding in findings)


def check_pattern_code(code: str) -> SecretVerdict:
    """The storage policy: a pattern whose code holds any finding is not stored."""
    findings = scan(code)
    return SecretVerdict(clean=not findings, findings=findings)


def scan(code: str) -> tuple[SecretFinding, ...]:
    """Every secret in ``code``, sorted by line; the most specific finding(s) per line."""
    source = textwrap.dedent(code)
    lines = _LineIndex(source)
    found = [*_scan_lines(source, lines), *_hits(secret_rules.supplement_hits(source), lines.line_of)]
    tokens = _tokens(source)
    for line, comment in tokens.comments:
        found.extend(_hits(secret_rules.keyword_hits(comment), _always(line)))
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        found.extend(_scan_unparsed(source, lines.line_of))
        return _most_specific(found)
    visitor = GatherStringLiteralsVisitor(tokens)
    module.visit(visitor)
    for literal in visitor.literals:
        found.extend(_scan_literal(literal, lines))
    return _most_specific(found)


def _scan_lines(
    text: str, lines: _LineIndex, line_of_offset: _OffsetToLine | None = None
) -> Iterator[SecretFinding]:
    """detect-secrets' format detectors, line by line."""
    start = 0
    for raw in text.splitlines(keepends=True):
        for hit in secret_rules.vendor_hits(raw, text[start:]):
            line = line_of_offset(start + hit.offset) if line_of_offset else lines.line_of(start)
            yield SecretFinding(SecretKind(hit.kind), line, hit.detail)
        start += len(raw)


def _always(line: int) -> _OffsetToLine:
    """Every offset of a one-line text (a comment) is on its line."""
    return lambda _offset: line


def _hits(hits: Iterable[RuleHit], line_of: _OffsetToLine) -> Iterator[SecretFinding]:
    for hit in hits:
        yield SecretFinding(SecretKind(hit.kind), line_of(hit.offset), hit.detail)


# -- string literals (libcst) --------------------------------------------------------------------


@dataclass(frozen=True)
class StringLiteral:
    """A literal's evaluated value, where it is, and the secret-like name it is bound to if any."""

    value: str
    parts: tuple[LiteralPart, ...]  # more than one for implicit concatenation
    context: str  # the assigned / keyword / key / compared name, "" when none
    is_docstring: bool

    @property
    def line(self) -> int:
        return self.parts[0].line

    @property
    def end_line(self) -> int:
        return self.parts[-1].end_line

    @property
    def concatenated(self) -> bool:
        """Whether the value exists nowhere in the source text as one piece."""
        return len(self.parts) > 1

    def line_of(self, offset: int) -> int:
        """The source line of a character of the value (exact unless escapes add line breaks)."""
        part = next(part for part in reversed(self.parts) if part.start <= offset)
        return min(part.line + self.value.count("\n", part.start, offset), part.end_line)


@dataclass(frozen=True)
class LiteralPart:
    """One written piece of a literal: where its value starts in the whole, and its lines."""

    start: int
    line: int
    end_line: int


class _Tokens:
    """String-literal lines and comments, from the tokenizer.

    libcst visits literals in source order, so matching each literal's source text against the
    next string tokens gives its exact line without the cost of libcst's position metadata.
    """

    def __init__(self, strings: list[tuple[str, int]], comments: list[tuple[int, str]]) -> None:
        self._tokens = strings
        self.comments = comments
        self._next = 0
        self._last_line = 1

    def line_of(self, raw: str) -> int:
        for index in range(self._next, len(self._tokens)):
            text, line = self._tokens[index]
            if text == raw:
                self._next = index + 1
                self._last_line = line
                return line
        return self._last_line


def _tokens(source: str) -> _Tokens:
    strings: list[tuple[str, int]] = []
    comments: list[tuple[int, str]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING:
                strings.append((token.string, token.start[0]))
            elif token.type == tokenize.COMMENT:
                comments.append((token.start[0], token.string))
    except (tokenize.TokenError, SyntaxError):
        pass  # keep what was found so far; later literals fall back to the last known line
    return _Tokens(strings, comments)


_PLAIN_WORD = re.compile(r"[#@]?[a-z_][a-z_-]*")
_ENV_GETTERS = frozenset({"getenv", "get", "setdefault", "pop"})


class GatherStringLiteralsVisitor(cst.CSTVisitor):
    """Collects every string literal with its value, line and binding name (if any)."""

    def __init__(self, token_lines: _Tokens) -> None:
        super().__init__()
        self.literals: list[StringLiteral] = []
        self._lines = token_lines
        self._contexts: dict[int, str] = {}  # id(literal node) -> the name it is bound to
        self._docstrings: set[int] = set()

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None

    def _bind(self, value: cst.BaseExpression | None, name: str) -> None:
        if value is not None and name and isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
            self._contexts[id(value)] = name

    # -- docstrings ----------------------------------------------------------------------------
    def _note_docstring(self, body: cst.BaseSuite | cst.Module) -> None:
        statements = body.body
        if not statements:
            return
        first = statements[0]
        if isinstance(first, cst.SimpleStatementSuite | cst.SimpleStatementLine) and first.body:
            small = first.body[0]
            if isinstance(small, cst.Expr) and isinstance(
                small.value, cst.SimpleString | cst.ConcatenatedString
            ):
                self._docstrings.add(id(small.value))

    def visit_Module(self, node: cst.Module) -> None:
        self._note_docstring(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._note_docstring(node.body)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._note_docstring(node.body)

    # -- bindings ------------------------------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(node.value, _target_name(target.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.value, _target_name(node.target))

    def visit_Param(self, node: cst.Param) -> None:
        self._bind(node.default, node.name.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._bind(node.value, node.keyword.value)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        self._bind(node.value, _literal_text(node.key))

    def visit_Comparison(self, node: cst.Comparison) -> None:
        left = node.left
        for target in node.comparisons:
            if isinstance(target.operator, cst.Equal | cst.NotEqual):
                self._bind_compared(target.comparator, _target_name(left))
                self._bind_compared(left, _target_name(target.comparator))
            left = target.comparator

    def _bind_compared(self, value: cst.BaseExpression, name: str) -> None:
        # Lexers compare ``token == "async"``: a plain lowercase word compared is a value, not a secret.
        if not (isinstance(value, cst.SimpleString) and _PLAIN_WORD.fullmatch(_literal_text(value))):
            self._bind(value, name)

    def visit_Call(self, node: cst.Call) -> None:
        # os.getenv("DB_PASSWORD", "fallback"), os.environ.setdefault("TOKEN", "..."), d.get(...)
        func = node.func
        if isinstance(func, cst.Attribute | cst.Name) and len(node.args) >= 2:
            method = func.attr.value if isinstance(func, cst.Attribute) else func.value
            if method in _ENV_GETTERS:
                self._bind(node.args[1].value, _literal_text(node.args[0].value))

    # -- literals ------------------------------------------------------------------------------
    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self._record(node, [node])

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
        pieces = list(_string_parts(node))
        if all(isinstance(piece, cst.SimpleString) for piece in pieces):
            self._record(node, [piece for piece in pieces if isinstance(piece, cst.SimpleString)])
        else:  # holds an f-string: not a constant; still consume the parts' lines in order
            for piece in pieces:
                if isinstance(piece, cst.SimpleString):
                    self._lines.line_of(piece.value)
        return False  # the parts were consumed above

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        return False  # dynamic; its static text is covered by the format scan of the source

    def _record(self, node: cst.BaseString, pieces: list[cst.SimpleString]) -> None:
        parts: list[LiteralPart] = []
        values: list[str] = []
        start = 0
        for piece in pieces:
            line = self._lines.line_of(piece.value)
            parts.append(LiteralPart(start, line, line + piece.value.count("\n")))
            value = _evaluated(piece)
            values.append(value)
            start += len(value)
        self.literals.append(
            StringLiteral(
                value="".join(values),
                parts=tuple(parts),
                context=self._contexts.pop(id(node), ""),
                is_docstring=id(node) in self._docstrings,
            )
        )


def _evaluated(node: cst.SimpleString) -> str:
    value = node.evaluated_value
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _string_parts(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    if isinstance(node, cst.ConcatenatedString):
        yield from _string_parts(node.left)
        yield from _string_parts(node.right)
    else:
        yield node


def _target_name(target: cst.BaseExpression) -> str:
    """``password`` / ``self.password`` / ``config["password"]`` -> ``password``; else ``""``."""
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Attribute):
        return target.attr.value
    if isinstance(target, cst.Subscript) and len(target.slice) == 1:
        index = target.slice[0].slice
        if isinstance(index, cst.Index):
            return _literal_text(index.value)
    return ""


def _literal_text(node: cst.BaseExpression) -> str:
    return _evaluated(node) if isinstance(node, cst.SimpleString) else ""


# -- judging literals ----------------------------------------------------------------------------

_OffsetToLine = Callable[[int], int]


def _scan_literal(literal: StringLiteral, lines: _LineIndex) -> Iterator[SecretFinding]:
    value = literal.value
    if literal.concatenated:  # a format split over parts exists nowhere in the source as one piece
        yield from _scan_lines(value, lines, literal.line_of)
        yield from _hits(secret_rules.supplement_hits(value), literal.line_of)
    yield from _hits(_per_line(value, secret_rules.keyword_hits), literal.line_of)
    if literal.context:
        finding = _judge_binding(literal.context, value, literal.line)
        if finding is not None:
            yield finding
    if not literal.is_docstring:
        yield from _hits(secret_rules.entropy_hits(value, lines.text_of(literal.line)), literal.line_of)


def _per_line(text: str, rule: Callable[[str], Iterator[RuleHit]]) -> Iterator[RuleHit]:
    start = 0
    for raw in text.splitlines(keepends=True):
        for hit in rule(raw):
            yield RuleHit(hit.kind, start + hit.offset, hit.detail)
        start += len(raw)


_AWS_SECRET_VALUE = re.compile(r"[A-Za-z0-9/+]{40}")
_HEX32 = re.compile(r"[0-9a-fA-F]{32}")


def _judge_binding(name: str, value: str, line: int) -> SecretFinding | None:
    words = split_identifier(name)
    if not secret_rules.is_secret_name(words) or secret_rules.is_placeholder(value, name=name):
        return None
    if "secret" in words and ("aws" in words or "access" in words) and _AWS_SECRET_VALUE.fullmatch(value):
        return SecretFinding(SecretKind.AWS_SECRET_ACCESS_KEY, line, f"AWS secret access key in {name!r}")
    if "twilio" in words and _HEX32.fullmatch(value):
        return SecretFinding(SecretKind.TWILIO_API_KEY, line, f"Twilio auth token in {name!r}")
    return SecretFinding(
        SecretKind.HARDCODED_CREDENTIAL, line, f"literal bound to {name!r} ({len(value)} chars)"
    )


# -- unparsable code and bookkeeping -------------------------------------------------------------

_RAW_BINDING = re.compile(
    r"""(?P<name>[A-Za-z_][\w-]*)["']?\s*(?::\s*[\w\[\], .|]+?)?\s*(?:=|:)\s*"""
    r"""(?P<quote>["'])(?P<value>[^"'\\\n]*)(?P=quote)"""
)
_RAW_STRING = re.compile(r"""(?P<quote>["'])(?P<value>[^"'\\\n]{20,})(?P=quote)""")


def _scan_unparsed(source: str, line_of: _OffsetToLine) -> Iterator[SecretFinding]:
    """Code libcst cannot parse still gets the name and entropy checks, from the raw text."""
    for match in _RAW_BINDING.finditer(source):
        finding = _judge_binding(match.group("name"), match.group("value"), line_of(match.start("value")))
        if finding is not None:
            yield finding
    for match in _RAW_STRING.finditer(source):
        line = line_of(match.start("value"))
        for hit in secret_rules.entropy_hits(match.group("value"), match.group()):
            yield SecretFinding(SecretKind(hit.kind), line, hit.detail)


class _LineIndex:
    def __init__(self, text: str) -> None:
        self._text = text
        self._starts = [0, *(index + 1 for index, char in enumerate(text) if char == "\n")]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)

    def text_of(self, line: int) -> str:
        start = self._starts[line - 1]
        end = self._starts[line] if line < len(self._starts) else len(self._text)
        return self._text[start:end]


_RANK = {
    SecretKind.GCP_SERVICE_ACCOUNT_KEY: 4,
    SecretKind.JWT: 2,
    SecretKind.PRIVATE_KEY: 2,
    SecretKind.CONNECTION_STRING_PASSWORD: 2,
    SecretKind.AUTHORIZATION_HEADER: 1,
    SecretKind.ENCODED_CREDENTIAL: 0,
    SecretKind.HARDCODED_CREDENTIAL: 0,
    SecretKind.HIGH_ENTROPY_STRING: 0,
}
_FORMAT_RANK = 3


def _most_specific(findings: Iterable[SecretFinding]) -> tuple[SecretFinding, ...]:
    """One finding per (kind, line); on a line, only the most specific kinds are kept.

    ``password = "AKIA..."`` is an AWS key, not also a hard-coded credential and a high-entropy
    string; a GCP key file's private key is reported as the GCP key. Findings on other lines are
    all kept: one secret never hides another.
    """
    by_line: dict[int, dict[SecretKind, SecretFinding]] = {}
    for finding in findings:
        by_line.setdefault(finding.line, {}).setdefault(finding.kind, finding)
    kept: list[SecretFinding] = []
    for line in sorted(by_line):
        kinds = by_line[line]
        best = max(_RANK.get(kind, _FORMAT_RANK) for kind in kinds)
        kept.extend(finding for kind, finding in kinds.items() if _RANK.get(kind, _FORMAT_RANK) == best)
    return tuple(kept)
