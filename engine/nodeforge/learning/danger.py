"""Code that must be reviewed by a person before nodeforge copies it into new nodes.

Passing tests say nothing about whether a call is safe to spread: a handler that shells out,
evaluates strings, deserializes with pickle, or opens a network address or a file path taken from
its input is learned *held* (``PatternStatus.HELD``). ``patterns review`` lists it with these
reasons; ``patterns approve`` or ``patterns reject`` decides. Calls are matched by their dotted
name as written (``os.system``, ``subprocess.run``, ``pickle.loads``) and, for names imported
from a module (``from os import system``), through the import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


# Every segment of a call's resolved name is a word of the code: the written name, or the module and
# name of the ``from`` import it comes through. Code missing a segment of every dangerous name needs
# no parse (most learned code: the gate runs over thousands of texts per repository).
_NAMES = tuple(frozenset(name.split(".")) for name in (*_ALWAYS, *_FROM_INPUT, "yaml.load"))
_WORD = re.compile(r"\w+")


def _may_call_one(code: str) -> bool:
    words = set(_WORD.findall(code))
    return any(segments <= words for segments in _NAMES)


def hazards(code: str) -> tuple[Hazard, ...]:
    """Every call in ``code`` that needs review; () for code that does not parse (other gates judge it)."""
    if not _may_call_one(code):
        return ()
    try:
        module = cst.parse_module(code)
    except cst.ParserSyntaxError:
        return ()
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    finder = _HazardFinder()
    wrapper.visit(finder)
    return tuple(finder.found)


def yaml_load_is_unsafe(call: cst.Call) -> bool:
    """``yaml.load(x)`` without a ``Loader`` (or with a non-safe one) builds arbitrary objects."""
    for arg in call.args[1:]:
        loader = arg.value
        name = dotted_name(loader) if isinstance(loader, cst.Attribute | cst.Name) else ""
        if (arg.keyword is None or arg.keyword.value == "Loader") and "Safe" in name:
            return False
    return True


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
        written = dotted_name(node.func)
        head, _, rest = written.partition(".")
        name = self._imported.get(head, head) + (f".{rest}" if rest else "")
        reason = _ALWAYS.get(name)
        if name == "yaml.load" and yaml_load_is_unsafe(node):
            reason = "deserializes unsafely (yaml.load without SafeLoader)"
        if reason is None and name in _FROM_INPUT and node.args and not _is_literal(node.args[0].value):
            reason = _FROM_INPUT[name]
        if reason is not None:
            line = self.get_metadata(PositionProvider, node).start.line
            self.found.append(Hazard(name, reason, line))


def _is_literal(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.SimpleString | cst.ConcatenatedString | cst.Integer)
