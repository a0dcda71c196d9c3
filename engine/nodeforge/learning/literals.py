"""The string literals of Python source, with their lines and the names they are bound to.

The secret gate reads every literal of every pattern text it scans (thousands per repository), so
this runs on the standard library's C parser (``ast``) and tokenizer instead of a libcst tree and
visitor: a tenth of the time for the same answer. ``ast`` joins implicitly concatenated literals
into one constant; the tokenizer's ``STRING`` tokens inside that constant's span give back the
written pieces, each with its own line.

A literal is *bound* to a name when it is assigned to it, passed as its keyword or default, keyed
by it in a dict display, compared with it, or given as the fallback of an environment lookup
(``os.getenv("DB_PASSWORD", "...")``): see ``bindings``.
"""

from __future__ import annotations

import ast
import bisect
import io
import re
import sys
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["LiteralPart", "SourceLiterals", "StringLiteral", "may_concatenate", "read_literals"]


@dataclass(frozen=True)
class LiteralPart:
    """One written piece of a literal: where its value starts in the whole, and its lines."""

    start: int
    line: int
    end_line: int


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
class SourceLiterals:
    """What ``read_literals`` found: the literals (``None`` when ``ast`` cannot parse) and comments."""

    literals: tuple[StringLiteral, ...] | None
    comments: tuple[tuple[int, str], ...]  # (line, text)


# A STRING token: (start line, start column in UTF-8 bytes as ``ast`` counts), end, its text.
_Position = tuple[int, int]
_Token = tuple[_Position, _Position, str]


def read_literals(source: str, *, with_comments: bool = True) -> SourceLiterals:
    """Every constant string literal of ``source`` in source order (f-strings are not constants).

    Without ``with_comments`` the comments may come back empty, and the tokenizer (two fifths of
    the time) runs only when ``ast``'s positions cannot tell the written pieces of every literal.
    """
    tree: ast.Module | None = None
    if not with_comments and "\r" not in source:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):  # ValueError: a null byte (Python 3.11)
            return SourceLiterals(None, ())
        read = _collect(tree, _Segments(source))
        if read is not None:
            return read
    strings, comments = _tokenize(source)
    try:
        tree = tree or ast.parse(source)
    except (SyntaxError, ValueError):
        return SourceLiterals(None, tuple(comments))
    read = _collect(tree, _Pieces(strings))
    assert read is not None  # tokens always know a literal's pieces
    return SourceLiterals(read.literals, tuple(comments))


def _collect(tree: ast.Module, pieces: _Pieces | _Segments) -> SourceLiterals | None:
    """The literals of ``tree``; None when ``pieces`` cannot tell how one of them is written."""
    found = _Collector(pieces)
    found.walk(tree)
    literals = tuple(
        _literal(node, pieces, found.contexts.get(id(node), ""), id(node) in found.docstrings)
        for node in sorted(found.constants, key=lambda node: (node.lineno, node.col_offset))
    )
    return None if pieces.unsure else SourceLiterals(literals, ())


def _tokenize(source: str) -> tuple[list[_Token], list[tuple[int, str]]]:
    strings: list[_Token] = []
    comments: list[tuple[int, str]] = []
    lines = source.split("\n")
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING:
                start = (token.start[0], _byte_column(lines, *token.start))
                end = (token.end[0], _byte_column(lines, *token.end))
                strings.append((start, end, token.string))
            elif token.type == tokenize.COMMENT:
                comments.append((token.start[0], token.string))
    except (tokenize.TokenError, SyntaxError):
        pass  # keep what was found so far; a literal without tokens falls back to its node's line
    return strings, comments


def _byte_column(lines: list[str], row: int, column: int) -> int:
    """``ast`` counts columns in UTF-8 bytes, the tokenizer in characters."""
    line = lines[row - 1] if row <= len(lines) else ""
    return column if line.isascii() else len(line[:column].encode("utf-8"))


class _Pieces:
    """The STRING tokens each constant is written as (several for implicit concatenation)."""

    unsure = False

    def __init__(self, strings: list[_Token]) -> None:
        self._tokens = strings
        self._starts = [start for start, _end, _text in strings]

    def of(self, node: ast.Constant) -> list[_Token]:
        first = (node.lineno, node.col_offset)
        last = (node.end_lineno or node.lineno, node.end_col_offset or 0)
        found = []
        for index in range(bisect.bisect_left(self._starts, first), len(self._tokens)):
            token = self._tokens[index]
            if token[1] > last:
                break
            found.append(token)
        return found

    def simple_text(self, node: ast.AST | None) -> str:
        """The value of a literal written as one piece (libcst's ``SimpleString``), else ``""``."""
        if _is_string(node) and len(self.of(node)) == 1:  # type: ignore[arg-type]
            return _text(node.value)  # type: ignore[union-attr]
        return ""


