"""Fixtures a reused test asks for, brought into the node's ``tests/conftest.py`` when it cannot see them.

A test linked to a node may live anywhere in the repository (``tests/test_golden_chain_x.py``) and
take its fixtures from the ``conftest.py`` beside it (``event_bus``). Reused for a new node, the
test is written in the node's ``tests/`` folder, where pytest no longer sees that conftest, so it
would fail on setup. Such a fixture is copied into the node's own conftest with what it needs from
its module (imports, helpers, the fixtures it asks for in turn) and the conftest's autouse
fixtures, which the test ran under, never more; a fixture that no conftest of the repository
defines is taken to come from a plugin, and one a visible conftest defines is left where it is.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from nodeforge.codeshape import parse_or_none
from nodeforge.generation.scope import bound_names
from nodeforge.learning.nodes import SKIP_DIRS

CONFTEST = "tests/conftest.py"
_NOT_FIXTURES = frozenset({"self", "cls"})


@dataclass(frozen=True)
class Conftest:
    path: Path
    text: str
    fixtures: frozenset[str]
    autouse: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Brought:
    files: dict[str, str]
    notes: list[str]


def _is_fixture(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Decorated with ``pytest.fixture`` / ``pytest_asyncio.fixture``, called or not."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "fixture":
            return True
    return False


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _tree(code: str) -> ast.Module:
    return parse_or_none(code) or ast.Module(body=[], type_ignores=[])  # unreadable here: no fixtures


def defined_fixtures(code: str) -> frozenset[str]:
    return _defined(_tree(code))


def _defined(tree: ast.Module) -> frozenset[str]:
    return frozenset(f.name for f in _functions(tree) if _is_fixture(f))


def _autouse(tree: ast.Module) -> frozenset[str]:
    """Fixtures every test under the conftest gets without asking (``autouse=True``)."""
    return frozenset(
        f.name
        for f in _functions(tree)
        if any(
            isinstance(d, ast.Call)
            and any(k.arg == "autouse" and getattr(k.value, "value", False) is True for k in d.keywords)
            for d in f.decorator_list
        )
        and _is_fixture(f)
    )


def requested_fixtures(code: str) -> frozenset[str]:
    """The fixtures a test module's tests and fixtures take as parameters."""
    asked: set[str] = set()
    for function in _functions(_tree(code)):
        if function.name.startswith("test") or _is_fixture(function):
            arguments = function.args
            asked.update(a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs])
    return frozenset(asked - _NOT_FIXTURES)


def repo_conftests(repo: Path) -> list[Conftest]:
    found = []
    for folder, dirs, names in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        if "conftest.py" in names:
            path = Path(folder) / "conftest.py"
            try:
                text = path.read_text(encoding="utf-8")
                tree = _tree(text)
            except (OSError, UnicodeDecodeError, ValueError):  # ValueError: a null byte (Python 3.11)
                continue  # a conftest nobody can read offers no fixture to bring
            found.append(Conftest(path, text, _defined(tree), _autouse(tree)))
    return found


