"""The rule set behind the secret gate, besides detect-secrets' format detectors (``secret_detectors``).

* **formats detect-secrets lacks** — Google API keys, Mailgun, Azure connection strings,
  JDBC/``key=value`` passwords, ``Authorization`` values, fine-grained GitHub PATs, Stripe test
  keys, project OpenAI keys, PEM bodies, GCP key files.
* **keywords in text** — detect-secrets' keyword detector (config syntax: ``password: x``,
  ``DB_PASSWORD=x``) over comments, docstrings and string contents; ``.env`` lines, connection
  strings and prose such as "the password is x" are text, not code.
* **entropy** — detect-secrets' base64 and hex entropy measures over literal values.

``is_placeholder`` is the policy of what is *not* a secret even where a secret is expected.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from detect_secrets.plugins import keyword
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString

from nodeforge.naming import split_identifier


@dataclass(frozen=True)
class RuleHit:
    """A rule matched: ``kind`` is a ``SecretKind`` value, ``offset`` where in the text."""

    kind: str
    offset: int
    detail: str


# A private key's body after its header (the PEM rule, and the check on detect-secrets' header rule).
_B64 = r"A-Za-z0-9+/="
PEM_BODY = re.compile(
    rf"PRIVATE KEY(?: BLOCK)?-----(?:\\[rn]|\s)+(?:[A-Za-z-]+:[^\n\\]*(?:\\[rn]|\s)+)*[{_B64}]{{40,}}"
)


# -- formats detect-secrets lacks ----------------------------------------------------------------


@dataclass(frozen=True)
class _Supplement:
    """``needles``: literal text every match of ``pattern`` contains, one of them at least (lower
    case for a case-insensitive pattern); a text holding none is not searched (see ``_may_match``)."""

    kind: str
    label: str
    pattern: re.Pattern[str]
    needles: tuple[str, ...]
    accept: Callable[[re.Match[str]], bool] | None = None


def _authorization_is_real(match: re.Match[str]) -> bool:
    credential = match.group("credential")
    if match.group("scheme").lower() == "basic":
        decoded = decode_base64_text(credential)
        return decoded is not None and ":" in decoded
    return any(c.isdigit() for c in credential) and any(c.isalpha() for c in credential)


def _password_is_real(match: re.Match[str]) -> bool:
    return looks_like_password(match.group("password"))


_SUPPLEMENTS = (
    _Supplement(
        "google_api_key", "Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"), ("AIza",)
    ),
    _Supplement("mailgun_api_key", "Mailgun API key", re.compile(r"\bkey-[0-9a-f]{32}\b"), ("key-",)),
    _Supplement(
        "azure_connection_string",
        "Azure connection string key",
        re.compile(rf"\b(?:AccountKey|SharedAccessKey|SharedAccessSignature)=[{_B64}%&]{{20,}}"),
        ("AccountKey=", "SharedAccessKey=", "SharedAccessSignature="),
    ),
    _Supplement(
        "github_token",
        "GitHub fine-grained token",
        re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}"),
        ("github_pat_",),
    ),
    _Supplement(
        "stripe_key",
        "Stripe key",
        re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"),
        ("k_live_", "k_test_"),
    ),
    _Supplement(
        "openai_api_key",
        "OpenAI-style API key",
        re.compile(
            r"\bsk-(?:proj-|svcacct-|admin-|ant-(?:api\d\d-)?)?(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{20,}"
        ),
        ("sk-",),
    ),
    _Supplement("npm_token", "npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), ("npm_",)),
    _Supplement(
        "connection_string_password",
        "password in a URL without a user",
        re.compile(r"://:(?P<password>[^\s@/'\"]+)@"),
        ("://:",),
        accept=_password_is_real,
    ),
    _Supplement(
        "private_key",
        "PEM private key",
        re.compile(r"-----BEGIN [A-Z0-9 ]*" + PEM_BODY.pattern),
        ("-----BEGIN ",),
    ),
    _Supplement(
        "connection_string_password",
        "password in a JDBC/ODBC/key=value connection string",
        re.compile(r"(?i)[?&;]\s*(?:password|pwd|passwd)\s*=\s*(?P<password>[^;&\s'\"]+)"),
        ("password", "pwd", "passwd"),
        accept=_password_is_real,
    ),
    _Supplement(
        "authorization_header",
        "credential in an Authorization value",
        re.compile(r"(?i)\b(?P<scheme>Bearer|Basic|Token)\s+(?P<credential>[A-Za-z0-9._~+/=-]{16,})"),
        ("bearer", "basic", "token"),
        accept=_authorization_is_real,
    ),
)
_GCP_TYPE = re.compile(r"""["']type["']\s*:\s*["']service_account["']""")
_GCP_PRIVATE_KEY = re.compile(r"""["']private_key["']\s*:\s*["']-----BEGIN""")


