"""Find secrets in code before it is stored: learned code may travel to a shared server.

Two layers:

* **formats** — regexes for credentials with a recognisable shape (``AKIA...``, ``ghp_...``, PEM
  private keys, ``scheme://user:password@host``...). They run over the whole text, so comments,
  docstrings and f-strings are covered, and again over the value of implicitly concatenated
  literals (``"AKIA" "..."`` is one literal to Python). Stripe test-mode keys count: they are
  still an account's credentials.
* **context** (libcst) — a literal assigned to, passed as, keyed by or compared with a secret-like
  name (``password = "hunter2"``, ``connect(api_key="...")``, ``{"X-Api-Key": "..."}``,
  ``os.getenv("DB_PASSWORD", "...")``), and high-entropy literals anywhere but docstrings.

What is deliberately *not* a finding (see ``_is_placeholder``): values under 4 characters,
references (``os.environ["DB_PASSWORD"]``, ``settings.password``, an UPPER_SNAKE name such as
``"DB_PASSWORD"``, ``"${X}"``, ``"{password}"``, file paths), annotations (``password: str``),
masked values (``"****"``, ``"<redacted>"``), well-known defaults and placeholder words
(``"changeme"``, ``"admin"``, ``"guest"``, ``"example"``, ``"dummy"``...), and plain lowercase
words compared with a secret-like name (lexers test ``token == "async"``). ``"changeme"`` is public
knowledge: storing it leaks nothing, and flagging it would discard every pattern showing a default.
Hex-only literals are not entropy findings (in code they are digests, commit ids and UUIDs); a hex
secret is still found by its name (``secret_key = "9f86..."``).

A finding's ``detail`` never holds the secret: at most a public prefix such as ``AKIA`` or ``ghp_``.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import enum
import io
import math
import re
import textwrap
import tokenize
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import libcst as cst

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
    TWILIO_API_KEY = "twilio_api_key"
    SENDGRID_API_KEY = "sendgrid_api_key"
    NPM_TOKEN = "npm_token"


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
        """``""`` when clean, else ``skipped: secret (kind) at line N`` for the first finding."""
        if self.clean:
            return ""
        first = self.findings[0]
        more = f" (+{len(self.findings) - 1} more)" if len(self.findings) > 1 else ""
        return f"skipped: secret ({first.kind}) at line {first.line}{more}"


def check_pattern_code(code: str) -> SecretVerdict:
    """The storage policy: a pattern whose code holds any finding is not stored."""
    findings = scan(code)
    return SecretVerdict(clean=not findings, findings=findings)


def scan(code: str) -> tuple[SecretFinding, ...]:
    """Every secret in ``code``, sorted by line; at most one finding per kind and line."""
    source = textwrap.dedent(code)
    lines = _LineIndex(source)
    found: list[SecretFinding] = list(_scan_formats(source, lines.line_of))
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        found.extend(_scan_unparsed(source, lines.line_of))
        return _most_specific(found)
    visitor = GatherStringLiteralsVisitor(_string_token_lines(source))
    module.visit(visitor)
    in_source = [(finding.kind, finding.line) for finding in found]
    for literal in visitor.literals:
        found.extend(
            finding
            for finding in _scan_literal(literal)
            # a concatenated literal's format finding may already be known from one of its parts
            if not any(
                kind is finding.kind and literal.line <= line <= literal.end_line for kind, line in in_source
            )
        )
    return _most_specific(found)


# -- formats -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FormatRule:
    kind: SecretKind
    label: str
    pattern: re.Pattern[str]
    public_prefix: int = 0  # characters of the match that are a format marker, safe to show
    accept: Callable[[re.Match[str]], bool] | None = None
    rank: int = 3  # on one line only the highest-ranked findings are kept (specific beats generic)
    describe: Callable[[re.Match[str]], str] | None = None  # a detail naming more than the label

    def detail(self, match: re.Match[str]) -> str:
        if self.describe is not None:
            return self.describe(match)
        return f"{self.label} {_redact(match.group(), self.public_prefix)}"


def _mixed(text: str) -> bool:
    return (
        any(c.isdigit() for c in text) and any(c.isupper() for c in text) and any(c.islower() for c in text)
    )


def _password_group_is_real(match: re.Match[str]) -> bool:
    password = match.group("password")
    is_port = password.isdigit() and len(password) <= 5
    return not is_port and not _is_placeholder(password, name="password")


def _authorization_is_real(match: re.Match[str]) -> bool:
    credential = match.group("credential")
    if match.group("scheme") == "Basic":
        decoded = _decode_base64_text(credential)
        return decoded is not None and ":" in decoded
    return any(c.isdigit() for c in credential) and any(c.isalpha() for c in credential)


_B64 = r"A-Za-z0-9+/="
_PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    # then line breaks (real or escaped) and optional "Header: value" lines, then the base64 body;
    # a bare header (a key parser checking ``startswith("-----BEGIN ...")``) is not a key.
    r"(?:\\[rn]|\s)+(?:[A-Za-z-]+:[^\n\\]*(?:\\[rn]|\s)+)*"
    rf"[{_B64}]{{40,}}"
)
_FORMAT_RULES = (
    _FormatRule(
        SecretKind.AWS_ACCESS_KEY_ID,
        "AWS access key id",
        re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),
        public_prefix=4,
    ),
    _FormatRule(
        SecretKind.AWS_SECRET_ACCESS_KEY,
        "AWS secret access key",
        re.compile(r"(?i)secret_?access_?key['\"]?\s*[:=]\s*['\"]?(?-i:[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"),
    ),
    _FormatRule(
        SecretKind.AZURE_CONNECTION_STRING,
        "Azure connection string key",
        re.compile(rf"\b(?:AccountKey|SharedAccessKey)=[{_B64}]{{20,}}"),
    ),
    _FormatRule(
        SecretKind.GITHUB_TOKEN,
        "GitHub token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,})(?![A-Za-z0-9_])"),
        public_prefix=4,
    ),
    _FormatRule(
        SecretKind.GITLAB_TOKEN, "GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), public_prefix=6
    ),
    _FormatRule(
        SecretKind.SLACK_WEBHOOK,
        "Slack webhook URL",
        re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{20,}"),
        public_prefix=len("https://hooks.slack.com/"),
    ),
    _FormatRule(
        SecretKind.SLACK_TOKEN,
        "Slack token",
        re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]{10,}"),
        public_prefix=5,
    ),
    # Test-mode Stripe keys too: they are still an account's credentials.
    _FormatRule(
        SecretKind.STRIPE_KEY,
        "Stripe key",
        re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"),
        public_prefix=8,
    ),
    _FormatRule(
        SecretKind.OPENAI_API_KEY,
        "OpenAI-style API key",
        re.compile(r"\bsk-(?:proj-|svcacct-|admin-|ant-(?:api\d\d-)?)?(?P<body>[A-Za-z0-9_-]{20,})"),
        public_prefix=3,
        accept=lambda match: _mixed(match.group("body")),
    ),
    _FormatRule(
        SecretKind.GOOGLE_API_KEY,
        "Google API key",
        re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
        public_prefix=4,
    ),
    _FormatRule(
        SecretKind.JWT,
        "JSON web token",
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
        public_prefix=3,
        rank=2,
    ),
    _FormatRule(SecretKind.PRIVATE_KEY, "PEM private key", _PEM_PRIVATE_KEY, rank=2),
    _FormatRule(
        SecretKind.CONNECTION_STRING_PASSWORD,
        "password in a connection URL",
        re.compile(
            r"\b(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://[^\s:/@'\"]*:(?P<password>[^\s@/'\"]+)@[A-Za-z0-9\[{$%]"
        ),
        accept=_password_group_is_real,
        rank=2,
        describe=lambda match: f"password in a {match.group('scheme')}:// URL",
    ),
    _FormatRule(
        SecretKind.TWILIO_API_KEY,
        "Twilio API key",
        re.compile(r"\bSK[0-9a-fA-F]{32}\b"),
        public_prefix=2,
    ),
    _FormatRule(
        SecretKind.SENDGRID_API_KEY,
        "SendGrid API key",
        re.compile(r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"),
        public_prefix=3,
    ),
    _FormatRule(SecretKind.NPM_TOKEN, "npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), public_prefix=4),
    _FormatRule(
        SecretKind.AUTHORIZATION_HEADER,
        "credential in an Authorization value",
        re.compile(r"\b(?P<scheme>Bearer|Basic|Token)\s+(?P<credential>[A-Za-z0-9._~+/=-]{16,})"),
        accept=_authorization_is_real,
        rank=1,
        describe=lambda match: f"credential in an Authorization {match.group('scheme')} value",
    ),
)
_GCP_TYPE = re.compile(r"""["']type["']\s*:\s*["']service_account["']""")
_GCP_PRIVATE_KEY = re.compile(r"""["']private_key["']\s*:\s*["']-----BEGIN""")
_GCP_RANK = 4
_GENERIC_RANK = 0