def bring_fixtures(files: Mapping[str, str], repo: Path, node_dir: Path) -> Brought:
    """``files`` with the fixtures their tests ask for and cannot see added to ``tests/conftest.py``."""
    tests = {rel: code for rel, code in files.items() if rel.startswith("tests/") and rel.endswith(".py")}
    own = defined_fixtures(files.get(CONFTEST, ""))
    asked = {rel: requested_fixtures(code) - defined_fixtures(code) - own for rel, code in tests.items()}
    if not any(asked.values()):
        return Brought(dict(files), [])  # every fixture asked for is the node's own: no walk
    conftests = repo_conftests(repo)
    seen_from = (node_dir / "tests").resolve()
    visible = {c.path for c in conftests if seen_from.is_relative_to(c.path.parent.resolve())}
    available = set().union(*(c.fixtures for c in conftests if c.path in visible))
    wanted: dict[Path, set[str]] = {}
    for names in asked.values():
        for name in sorted(names - available):
            source = next((c for c in conftests if c.path not in visible and name in c.fixtures), None)
            if source is not None:
                wanted.setdefault(source.path, set()).add(name)
    if not wanted:
        return Brought(dict(files), [])
    by_path = {c.path: c for c in conftests}
    for path in wanted:
        # A test that took fixtures from this conftest lived under it: its autouse fixtures
        # (an environment variable set for every test...) were part of the test's world too.
        wanted[path] |= by_path[path].autouse
    blocks = [copied(by_path[path].text, names) for path, names in sorted(wanted.items())]
    result = dict(files)
    result[CONFTEST] = _merge(files.get(CONFTEST, '"""Fixtures of the node\'s tests."""\n'), blocks)
    notes = [
        f"tests/conftest.py: brought {', '.join(sorted(names))} from {path.relative_to(repo).as_posix()}"
        for path, names in sorted(wanted.items())
    ]
    return Brought(result, notes)


def _reads(statement: ast.stmt) -> set[str]:
    """Module names a statement reads: its names, and for a fixture the fixtures it asks for."""
    names = {n.id for n in ast.walk(statement) if isinstance(n, ast.Name)}
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef) and _is_fixture(statement):
        names |= {a.arg for a in statement.args.args}
    return names


@dataclass(frozen=True)
class Copied:
    imports: list[str]
    definitions: list[str]


def copied(text: str, fixtures: set[str]) -> Copied:
    """The fixtures ``fixtures`` of a conftest with every module statement they need, in source order;
    an import keeps only the names that are used."""
    tree = _tree(text)
    binders: dict[str, ast.stmt] = {}
    for statement in tree.body:
        for name in bound_names(statement):
            binders.setdefault(name, statement)
    needed: set[str] = set()
    queue = sorted(fixtures)
    while queue:
        name = queue.pop()
        if name in needed or name not in binders:
            continue
        needed.add(name)
        queue.extend(sorted(_reads(binders[name]) - needed))
    lines = text.splitlines()
    result = Copied([], [])
    for statement in tree.body:
        if not bound_names(statement) & needed:
            continue
        if isinstance(statement, ast.Import):
            kept = [a for a in statement.names if (a.asname or a.name).split(".")[0] in needed]
            result.imports.append(ast.unparse(ast.Import(names=kept)))
        elif isinstance(statement, ast.ImportFrom):
            kept = [a for a in statement.names if (a.asname or a.name) in needed]
            result.imports.append(ast.unparse(ast.ImportFrom(statement.module, kept, statement.level)))
        else:
            decorators = getattr(statement, "decorator_list", [])
            first = min([statement.lineno, *(d.lineno for d in decorators)])
            result.definitions.append("\n".join(lines[first - 1 : statement.end_lineno]))
    return result


def _merge(conftest: str, blocks: list[Copied]) -> str:
    """Imports after the conftest's own imports (or its docstring), definitions at its end; the
    team's formatter sorts the imports afterwards."""
    lines = conftest.rstrip("\n").splitlines()
    imports = list(dict.fromkeys(line for b in blocks for line in b.imports))
    bodies = "\n\n\n".join(d for b in blocks for d in b.definitions)
    cut = _header_end(conftest)
    merged = [*lines[:cut], *([""] if cut else []), *imports, *lines[cut:]]
    return "\n".join(merged).rstrip("\n") + f"\n\n\n{bodies}\n"


def _header_end(code: str) -> int:
    """The line after the module's docstring and its last top-level import (0 when it has neither)."""
    end = 0
    for index, statement in enumerate(_tree(code).body):
        expression = statement.value if isinstance(statement, ast.Expr) else None
        docstring = index == 0 and isinstance(expression, ast.Constant)
        if docstring or isinstance(statement, ast.Import | ast.ImportFrom):
            end = statement.end_lineno or end
    return end