def supplement_hits(text: str, *, prefilter: bool = True) -> Iterator[RuleHit]:
    """The supplementary formats over a whole text (a GCP key file spans lines)."""
    folded = text.lower() if prefilter and text.isascii() else None
    for rule in _SUPPLEMENTS:
        if prefilter and not _may_match(rule, text, folded):
            continue
        for match in rule.pattern.finditer(text):
            if rule.accept is None or rule.accept(match):
                yield RuleHit(rule.kind, match.start(), rule.label)
    if _GCP_TYPE.search(text):
        for match in _GCP_PRIVATE_KEY.finditer(text):
            yield RuleHit("gcp_service_account_key", match.start(), "GCP service-account key")


def _may_match(rule: _Supplement, text: str, folded: str | None) -> bool:
    """False only where ``rule.pattern`` cannot match ``text``: none of its needles is in it.

    A case-insensitive pattern's needles are looked for in the lower-cased text, and only in ASCII
    text (IGNORECASE matches a few non-ASCII letters to ASCII ones: the long s, the Kelvin sign).
    """
    if not rule.pattern.flags & re.IGNORECASE:
        return any(needle in text for needle in rule.needles)
    return folded is None or any(needle in folded for needle in rule.needles)


# -- keywords in text ----------------------------------------------------------------------------

# detect-secrets' config-syntax keyword rules (``name: value``, ``name=value``) and their value group.
_KEYWORD_RULES = (
    (keyword.FOLLOWED_BY_COLON_REGEX, 4),
    (keyword.FOLLOWED_BY_EQUAL_SIGNS_REGEX, 5),
)
# Words its denylist lacks, and prose ("the token is ..."): same shape, our vocabulary.
_MORE_WORDS = r"token|credentials?|passphrase|password|secret|api_?key"
_MORE_KEYWORDS = re.compile(
    rf"(?i)(?P<name>[\w-]*(?:{_MORE_WORDS}))"
    r"\s*(?::|=|\bis\b)\s*['\"`]?(?P<value>[^\s'\"`]+)"
)
# Pre-filter: every match of the rules above contains one of their keywords (detect-secrets' rules
# start with its denylist group, ours holds _MORE_WORDS), matched with the same IGNORECASE, and
# keywords are plain alternatives (no anchors, no lookaround): a text in which no keyword occurs
# has no match of any rule, on any of its lines. One C-level search instead of three per line.
# On ASCII text, IGNORECASE is plain lower-casing (the Unicode folds such as the long s or the
# Kelvin sign need a non-ASCII character), so the lower-cased text is searched for the keywords,
# which are lower case, with a case-sensitive pattern: ten times faster.
_KEYWORDS = "|".join((*keyword.DENYLIST, _MORE_WORDS))
_ANY_KEYWORD = re.compile(_KEYWORDS, re.IGNORECASE)
_ANY_KEYWORD_LOWER = re.compile(_KEYWORDS) if _KEYWORDS.lower() == _KEYWORDS else _ANY_KEYWORD


def may_hold_keywords(text: str) -> bool:
    """False only where ``keyword_hits`` finds nothing in any line of ``text``."""
    if text.isascii():
        return _ANY_KEYWORD_LOWER.search(text.lower()) is not None
    return _ANY_KEYWORD.search(text) is not None


_VALUE_END = re.compile(r"[\s,;&)\]>'\"`]")


def keyword_hits(text: str) -> Iterator[RuleHit]:
    """``password: x`` / ``DB_PASSWORD=x`` / ``the token is x`` in free text (one line)."""
    for regex, group in _KEYWORD_RULES:
        for match in regex.finditer(text):
            yield from _keyword_hit(match.group(1), match.group(group), match.start())
    for match in _MORE_KEYWORDS.finditer(text):
        yield from _keyword_hit(match.group("name"), match.group("value"), match.start())


def _keyword_hit(name: str, raw_value: str, offset: int) -> Iterator[RuleHit]:
    value = _VALUE_END.split(raw_value.strip(), maxsplit=1)[0].rstrip(".:")
    if is_secret_name(split_identifier(name)) and looks_like_password(value, name=name):
        yield RuleHit("hardcoded_credential", offset, f"value of {name!r} in text ({len(value)} chars)")