def _scan_formats(text: str, line_of: Callable[[int], int]) -> Iterator[SecretFinding]:
    for rule in _FORMAT_RULES:
        for match in rule.pattern.finditer(text):
            if rule.accept is None or rule.accept(match):
                yield SecretFinding(rule.kind, line_of(match.start()), rule.detail(match))
    # A service-account key file pasted as JSON or a dict: the "type" marks it, the key is the secret.
    if _GCP_TYPE.search(text):
        for match in _GCP_PRIVATE_KEY.finditer(text):
            detail = "GCP service-account key (private_key of a service_account credential)"
            yield SecretFinding(SecretKind.GCP_SERVICE_ACCOUNT_KEY, line_of(match.start()), detail)


def _redact(secret: str, public_prefix: int) -> str:
    return f"{secret[:public_prefix]}… ({len(secret)} chars)"


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


class _StringTokenLines:
    """Line numbers of string literals, from the tokenizer, consumed in source order.

    libcst visits literals in source order, so matching each literal's source text against the
    next string tokens gives its exact line without the cost of libcst's position metadata.
    """

    def __init__(self, tokens: list[tuple[str, int]]) -> None:
        self._tokens = tokens
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


def _string_token_lines(source: str) -> _StringTokenLines:
    tokens: list[tuple[str, int]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING:
                tokens.append((token.string, token.start[0]))
    except (tokenize.TokenError, SyntaxError):
        pass  # keep the lines found so far; later literals fall back to the last known line
    return _StringTokenLines(tokens)


_PLAIN_WORD = re.compile(r"[#@]?[a-z_][a-z_-]*")
_ENV_GETTERS = frozenset({"getenv", "get", "setdefault", "pop"})


class GatherStringLiteralsVisitor(cst.CSTVisitor):
    """Collects every string literal with its value, line and binding name (if any)."""

    def __init__(self, token_lines: _StringTokenLines) -> None:
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


def _scan_literal(literal: StringLiteral) -> Iterator[SecretFinding]:
    if literal.concatenated:
        yield from _scan_formats(literal.value, literal.line_of)
    if literal.context:
        finding = _judge_binding(literal.context, literal.value, literal.line)
        if finding is not None:
            yield finding
    if not literal.is_docstring:
        for token in _high_entropy_tokens(literal.value):
            detail = f"high-entropy literal ({len(token)} chars, {_entropy(token):.1f} bits/char)"
            yield SecretFinding(
                SecretKind.HIGH_ENTROPY_STRING, literal.line_of(literal.value.find(token)), detail
            )


_AWS_SECRET_VALUE = re.compile(r"[A-Za-z0-9/+]{40}")
_HEX32 = re.compile(r"[0-9a-fA-F]{32}")


def _judge_binding(name: str, value: str, line: int) -> SecretFinding | None:
    words = split_identifier(name)
    if not _is_secret_name(words) or _is_placeholder(value, name=name):
        return None
    if (
        "secret" in words
        and ("aws" in words or "access" in words)
        and _AWS_SECRET_VALUE.fullmatch(value)
        and _mixed(value)
    ):
        return SecretFinding(SecretKind.AWS_SECRET_ACCESS_KEY, line, f"AWS secret access key in {name!r}")
    if "twilio" in words and _HEX32.fullmatch(value):
        return SecretFinding(SecretKind.TWILIO_API_KEY, line, f"Twilio auth token in {name!r}")
    return SecretFinding(
        SecretKind.HARDCODED_CREDENTIAL, line, f"literal bound to {name!r} ({len(value)} chars)"
    )


_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "pw",
        "pass",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "credential",
        "credentials",
        "authorization",
    }
)
_KEY_QUALIFIERS = frozenset(
    {
        "api",
        "access",
        "secret",
        "private",
        "signing",
        "encryption",
        "client",
        "master",
        "app",
        "consumer",
        "ssh",
    }
)


