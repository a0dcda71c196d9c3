"""The one redaction function: credentials never reach a terminal, a log, a report or an error.

``redact`` hides the password of ``scheme://user:password@host``, the value of credential-named
environment assignments and URL query parameters (``QDRANT_API_KEY=...``, ``?api_key=...``),
``Bearer``/``Basic`` credentials, and every value registered with ``register_secret`` (the
configured API key, which has no recognisable shape). It is applied where text leaves the
process: ``redacted_streams`` wraps stdout and stderr of the CLI and the hook (so prints, warnings
and tracebacks of libraries are covered too), ``NodeforgeError`` redacts its message, and the HTML
report is redacted before it is written.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO, cast

MASK = "***"
_URL_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'\"]*:)[^\s@/'\"]+(?=@)")
_ENV_ASSIGNMENT = re.compile(
    r"(?P<head>\b[A-Z][A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|PWD)\s*=\s*['\"]?)[^\s'\"]+"
)
_QUERY_PARAMETER = re.compile(
    r"(?i)(?P<head>[?&;](?:api[_-]?key|access[_-]?token|token|key|secret|password|pwd)=)[^\s&;'\"#]+"
)
_AUTHORIZATION = re.compile(r"(?P<head>\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}")
_PATTERNS = (_URL_CREDENTIALS, _ENV_ASSIGNMENT, _QUERY_PARAMETER, _AUTHORIZATION)
_MIN_REGISTERED = 4  # shorter values would mask ordinary words
_registered: set[str] = set()


def register_secret(value: str | None) -> None:
    """A credential with no recognisable shape (an API key from the environment) to mask everywhere."""
    if value and len(value) >= _MIN_REGISTERED:
        _registered.add(value)


def redact(text: str) -> str:
    """``text`` with every credential it shows replaced by ``***``."""
    for pattern in _PATTERNS:
        text = pattern.sub(_masked, text)
    for value in sorted(_registered, key=len, reverse=True):  # longest first: one may contain another
        text = text.replace(value, MASK)
    return text


def _masked(match: re.Match[str]) -> str:
    return match.group("head") + MASK


class RedactingStream:
    """A text stream that redacts each write before passing it on."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(redact(text))
        return len(text)

    def __getattr__(self, name: str) -> object:  # flush, fileno, encoding, isatty...
        return getattr(self._inner, name)


@contextmanager
def redacted_streams() -> Iterator[None]:
    """stdout and stderr redacted for the duration (the CLI's and the hook's entry points)."""
    saved = sys.stdout, sys.stderr
    sys.stdout = cast(TextIO, RedactingStream(saved[0]))
    sys.stderr = cast(TextIO, RedactingStream(saved[1]))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