_WORD = re.compile(r"(?:[A-Z]?[a-z]+)+|[a-z]+(?:[-_][a-z]+)*")
_REFERENCE = re.compile(r"[\w]+(?:\.[\w]+)+|[\w.]+\(.*|[A-Z][A-Z0-9]*_[A-Z0-9_]+")


def looks_like_password(value: str, *, name: str = "password") -> bool:
    """A value in free text that is a credential, not a word, a type, a reference or a placeholder."""
    return not (is_placeholder(value, name=name) or _WORD.fullmatch(value) or _REFERENCE.fullmatch(value))


# -- names and placeholders ----------------------------------------------------------------------

_SECRET_WORDS = frozenset(
    {"password", "passwd", "pwd", "pw", "pass", "passphrase", "secret", "token", "apikey", "credential"}
    | {"credentials", "authorization", "contrasena"}
)
_KEY_QUALIFIERS = frozenset(
    {"api", "access", "secret", "private", "signing", "encryption", "client", "master", "app"}
    | {"consumer", "ssh", "auth", "service", "account", "db", "database", "priv"}
)


def is_secret_name(words: list[str]) -> bool:
    """The last word names a secret: ``db_password``, ``clientSecret``, ``X-Api-Key``.

    The last word decides, so ``password_hash``, ``token_type``, ``TOKEN_URL`` and ``secret_name``
    are not secret names, and ``cache_key`` or ``primary_key`` are not keys of the secret kind.
    """
    if not words or words in (["pass"], ["pw"]):
        return False  # alone, "pass" is as often a test outcome ({"pass": "success"}) as a password
    if words[-1] in _SECRET_WORDS:
        return True
    return words[-1] == "key" and len(words) >= 2 and words[-2] in _KEY_QUALIFIERS


# Every name ``is_secret_name`` accepts holds, lower-cased, one of the secret words, or a key
# qualifier, separators and "key": ``split_identifier``'s words are runs of the name's ASCII
# letters and digits, lower-cased, and two words in a row are adjacent in it or apart by
# separators only. For ``may_name_secrets``.
_SECRET_NAME_HINT = re.compile(
    "|".join(sorted(_SECRET_WORDS)) + "|(?:" + "|".join(sorted(_KEY_QUALIFIERS)) + ")[^a-z0-9]*key"
)


def may_name_secrets(ascii_text: str) -> bool:
    """False only where no name written in ``ascii_text`` (ASCII) is a secret name."""
    return _SECRET_NAME_HINT.search(ascii_text.lower()) is not None


_PLACEHOLDER_WORDS = frozenset(
    {"password", "passwd", "pass", "secret", "token", "apikey", "key", "changeme", "changeit", "example"}
    | {"sample", "dummy", "fake", "mock", "placeholder", "redacted", "hidden", "masked", "none", "null"}
    | {"nil", "undefined", "notset", "todo", "fixme", "test", "testing", "secretkey", "secrettoken"}
    # well-known defaults and metasyntactic words: public knowledge, nothing leaks
    | {"admin", "guest", "root", "user", "foo", "bar", "baz"}
)
_MIN_SECRET_LENGTH = 4
_WRAPPERS = ("<>", "{}", "[]", "()")
# An environment variable's name (``DB_PASSWORD``): a reference. A single upper-case word
# (``HUNTER2X``) is a value: references have more than one word.
_ENV_REFERENCE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_FILE_REFERENCE = re.compile(r"(?:~|\.{0,2})/[\w./-]*|[\w./-]+\.(?:pem|key|json|txt|crt|p12|env)")


def is_placeholder(value: str, *, name: str) -> bool:
    """Values that are not secrets even when bound to a secret-like name."""
    text = value.strip()
    if len(text) < _MIN_SECRET_LENGTH:
        return True
    normalized = re.sub(r"[^a-z0-9]", "", text.lower())
    if normalized in _PLACEHOLDER_WORDS or normalized == re.sub(r"[^a-z0-9]", "", name.lower()):
        return True
    if all(word in _PLACEHOLDER_WORDS | {"my", "the", "a"} for word in re.split(r"[-_. ]+", text.lower())):
        return True  # "test-key", "fake_token", "dummy password"
    if normalized.startswith(("your", "replace", "insert", "enter")) or normalized.endswith("here"):
        return True  # "your-api-key", "REPLACE_ME", "insert-token-here"
    if any(text[0] == wrap[0] and text[-1] == wrap[1] for wrap in _WRAPPERS):
        return True  # "<redacted>", "{password}", "[SEP]"
    if text.startswith(("$", "%(")) or ("{" in text and "}" in text) or "****" in text:
        return True  # "${DB_PASSWORD}", "%(password)s", "Bearer {token}", "sk-****abcd"
    if len(set(text)) == 1:
        return True  # "xxxxxxxx", "********"
    return bool(_ENV_REFERENCE.fullmatch(text) or _FILE_REFERENCE.fullmatch(text))