def _is_secret_name(words: list[str]) -> bool:
    """The last word names a secret: ``db_password``, ``clientSecret``, ``X-Api-Key``.

    The last word decides, so ``password_hash``, ``token_type``, ``TOKEN_URL`` and ``secret_name``
    are not secret names, and ``cache_key`` or ``primary_key`` are not keys of the secret kind.
    """
    if not words:
        return False
    last = words[-1]
    if last in _SECRET_WORDS:
        return True
    return last == "key" and len(words) >= 2 and words[-2] in _KEY_QUALIFIERS


_PLACEHOLDER_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pass",
        "secret",
        "token",
        "apikey",
        "key",
        "changeme",
        "changeit",
        "example",
        "sample",
        "dummy",
        "fake",
        "mock",
        "placeholder",
        "redacted",
        "hidden",
        "masked",
        "none",
        "null",
        "nil",
        "undefined",
        "notset",
        "todo",
        "fixme",
        "test",
        "testing",
        "secretkey",
        "secrettoken",
        # well-known defaults and metasyntactic words: public knowledge, nothing leaks
        "admin",
        "guest",
        "root",
        "user",
        "foo",
        "bar",
        "baz",
    }
)
_MIN_SECRET_LENGTH = 4
_WRAPPERS = ("<>", "{}", "[]", "()")
_ENV_REFERENCE = re.compile(r"[A-Z][A-Z0-9_]*")
_FILE_REFERENCE = re.compile(r"(?:~|\.{0,2})/[\w./-]*|[\w./-]+\.(?:pem|key|json|txt|crt|p12|env)")


