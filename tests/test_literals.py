"""The secret gate's literal reader (``ast`` + tokenize) against libcst's view of the same source.

libcst was the reader before; it stays the oracle here: every constant string literal it sees (a
``SimpleString``, or a ``ConcatenatedString`` without f-string parts, outside f-strings), with its
value, the line of each written piece and whether it is a docstring, over every Python file of our
fixtures and of the learning package, must come out of ``read_literals`` in the same order.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from nodeforge.learning.literals import read_literals

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    [
        *(ROOT / "tests" / "fixtures").rglob("*.py"),
        *(ROOT / "tests" / "fixtures" / "secrets").rglob("*"),
        *(ROOT / "engine" / "nodeforge" / "learning").rglob("*.py"),
        *(ROOT / "examples").rglob("*.py"),
        ROOT / "tests" / "test_secrets.py",
    ]
)

# (value, line of each piece, is a docstring)
Seen = tuple[str, tuple[int, ...], bool]


class _LibcstLiterals(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Seen] = []
        self._docstrings: set[int] = set()

    def _note(self, body: cst.BaseSuite | cst.Module) -> None:
        first = body.body[0] if body.body else None
        if isinstance(first, cst.SimpleStatementLine | cst.SimpleStatementSuite) and first.body:
            small = first.body[0]
            if isinstance(small, cst.Expr):
                self._docstrings.add(id(small.value))

    def visit_Module(self, node: cst.Module) -> None:
        self._note(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._note(node.body)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._note(node.body)

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        return False

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self._record(node, [node])

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
        pieces: list[cst.BaseExpression] = []
        pending: list[cst.BaseExpression] = [node]
        while pending:
            piece = pending.pop()
            if isinstance(piece, cst.ConcatenatedString):
                pending += [piece.right, piece.left]
            else:
                pieces.append(piece)
        simple = [piece for piece in pieces if isinstance(piece, cst.SimpleString)]
        if len(simple) == len(pieces):
            self._record(node, simple)
        return False

    def _record(self, node: cst.BaseString, pieces: list[cst.SimpleString]) -> None:
        values = [piece.evaluated_value for piece in pieces]
        value = "".join(v.decode("latin-1") if isinstance(v, bytes) else v for v in values)
        lines = tuple(self.get_metadata(PositionProvider, piece).start.line for piece in pieces)
        self.seen.append((value, lines, id(node) in self._docstrings))


def _libcst_view(source: str) -> list[Seen]:
    visitor = _LibcstLiterals()
    MetadataWrapper(cst.parse_module(source)).visit(visitor)
    return visitor.seen


def _our_view(source: str) -> list[Seen]:
    literals = read_literals(source).literals
    assert literals is not None
    return [(lit.value, tuple(part.line for part in lit.parts), lit.is_docstring) for lit in literals]


@pytest.mark.parametrize("path", [p for p in SOURCES if p.is_file()], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_literal_as_libcst_sees_it(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    try:
        expected = _libcst_view(source)
    except cst.ParserSyntaxError:
        assert read_literals(source).literals is None
        return
    assert _our_view(source) == expected


def test_the_tricky_shapes() -> None:
    source = (
        '"""Module doc."""\n'
        'x = ("a"\n     "b")\nxb = b"\\xff"\n'
        'y = "é" + "ü" "z"\n'
        'f"{d[\'k\']}" "tail"\n'
        'def f(p="q"):\n    "doc"\n    return {"k": "v"}["k",]\n'
        'class C:\n    b"bytes doc"\n'
    )
    assert _our_view(source) == _libcst_view(source)
    assert len(_our_view(source)) == 11


@pytest.mark.parametrize(
    ("code", "context"),
    [
        ('password = "x1"', "password"),
        ('a = token = "x1"', "token"),
        ('d.get("api_key", default="x1")', "default"),
        ('os.getenv("DB_PASSWORD", "x1")', "DB_PASSWORD"),
        ('f(*rest, "x1")', ""),
        ('cfg["secret",] = "x1"', "secret"),
        ('cfg[("secret",)] = "x1"', ""),
        ('if token == "x1": pass', "token"),
        ('if "x1" != token: pass', "token"),
        ('def f(*, key="x1"): pass', "key"),
        ('lambda pw="x1": pw', "pw"),
        ('class A(B, token="x1"): pass', "token"),
        ('h = {"X-Api-Key": "x1"}', "X-Api-Key"),
        ('h = {"X-Api-" "Key": "x1"}', ""),
    ],
)
def test_bindings(code: str, context: str) -> None:
    literals = read_literals(code).literals
    assert literals is not None
    assert [lit.context for lit in literals if lit.value == "x1"] == [context]


def test_unparsable_source_has_no_literals_but_keeps_its_comments() -> None:
    read = read_literals("def f(:\n    pass  # api_key: x\n")
    assert read.literals is None
    assert read.comments == ((2, "# api_key: x"),)