class _Segments:
    """The written pieces of each literal, told from its source span, not the whole source's tokens.

    A piece is ``prefix quote body quote``. Without a backslash (no escapes, no line joins) and
    without ``\\r`` (no newline translation) the body *is* the value, so a one-piece literal spans
    exactly ``len(prefix) + 2 * len(quote) + len(value)`` characters; several pieces span at least
    two more (each further piece adds its own quotes, plus what lies between). So when the span has
    that length it is one STRING token from the node's start to its end, which is all ``_Pieces``
    answers for it. Any other span (escapes, concatenation) is tokenized alone: it starts where a
    STRING token starts and holds only its pieces and what may lie between them (blanks, comments,
    line breaks), so its STRING tokens are those the whole source's tokens would give. Where even
    that fails (a dedent the span alone cannot place) this reader is ``unsure``, and the caller
    reads the source again with the tokenizer. The source must hold no ``\\r``.
    """

    def __init__(self, source: str) -> None:
        self._lines = source.split("\n")
        self._known: dict[int, list[_Token]] = {}
        self.unsure = False

    def of(self, node: ast.Constant) -> list[_Token]:
        """The pieces: (start, end, text) with the source's line numbers; columns are the span's."""
        known = self._known.get(id(node))
        if known is None:
            known = self._known[id(node)] = self._pieces(node)
        return known

    def _pieces(self, node: ast.Constant) -> list[_Token]:
        text = self._span(node)
        value = node.value
        if (
            isinstance(value, str | bytes)
            and "\\" not in text
            and len(text) == _one_piece_length(text, value)
        ):
            end = (node.end_lineno or node.lineno, node.end_col_offset or 0)
            return [((node.lineno, node.col_offset), end, text)]
        try:
            tokens = tokenize.generate_tokens(io.StringIO(text).readline)
            strings = [token for token in tokens if token.type == tokenize.STRING]
        except (tokenize.TokenError, SyntaxError):  # IndentationError is a SyntaxError
            self.unsure = True
            return []
        shift = node.lineno - 1
        return [
            ((start[0] + shift, start[1]), (end[0] + shift, end[1]), raw)
            for _t, raw, start, end, _l in strings
        ]

    def simple_text(self, node: ast.AST | None) -> str:
        if _is_string(node) and len(self.of(node)) == 1:  # type: ignore[arg-type]
            return _text(node.value)  # type: ignore[union-attr]
        return ""

    def _span(self, node: ast.Constant) -> str:
        first, last = node.lineno, node.end_lineno or node.lineno
        start = _char_column(self._lines[first - 1], node.col_offset)
        end = _char_column(self._lines[last - 1], node.end_col_offset or 0)
        if first == last:
            return self._lines[first - 1][start:end]
        return "\n".join(
            [self._lines[first - 1][start:], *self._lines[first : last - 1], self._lines[last - 1][:end]]
        )


def _char_column(line: str, column: int) -> int:
    """``ast``'s UTF-8 byte column as a character index into ``line``."""
    return column if line.isascii() else len(line.encode("utf-8")[:column].decode("utf-8"))


def _one_piece_length(text: str, value: str | bytes) -> int:
    body = text.lstrip("rRbBuUfF")
    quote = 3 if body[:3] in ('"""', "'''") else 1
    return len(text) - len(body) + 2 * quote + len(value)