def _is_placeholder(value: str, *, name: str) -> bool:
    """Values that are not secrets even when bound to a secret-like name."""
    text = value.strip()
    if len(text) < _MIN_SECRET_LENGTH:
        return True
    normalized = re.sub(r"[^a-z0-9]", "", text.lower())
    if normalized in _PLACEHOLDER_WORDS or normalized == re.sub(r"[^a-z0-9]", "", name.lower()):
        return True
    if normalized.startswith(("your", "replace", "insert", "enter")) or normalized.endswith("here"):
        return True  # "your-api-key", "REPLACE_ME", "insert-token-here"
    if any(text[0] == wrap[0] and text[-1] == wrap[1] for wrap in _WRAPPERS):
        return True  # "<redacted>", "{password}", "[SEP]"
    if text.startswith(("$", "%(")) or ("{" in text and "}" in text) or "****" in text:
        return True  # "${DB_PASSWORD}", "%(password)s", "Bearer {token}", "sk-****abcd"
    if len(set(text)) == 1:
        return True  # "xxxxxxxx", "********"
    # A reference to a secret, not the secret: an environment variable name or a file path.
    return bool(_ENV_REFERENCE.fullmatch(text) or _FILE_REFERENCE.fullmatch(text))


# -- entropy -------------------------------------------------------------------------------------

_ENTROPY_CANDIDATE = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-fA-F-]+")
_MIN_ENTROPY_LENGTH = 20
# Random base64/base62 text of n characters has close to log2(n) bits per character for small n
# and approaches 6 for large n; asking for 85 % of log2(n), capped at 4.5 (detect-secrets' base64
# limit), keeps random tokens of 20+ characters and drops words, paths and identifiers.
_ENTROPY_SHARE = 0.85
_ENTROPY_CAP = 4.5
_IDENTIFIER_WORD_LENGTH = 3.5


def _entropy(text: str) -> float:
    counts = Counter(text)
    total = len(text)
    return -sum(count / total * math.log2(count / total) for count in counts.values())