# -- entropy (detect-secrets' measures) ----------------------------------------------------------

_BASE64 = Base64HighEntropyString()
_HEX = HexHighEntropyString()
_BASE64_CANDIDATE = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")
_HEX_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])[0-9a-fA-F]{32,}(?![A-Za-z0-9])")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Random base64 of n characters has close to log2(n) bits per character for small n: asking for
# 85 % of log2(n), capped at detect-secrets' limit, keeps random tokens of 20+ characters.
_ENTROPY_SHARE = 0.85
_IDENTIFIER_WORD_LENGTH = 3.5
# Hex near these words is a digest, a commit or an id, not a key.
_DIGEST_WORDS = re.compile(r"(?i)sha|md5|hash|digest|checksum|commit|etag|fingerprint|uuid|crc|blake|rev")


def entropy_hits(value: str, line_text: str) -> Iterator[RuleHit]:
    """Random-looking base64 or hex in a literal's value; ``line_text`` is its source line."""
    for match in _BASE64_CANDIDATE.finditer(value):
        judged = _base64_judgement(match.group())
        if judged is not None:
            yield RuleHit(judged[0], match.start(), judged[1])
    if not _HEX_CANDIDATE.search(value) or _DIGEST_WORDS.search(line_text):
        return
    for match in _HEX_CANDIDATE.finditer(value):
        token = match.group()
        bits = _HEX.calculate_shannon_entropy(token)
        if bits > _HEX.entropy_limit and _mixed_hex(token):
            yield RuleHit("high_entropy_string", match.start(), _entropy_detail("hex", token, bits))


def _base64_judgement(token: str) -> tuple[str, str] | None:
    """(kind, detail) when a base64 candidate is a secret, else None: a function of the token alone."""
    if _UUID.search(token) or re.fullmatch(r"[0-9a-fA-F-]+", token) or not _mixed(token):
        return None
    if _looks_like_words(token):
        return None
    decoded = decode_base64_text(token)
    if decoded is not None:
        if re.fullmatch(r"[^:\s]+:[^:\s]{4,}", decoded):  # base64 of "user:password"
            return "encoded_credential", "base64 of a user:password pair"
        return None
    bits = _BASE64.calculate_shannon_entropy(token)
    if bits >= min(_BASE64.entropy_limit, _ENTROPY_SHARE * math.log2(len(token))):
        return "high_entropy_string", _entropy_detail("base64", token, bits)
    return None


def may_hit_entropy(text: str) -> bool:
    """False only where ``entropy_hits`` finds nothing in any literal written whole in ``text``.

    A literal written as one piece, without escapes, is a stretch of ``text`` between two quotes.
    Quotes are in neither candidate pattern (nor is ``=``), and the hex pattern's lookarounds see a
    quote as they see the end of a string, so the value's candidates are exactly the candidates of
    ``text`` inside that stretch; a base64 candidate is judged on itself alone, a hex one also on
    its line. So: no base64 candidate of ``text`` judged a secret, and no hex candidate at all.
    """
    if _HEX_CANDIDATE.search(text):
        return True
    return any(_base64_judgement(match.group()) for match in _BASE64_CANDIDATE.finditer(text))


def _entropy_detail(charset: str, token: str, bits: float) -> str:
    return f"high-entropy {charset} literal ({len(token)} chars, {bits:.1f} bits/char)"


def _mixed(text: str) -> bool:
    return (
        any(c.isdigit() for c in text) and any(c.isupper() for c in text) and any(c.islower() for c in text)
    )


def _mixed_hex(text: str) -> bool:
    return any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


def _looks_like_words(token: str) -> bool:
    """``HandlerUserCreate2024`` splits into long words; random text splits into short pieces."""
    words = [word for word in split_identifier(token) if word.isalpha()]
    return bool(words) and sum(map(len, words)) / len(words) >= _IDENTIFIER_WORD_LENGTH


_PRINTABLE_SHARE = 0.9


def decode_base64_text(token: str) -> str | None:
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
