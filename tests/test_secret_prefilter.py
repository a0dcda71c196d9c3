"""The secret scan's fast path (pre-filters, per-line cache, tokenizer only where needed) finds
exactly what the plain path finds.

``scan(code, prefilter=False)`` is the plain path: every rule over every line and literal, the
tokenizer always. The fast one must give the same findings, in the same order, over our secret
corpus, every fixture and every module of the package, and over texts made to sit on the edges of
the pre-filters (escapes, implicit concatenation, carriage returns, non-ASCII case folds).
``benchmarks/bench_secret_scan.py`` runs the same comparison over every text learn gates in a
real repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nodeforge.learning.literals import read_literals
from nodeforge.learning.secrets import scan

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    {
        *(ROOT / "tests" / "fixtures").rglob("*.py"),
        *(path for path in (ROOT / "tests" / "fixtures" / "secrets").rglob("*") if path.is_file()),
        *(ROOT / "engine" / "nodeforge").rglob("*.py"),
        *(ROOT / "examples").rglob("*.py"),
        ROOT / "tests" / "test_secrets.py",
        ROOT / "tests" / "test_literals.py",
    }
)
TOKEN = "ghp_" + "FAKEexample" + "0" * 25
EDGES = [
    'password = "hunter2" "x"\n',  # concatenated: the tokenizer is needed
    'x = ("abc"\n     "def")\napi_key = ("s3cr" "etValue9")\n',
    'q = "pass" "word: Hunt3rHunt3r"\n',
    'token = "a\\x62cdefgh12"\n',  # an escape: the value is not the written text
    'key = "pass\\\nword = Hunt3rHunt3r"\n',  # a line join inside a literal
    'db = "x"\r\npassword = "hunter2"\r\n',  # carriage returns
    "x = 1  # \u017fecret: Hunt3rHunt3r9\n",  # the long s folds to s under IGNORECASE
    "x = 1  # \u212aey-\n",
    'h = "\u212aey-0123456789abcdef0123456789abcdef"\n',
    'y = "# password: Hunt3rHunt3r"  # no comment here\n',
    "z = 1  # the password is Hunt3rHunt3r\n",
    f'gh = "{TOKEN}"\nother = "{TOKEN}"\n',
    'd = {"Authorization": "Bearer abcDEF1234567890xyz"}\n',
    'url = "postgres://u:Hunt3rPass@db/x"\n',
    'naïve = "é"; password = "hunter22"\n',  # non-ASCII source: columns in bytes
    "def f(:\n    password = 'hunter2'  # api_key: x\n",  # unparsable
    'b = b"AKIA" b"FAKEEXAMPLE00000"\n',
    's = f"{x}" "AKIA" "FAKEEXAMPLE00000"\n',
    'doc = """one\n  password: Hunt3rHunt3r\n"""  """two"""\n',
    'x = "AKIA" + "FAKEEXAMPLE00000"\ny = "AKIAFAKEEXAMPLE00000"\n',  # no literal rule: the reader is skipped
    "\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44 = 'hunter22'\n",  # full-width: Python reads "password"
    'x = "ab" "cd"\nhandler = "HandlerUserCreate2024Xy"\n',
    'digest = "0123456789abcdef0123456789abcdef"\nkey = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"\n',
    "value = 'c2VjcmV0OnBhc3N3b3JkMTIz'\n",  # base64 of user:password, no keyword in the source
]


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_fast_and_plain_scans_agree_on_every_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    assert scan(text) == scan(text, prefilter=False)


@pytest.mark.parametrize("code", EDGES)
def test_fast_and_plain_scans_agree_on_the_edges(code: str) -> None:
    assert scan(code) == scan(code, prefilter=False)


def test_the_edges_are_not_all_clean() -> None:
    """The edge texts exercise the rules: most of them hold findings."""
    assert sum(bool(scan(code, prefilter=False)) for code in EDGES) >= len(EDGES) // 2


@pytest.mark.parametrize(
    "code", [*EDGES, *(path.read_text(encoding="utf-8", errors="replace") for path in SOURCES)]
)
def test_literals_read_without_the_tokenizer_are_the_same(code: str) -> None:
    assert read_literals(code, with_comments=False).literals == read_literals(code).literals


def test_plain_code_skips_the_literal_reader_and_still_finds_formats() -> None:
    from nodeforge.learning.secrets import _literals_may_matter

    plain = 'def handle(request: Request) -> Reply:\n    """Create."""\n    return run(request, "value")\n'
    assert not _literals_may_matter(plain)
    aws = 'x = "AKIA' + 'FAKEEXAMPLE00000"\n'
    assert not _literals_may_matter(aws)
    assert [finding.kind.value for finding in scan(aws)] == ["aws_access_key_id"]
    for needs_reading in (
        'x = "a" "b"\n',
        'x = ("a"  # c\n  rb"b")\n',
        'x = "\\x41"\n',
        'password = "x"\n',
        "api_key = 1\n",
        "ü = 1\n",
    ):
        assert _literals_may_matter(needs_reading), needs_reading