def _entropy_threshold(length: int) -> float:
    return min(_ENTROPY_CAP, _ENTROPY_SHARE * math.log2(length))


def _high_entropy_tokens(value: str) -> Iterator[str]:
    for match in _ENTROPY_CANDIDATE.finditer(value):
        token = match.group()
        if _UUID.search(token) or _HEX.fullmatch(token) or not _mixed(token):
            continue
        if _looks_like_words(token) or _decode_base64_text(token) is not None:
            continue
        if _entropy(token) >= _entropy_threshold(len(token)):
            yield token


def _looks_like_words(token: str) -> bool:
    """``HandlerUserCreate2024`` splits into long words; random text splits into short pieces."""
    words = [word for word in split_identifier(token) if word.isalpha()]
    return bool(words) and sum(map(len, words)) / len(words) >= _IDENTIFIER_WORD_LENGTH


_PRINTABLE_SHARE = 0.9


def _decode_base64_text(token: str) -> str | None:
    """The text ``token`` encodes when it is base64 of mostly printable text, else None."""
    stripped = token.rstrip("=")
    padded = stripped + "=" * (-len(stripped) % 4)
    altchars = b"-_" if ("-" in token or "_" in token) else None
    try:
        raw = base64.b64decode(padded, altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not raw:
        return None
    printable = sum(32 <= byte < 127 or byte in (9, 10, 13) for byte in raw)
    return raw.decode("ascii", errors="replace") if printable / len(raw) >= _PRINTABLE_SHARE else None


# -- unparsable code and bookkeeping -------------------------------------------------------------

_RAW_BINDING = re.compile(
    r"""(?P<name>[A-Za-z_][\w-]*)["']?\s*(?::\s*[\w\[\], .|]+?)?\s*(?:=|:)\s*"""
    r"""(?P<quote>["'])(?P<value>[^"'\\\n]*)(?P=quote)"""
)
_RAW_STRING = re.compile(r"""(?P<quote>["'])(?P<value>[^"'\\\n]{20,})(?P=quote)""")


def _scan_unparsed(source: str, line_of: Callable[[int], int]) -> Iterator[SecretFinding]:
    """Code libcst cannot parse still gets the name and entropy checks, from the raw text."""
    for match in _RAW_BINDING.finditer(source):
        finding = _judge_binding(match.group("name"), match.group("value"), line_of(match.start("value")))
        if finding is not None:
            yield finding
    for match in _RAW_STRING.finditer(source):
        for token in _high_entropy_tokens(match.group("value")):
            detail = f"high-entropy literal ({len(token)} chars, {_entropy(token):.1f} bits/char)"
            yield SecretFinding(SecretKind.HIGH_ENTROPY_STRING, line_of(match.start("value")), detail)


class _LineIndex:
    def __init__(self, text: str) -> None:
        self._starts = [0, *(index + 1 for index, char in enumerate(text) if char == "\n")]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)


def _rank(kind: SecretKind) -> int:
    if kind is SecretKind.GCP_SERVICE_ACCOUNT_KEY:
        return _GCP_RANK
    if kind in (SecretKind.HARDCODED_CREDENTIAL, SecretKind.HIGH_ENTROPY_STRING):
        return _GENERIC_RANK
    return next((rule.rank for rule in _FORMAT_RULES if rule.kind is kind), _GENERIC_RANK)


def _most_specific(findings: Iterable[SecretFinding]) -> tuple[SecretFinding, ...]:
    """One finding per (kind, line); on a line, only the most specific kinds are kept.

    ``password = "AKIA..."`` is an AWS key, not also a hard-coded credential and a high-entropy
    string; a GCP key file's private key is reported as the GCP key.
    """
    by_line: dict[int, dict[SecretKind, SecretFinding]] = {}
    for finding in findings:
        by_line.setdefault(finding.line, {}).setdefault(finding.kind, finding)
    kept: list[SecretFinding] = []
    for line in sorted(by_line):
        kinds = by_line[line]
        best = max(_rank(kind) for kind in kinds)
        kept.extend(finding for kind, finding in kinds.items() if _rank(kind) == best)
    return tuple(kept)
