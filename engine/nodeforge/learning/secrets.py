"""Find secrets in code before it is stored: learned code may travel to a shared server.

The rules come from detect-secrets (``nodeforge.learning.secret_rules``): its vendor-format detectors over
every line (so comments, docstrings and f-strings are covered), its keyword detector over free
text (comments, docstrings, string contents such as ``.env`` lines and connection strings), and
its entropy measures over literal values. On top, a **context** layer
(``nodeforge.learning.literals``) finds what a line scanner cannot: a literal assigned to, passed
as, keyed by or compared with a secret-like name (``password = "hunter2"``,
``connect(api_key="...")``, ``{"X-Api-Key": "..."}``, ``os.getenv("DB_PASSWORD", "...")``), and
values split over implicitly concatenated literals.

What is deliberately *not* a finding: see ``secret_rules.is_placeholder`` (references, masks,
well-known defaults) and the guards of ``secret_rules.entropy_hits`` (UUIDs, identifiers, digests).
Every finding is reported: one secret never hides another on another line. On one line only the
most specific finding is kept (``password = "AKIA..."`` is an AWS key, not also a credential).

A finding's ``detail`` never holds the secret.
"""

from __future__ import annotations

import bisect
import enum
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from nodeforge.learning import secret_detectors, secret_rules
from nodeforge.learning.literals import StringLiteral, may_concatenate, read_literals
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


def scan(code: str, *, prefilter: bool = True) -> tuple[SecretFinding, ...]:
    """Every secret in ``code``, sorted by line; the most specific finding(s) per line.

    ``prefilter`` skips work that cannot find anything (same findings; ``False`` is the plain
    path, kept as the oracle the tests hold the fast one to): detector results cached per distinct
    line and screened by the text their regexes need, the keyword and supplementary rules only
    over text holding their words, the literal reader not at all where no literal rule can fire
    (``_literals_may_matter``), and its tokenizer only where needed (``with_comments=False``).
    """
    source = textwrap.dedent(code)
    lines = _LineIndex(source)
    found = [
        *_scan_lines(source, lines, cached=prefilter),
        *_hits(secret_rules.supplement_hits(source, prefilter=prefilter), lines.line_of),
    ]
    if prefilter and not _literals_may_matter(source):
        return _most_specific(found)
    read = read_literals(source, with_comments=not prefilter or _comments_may_hold_keywords(source))
    for line, comment in read.comments:
        found.extend(_hits(secret_rules.keyword_hits(comment), _always(line)))
    if read.literals is None:
        found.extend(_scan_unparsed(source, lines.line_of))
        return _most_specific(found)
    for literal in read.literals:
        found.extend(_scan_literal(literal, lines, prefilter=prefilter))
    return _most_specific(found)


# A comment runs from a ``#`` to the end of its line, so it lies within the text from the first
# ``#`` of its line on: where none of those holds a keyword, no comment does (keywords never span
# lines), and the comments need not be read at all.
_FROM_HASH = re.compile(r"#[^\n]*")


def _comments_may_hold_keywords(source: str) -> bool:
    return secret_rules.may_hold_keywords("\n".join(_FROM_HASH.findall(source)))


# Two string tokens in a row need a quote, then blanks or comments, then at most two prefix
# letters and a quote: a source without that has no literal in pieces, lexed or not.
_MAY_CONCATENATE = re.compile(r"""["'](?:\s|#[^\n]*)*[A-Za-z]{0,2}["']""")


def _literals_may_matter(source: str) -> bool:
    """False only where no rule over literals, comments or unparsed code can find anything.

    Without a backslash or a ``\\r`` no literal has escapes, line joins or translated newlines,
    and without two string tokens in a row none is concatenated: every literal's value is then a
    stretch of the source between quotes, and every comment is a stretch of the source too. ASCII
    source means identifiers are as written (Python normalizes non-ASCII ones, NFKC). So where the
    source holds no keyword, no secret name and no entropy candidate, neither does any literal,
    comment or binding: the keyword, binding and entropy rules find nothing, concatenated values
    do not exist, and the same holds for the raw text of code ``ast`` cannot parse.
    """
    if "\\" in source or "\r" in source or not source.isascii():
        return True
    if _MAY_CONCATENATE.search(source) and may_concatenate(source):
        return True
    return (
        secret_rules.may_hold_keywords(source)
        or secret_rules.may_name_secrets(source)
        or secret_rules.may_hit_entropy(source)
    )


def _scan_lines(
    text: str, lines: _LineIndex, line_of_offset: _OffsetToLine | None = None, *, cached: bool
) -> Iterator[SecretFinding]:
    """detect-secrets' format detectors, line by line."""
    for start, hit in secret_detectors.vendor_hits(text, cached=cached):
        line = line_of_offset(start + hit.offset) if line_of_offset else lines.line_of(start)
        yield SecretFinding(SecretKind(hit.kind), line, hit.detail)


def _always(line: int) -> _OffsetToLine:
    """Every offset of a one-line text (a comment) is on its line."""
    return lambda _offset: line


def _hits(hits: Iterable[RuleHit], line_of: _OffsetToLine) -> Iterator[SecretFinding]:
    for hit in hits:
        yield SecretFinding(SecretKind(hit.kind), line_of(hit.offset), hit.detail)


# -- judging literals ----------------------------------------------------------------------------

_OffsetToLine = Callable[[int], int]


def _scan_literal(literal: StringLiteral, lines: _LineIndex, *, prefilter: bool) -> Iterator[SecretFinding]:
    value = literal.value
    if literal.concatenated:  # a format split over parts exists nowhere in the source as one piece
        yield from _scan_lines(value, lines, literal.line_of, cached=prefilter)
        yield from _hits(secret_rules.supplement_hits(value, prefilter=prefilter), literal.line_of)
    if not prefilter or secret_rules.may_hold_keywords(value):
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
    """Code Python cannot parse still gets the name and entropy checks, from the raw text."""
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
        self._starts = [0]
        newline = text.find("\n")
        while newline >= 0:
            self._starts.append(newline + 1)
            newline = text.find("\n", newline + 1)

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