def _is_string(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _literal(
    node: ast.Constant, pieces: _Pieces | _Segments, context: str, is_docstring: bool
) -> StringLiteral:
    tokens = pieces.of(node)
    assert isinstance(node.value, str | bytes)  # only string constants are collected
    if len(tokens) <= 1:  # no tokens: the tokenizer stopped early; the node knows its lines
        line = tokens[0][0][0] if tokens else node.lineno
        raw = tokens[0][2] if tokens else ""
        part = LiteralPart(0, line, line + raw.count("\n") if tokens else node.end_lineno or line)
        return StringLiteral(_text(node.value), (part,), context, is_docstring)
    parts: list[LiteralPart] = []
    values: list[str] = []
    start = 0
    for (line, _column), _end, raw in tokens:
        parts.append(LiteralPart(start, line, line + raw.count("\n")))
        value = _text(ast.literal_eval(raw))
        values.append(value)
        start += len(value)
    return StringLiteral("".join(values), tuple(parts), context, is_docstring)


_PLAIN_WORD = re.compile(r"[#@]?[a-z_][a-z_-]*")
_ENV_GETTERS = frozenset({"getenv", "get", "setdefault", "pop"})
_SCOPES = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
# Fields that never lead to a string literal or a binding: names and numbers, and the operator and
# context leaves (``Load``, ``Add``, ``Eq``: a quarter of all nodes). ``Import.names`` holds only
# ``alias`` nodes, which are names too. The walk skips them; it visits the same literals, in the
# same order.
_LEAF_FIELDS = frozenset(
    {"ctx", "op", "ops", "id", "attr", "arg", "name", "names", "module", "level", "kind"}
    | {"type_comment", "is_async", "conversion"}
)


_CHILD_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _child_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        fields = _CHILD_FIELDS[kind] = tuple(field for field in kind._fields if field not in _LEAF_FIELDS)
    return fields


# The node types ``_Collector._bindings`` acts on; every other node only has children.
_BINDERS = frozenset(
    {*_SCOPES, ast.Assign, ast.AnnAssign, ast.arguments, ast.keyword, ast.Dict, ast.Compare, ast.Call}
)


class _Collector:
    """One walk: the string constants (not inside f-strings), their bindings and the docstrings.

    Bindings are applied outer node first, so where two apply to one literal the inner one wins
    (``d.get("password", default="x")``: ``default``), as a pre-order visitor would decide.
    """

    def __init__(self, pieces: _Pieces | _Segments) -> None:
        self._pieces = pieces
        self.constants: list[ast.Constant] = []
        self.contexts: dict[int, str] = {}  # id(constant) -> the name it is bound to
        self.docstrings: set[int] = set()

    def walk(self, tree: ast.AST) -> None:
        # Hot (every node of every pattern text): ``ast.parse`` makes nodes of the exact classes,
        # so binders are told by type, and children are listed inline in ``iter_child_nodes``' order.
        pending = [tree]
        while pending:
            level, pending = pending, []
            for node in level:  # breadth first: a node's bindings before its children's
                if isinstance(node, ast.JoinedStr):
                    continue  # dynamic; its static text is covered by the scan of the source lines
                if isinstance(node, ast.Constant):
                    if isinstance(node.value, str | bytes):
                        self.constants.append(node)
                    continue
                if type(node) in _BINDERS:
                    self._bindings(node)
                for field in _child_fields(type(node)):
                    child = getattr(node, field, None)
                    if isinstance(child, ast.AST):
                        pending.append(child)
                    elif isinstance(child, list):
                        pending.extend(item for item in child if isinstance(item, ast.AST))

    def _bind(self, value: ast.AST | None, name: str) -> None:
        if name and _is_string(value):
            self.contexts[id(value)] = name

    def _bindings(self, node: ast.AST) -> None:
        if isinstance(node, _SCOPES):
            self._note_docstring(node)
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self._bind(node.value, self._target_name(target))
        elif isinstance(node, ast.AnnAssign):
            self._bind(node.value, self._target_name(node.target))
        elif isinstance(node, ast.arguments):
            self._bind_defaults(node)
        elif isinstance(node, ast.keyword):
            if node.arg is not None:
                self._bind(node.value, node.arg)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                self._bind(value, self._pieces.simple_text(key))
        elif isinstance(node, ast.Compare):
            self._bind_comparison(node)
        elif isinstance(node, ast.Call):
            self._bind_env_fallback(node)

    def _note_docstring(
        self, node: ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
    ) -> None:
        first = node.body[0] if node.body else None
        if isinstance(first, ast.Expr) and _is_string(first.value):
            self.docstrings.add(id(first.value))

    def _bind_defaults(self, node: ast.arguments) -> None:
        positional = [*node.posonlyargs, *node.args]
        with_default = positional[len(positional) - len(node.defaults) :]
        for arg, default in zip(with_default, node.defaults, strict=True):
            self._bind(default, arg.arg)
        for arg, kw_default in zip(node.kwonlyargs, node.kw_defaults, strict=True):
            self._bind(kw_default, arg.arg)

    def _bind_comparison(self, node: ast.Compare) -> None:
        left = node.left
        for operator, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(operator, ast.Eq | ast.NotEq):
                self._bind_compared(right, self._target_name(left))
                self._bind_compared(left, self._target_name(right))
            left = right

    def _bind_compared(self, value: ast.AST, name: str) -> None:
        # Lexers compare ``token == "async"``: a plain lowercase word compared is a value, not a secret.
        text = self._pieces.simple_text(value)
        if not (text and _PLAIN_WORD.fullmatch(text)):
            self._bind(value, name)

    def _bind_env_fallback(self, node: ast.Call) -> None:
        # os.getenv("DB_PASSWORD", "fallback"), os.environ.setdefault("TOKEN", "..."), d.get(...)
        func = node.func
        if not isinstance(func, ast.Attribute | ast.Name):
            return
        method = func.attr if isinstance(func, ast.Attribute) else func.id
        if method not in _ENV_GETTERS:
            return
        arguments = [_argument_value(arg) for arg in _in_source_order(node)]
        if len(arguments) >= 2:
            self._bind(arguments[1], self._pieces.simple_text(arguments[0]))

    def _target_name(self, target: ast.AST) -> str:
        """``password`` / ``self.password`` / ``config["password"]`` -> ``password``; else ``""``."""
        if isinstance(target, ast.Name):
            return target.id
        if isinstance(target, ast.Attribute):
            return target.attr
        if isinstance(target, ast.Subscript):
            index = target.slice
            # ``config["password",]``: one element with a trailing comma, written without parentheses
            if isinstance(index, ast.Tuple) and len(index.elts) == 1 and _unparenthesized(index):
                index = index.elts[0]
            return self._pieces.simple_text(index)
        return ""


def _unparenthesized(node: ast.Tuple) -> bool:
    first = node.elts[0]
    return (node.lineno, node.col_offset) == (first.lineno, first.col_offset)


def _in_source_order(call: ast.Call) -> Iterator[ast.expr | ast.keyword]:
    """A call's arguments as written: ``ast`` keeps keywords apart from positional ones."""
    if not call.keywords:
        yield from call.args
        return
    arguments: list[ast.expr | ast.keyword] = [*call.args, *call.keywords]
    yield from sorted(arguments, key=lambda arg: (arg.lineno, arg.col_offset))


def _argument_value(arg: ast.expr | ast.keyword) -> ast.expr:
    if isinstance(arg, ast.keyword | ast.Starred):
        return arg.value
    return arg


# The strings and comments of source without backslashes, lexed as Python 3.11's tokenizer lexes
# them: with no escapes a short string ends at its first quote of its kind, a long one at its first
# triple quote; f-strings are strings like the others (3.12 lets them nest the same quote, so there
# they are not read this way). Everything else is passed over in runs.
_LEXEME = re.compile(
    r"""(?P<comment>\#[^\n]*)"""
    r"""|(?P<string>""\"(?:[^"]|"(?!""))*""\"|'''(?:[^']|'(?!''))*'''|"[^"\n]*"|'[^'\n]*')"""
    r"""|[^"'\#]+"""
)
_F_STRING = re.compile(r"""(?<![A-Za-z0-9_])(?:[fF][rR]?|[rR][fF])["']""")
# What may lie between two pieces of one literal: blanks, comments, the second piece's prefix.
_BETWEEN_PIECES = re.compile(r"(?:\s|\#[^\n]*)*[A-Za-z]{0,2}")


def may_concatenate(source: str) -> bool:
    """False only where no literal of ``source`` (Python without backslashes) is written in pieces.

    Pieces of one literal are STRING tokens with only blanks, comments and a prefix between them.
    True whenever the source cannot be lexed here (an f-string on 3.12+, a stray quote).
    """
    if "\\" in source or (sys.version_info >= (3, 12) and _F_STRING.search(source)):
        return True
    end = 0
    previous = -1  # where the last string ended
    for lexeme in _LEXEME.finditer(source):
        if lexeme.start() != end:
            return True  # a quote the lexer could not place
        end = lexeme.end()
        if lexeme.lastgroup == "string":
            if previous >= 0 and _BETWEEN_PIECES.fullmatch(source, previous, lexeme.start()):
                return True
            previous = end
    return end != len(source)
