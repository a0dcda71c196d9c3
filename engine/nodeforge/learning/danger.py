"""Code that must be reviewed by a person before nodeforge copies it into new nodes.

Passing tests say nothing about whether a call is safe to spread: a handler that shells out,
evaluates strings, deserializes with pickle, or opens a network address or a file path taken from
its input is learned *held* (``PatternStatus.HELD``). ``patterns review`` lists it with these
reasons; ``patterns approve`` or ``patterns reject`` decides. Calls are matched by their dotted
name as written (``os.system``, ``subprocess.run``, ``pickle.loads``) and, for names imported
from a module (``from os import system``), through the import.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

import libcst as cst
from libcst.metadata import PositionProvider

from nodeforge.learning.extract.source import dotted_name

# dotted call name -> why it is held
_ALWAYS = {
    "os.system": "shells out",
    "os.popen": "shells out",
    "os.execv": "replaces the process",
    "os.execvp": "replaces the process",
    "os.spawnv": "starts a process",
    "subprocess.run": "starts a process",
    "subprocess.call": "starts a process",
    "subprocess.check_call": "starts a process",
    "subprocess.check_output": "starts a process",
    "subprocess.Popen": "starts a process",
    "subprocess.getoutput": "shells out",
    "asyncio.create_subprocess_shell": "shells out",
    "asyncio.create_subprocess_exec": "starts a process",
    "eval": "evaluates a string as code",
    "exec": "executes a string as code",
    "compile": "compiles a string as code",
    "__import__": "imports a module named at run time",
    "importlib.import_module": "imports a module named at run time",
    "pickle.load": "deserializes unsafely (pickle)",
    "pickle.loads": "deserializes unsafely (pickle)",
    "cPickle.loads": "deserializes unsafely (pickle)",
    "dill.loads": "deserializes unsafely (dill)",
    "marshal.loads": "deserializes unsafely (marshal)",
    "shelve.open": "deserializes unsafely (shelve)",
    "yaml.unsafe_load": "deserializes unsafely (yaml)",
    "jsonpickle.decode": "deserializes unsafely (jsonpickle)",
}
# Calls that are dangerous when what they open comes from input (not a literal).
_FROM_INPUT = {
    "open": "opens a file path from input",
    "io.open": "opens a file path from input",
    "os.remove": "deletes a file path from input",
    "shutil.rmtree": "deletes a folder from input",
    "urllib.request.urlopen": "opens a network address from input",
    "urlopen": "opens a network address from input",
    "requests.get": "opens a network address from input",
    "requests.post": "opens a network address from input",
    "requests.request": "opens a network address from input",
    "httpx.get": "opens a network address from input",
    "httpx.post": "opens a network address from input",
    "socket.create_connection": "opens a network connection from input",
}


@dataclass(frozen=True)
class Hazard:
    call: str
    reason: str
    line: int

    def __str__(self) -> str:
        return f"{self.call}() {self.reason} (line {self.line})"


_HELD_CALL = re.compile(r"(?:^|; )([\w.]+)\(\) ")


def held_calls(reason: str) -> frozenset[str]:
    """The calls a ``held_reason`` (hazards joined by "; ", as the gate writes them) names."""
    return frozenset(_HELD_CALL.findall(reason))


# Every segment of a call's resolved name is a word of the code: the written name, or the module and
# name of the ``from`` import it comes through. Code missing a segment of every dangerous name needs
# no parse (most learned code: the gate runs over thousands of texts per repository).
_NAMES = tuple(frozenset(name.split(".")) for name in (*_ALWAYS, *_FROM_INPUT, "yaml.load"))
_WORD = re.compile(r"\w+")


def _may_call_one(code: str) -> bool:
    words = set(_WORD.findall(code))
    return any(segments <= words for segments in _NAMES)


# Nodes of one repository share most texts (models, helpers, whole files an exemplar carries), and
# the exemplar and the learn gate both ask about the same files: each distinct text is read once.
@lru_cache(maxsize=8192)
def hazards(code: str) -> tuple[Hazard, ...]:
    """Every call in ``code`` that needs review; () for code that does not parse (other gates judge it).

    Read with ``ast`` (a whole node file in a millisecond or two); code the running Python cannot
    parse (newer syntax) or whose call arguments ``ast`` cannot judge alike is read with libcst.
    """
    if not _may_call_one(code):
        return ()
    try:
        found = _ast_hazards(ast.parse(code))
    except (SyntaxError, ValueError, _Undecided):
        found = _libcst_hazards(code)
    return tuple(found)


@dataclass(frozen=True)
class _Argument:
    """What the rules read of one call argument (positional or keyword, in source order)."""

    keyword: str | None
    literal: bool  # a string, bytes or integer literal
    dotted: str  # the dotted name it is written as, "" when it is no name


def _reason(name: str, arguments: list[_Argument]) -> str | None:
    reason = _ALWAYS.get(name)
    if name == "yaml.load" and _yaml_load_is_unsafe(arguments):
        reason = "deserializes unsafely (yaml.load without SafeLoader)"
    if reason is None and name in _FROM_INPUT and arguments and not arguments[0].literal:
        reason = _FROM_INPUT[name]
    return reason


def _yaml_load_is_unsafe(arguments: list[_Argument]) -> bool:
    """``yaml.load(x)`` without a ``Loader`` (or with a non-safe one) builds arbitrary objects."""
    for argument in arguments[1:]:
        if argument.keyword in (None, "Loader") and "Safe" in argument.dotted:
            return False
    return True


def _resolved(written: str, imported: dict[str, str]) -> str:
    head, _, rest = written.partition(".")
    return imported.get(head, head) + (f".{rest}" if rest else "")


# -- ast -----------------------------------------------------------------------------------------


class _Undecided(Exception):
    """An argument ``ast`` sees differently from libcst (an f-string joined to plain literals)."""


def _ast_hazards(tree: ast.Module) -> list[Hazard]:
    # In source order, outer call first: the order a libcst visitor meets them (imports included).
    nodes = sorted(
        (node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom | ast.Call)),
        key=lambda node: (node.lineno, node.col_offset, -(node.end_lineno or 0), -(node.end_col_offset or 0)),
    )
    found: list[Hazard] = []
    imported: dict[str, str] = {}  # local name -> dotted origin ("system" -> "os.system")
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.module is not None and all(alias.name != "*" for alias in node.names):
                imported.update(
                    {alias.asname or alias.name: f"{node.module}.{alias.name}" for alias in node.names}
                )
        elif isinstance(node.func, ast.Name | ast.Attribute):
            name = _resolved(_ast_dotted(node.func), imported)
            if name in _ALWAYS or name in _FROM_INPUT or name == "yaml.load":
                reason = _reason(name, _ast_arguments(node))
                if reason is not None:
                    found.append(Hazard(name, reason, node.lineno))
    return found


def _ast_dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_ast_dotted(node.value)}.{node.attr}"
    return ""


def _ast_arguments(call: ast.Call) -> list[_Argument]:
    written: list[ast.expr | ast.keyword] = sorted(
        [*call.args, *call.keywords], key=lambda arg: (arg.lineno, arg.col_offset)
    )
    found = []
    for arg in written:
        keyword = arg.arg if isinstance(arg, ast.keyword) else None
        value = arg.value if isinstance(arg, ast.keyword | ast.Starred) else arg
        if isinstance(value, ast.JoinedStr):
            raise _Undecided  # libcst calls ``"a" f"{b}"`` a literal, a lone f-string not
        literal = isinstance(value, ast.Constant) and type(value.value) in (str, bytes, int)
        dotted = _ast_dotted(value) if isinstance(value, ast.Name | ast.Attribute) else ""
        found.append(_Argument(keyword, literal, dotted))
    return found


# -- libcst --------------------------------------------------------------------------------------


def _libcst_hazards(code: str) -> list[Hazard]:
    try:
        module = cst.parse_module(code)
    except (cst.ParserSyntaxError, cst.CSTValidationError):  # e.g. str and bytes literals joined
        return []
    finder = _HazardFinder()
    cst.MetadataWrapper(module, unsafe_skip_copy=True).visit(finder)
    return finder.found


class _HazardFinder(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        super().__init__()
        self.found: list[Hazard] = []
        self._imported: dict[str, str] = {}  # local name -> dotted origin ("system" -> "os.system")

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is None or isinstance(node.names, cst.ImportStar):
            return
        module = dotted_name(node.module)
        for alias in node.names:
            local = alias.asname.name if alias.asname else alias.name
            if isinstance(local, cst.Name):
                self._imported[local.value] = f"{module}.{dotted_name(alias.name)}"

    def visit_Call(self, node: cst.Call) -> None:
        if not isinstance(node.func, cst.Name | cst.Attribute):
            return
        name = _resolved(dotted_name(node.func), self._imported)
        reason = _reason(name, [_cst_argument(arg) for arg in node.args])
        if reason is not None:
            line = self.get_metadata(PositionProvider, node).start.line
            self.found.append(Hazard(name, reason, line))


def _cst_argument(arg: cst.Arg) -> _Argument:
    value = arg.value
    return _Argument(
        keyword=arg.keyword.value if arg.keyword is not None else None,
        literal=isinstance(value, cst.SimpleString | cst.ConcatenatedString | cst.Integer),
        dotted=dotted_name(value) if isinstance(value, cst.Attribute | cst.Name) else "",
    )
