"""Undefined names in a generated node, found before anything is written.

Each module is checked with libcst's ``ScopeProvider`` (a name read where no scope binds it, nor
builtins), and the node's modules are checked together: a relative import of a sibling module
must name a module the node has and a name that module defines, and so must an absolute import
through the node's own package folder. An absolute import of another module of the repository must
name something that module defines (``outside``, read from its source by ``repomodules``: reused
code adapted to the new node can name a renamed model the shared module does not have). Imports of
modules outside the repository are taken as they are (whether a third-party package has a name is
the target environment's question, not a scope's).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, ScopeProvider

from nodeforge.codeshape import parse_or_none

# Names every module has at run time without binding them.
_MODULE_DUNDERS = frozenset({"__file__", "__name__", "__doc__", "__package__", "__spec__", "__path__"})
# Dotted module -> the names it defines, or None when nothing is known of it (``repomodules``).
OutsideNames = Callable[[str], frozenset[str] | None]


@dataclass(frozen=True)
class Unresolved:
    path: str  # node-relative module path
    name: str
    line: int
    why: str  # "undefined" or what a relative import misses
    module: str = ""  # for a relative import: the node module it names (``support.py``)

    def describe(self) -> str:
        return f"{self.path}:{self.line}: {self.name} ({self.why})"


def module_names(code: str) -> frozenset[str] | None:
    """Names bound at module level; None when a star import makes them unknowable."""
    tree = parse_or_none(code)
    if tree is None:
        return None
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
            return None
    for statement in _top_level(tree.body):
        names.update(bound_names(statement))
    return frozenset(names)


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Module statements, looking inside top-level ``if``/``try``/``with`` blocks (TYPE_CHECKING...)."""
    found: list[ast.stmt] = []
    for statement in body:
        found.append(statement)
        if isinstance(statement, ast.If | ast.With):
            found.extend(_top_level(statement.body + getattr(statement, "orelse", [])))
        elif isinstance(statement, ast.Try):
            blocks = statement.body + statement.orelse + statement.finalbody
            found.extend(_top_level(blocks + [s for h in statement.handlers for s in h.body]))
    return found


def bound_names(statement: ast.stmt) -> set[str]:
    """The module-level names one statement binds (a definition, an import, an assignment)."""
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {statement.name}
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name).split(".")[0] for a in statement.names}
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
        targets = [statement.target]
    elif type(statement).__name__ == "TypeAlias":  # Python 3.12+: ``type X = ...``
        targets = [getattr(statement, "name")]  # noqa: B009 (ast.TypeAlias is absent on 3.11)
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def undefined_in_module(path: str, code: str) -> list[Unresolved]:
    """Names read in ``code`` that no scope binds (builtins and module dunders count as bound)."""
    module = cst.parse_module(code)
    if any(
        isinstance(s, cst.ImportFrom) and isinstance(s.names, cst.ImportStar)
        for line in module.body
        if isinstance(line, cst.SimpleStatementLine)
        for s in line.body
    ):
        return []
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    scopes = {scope for scope in wrapper.resolve(ScopeProvider).values() if scope is not None}
    positions = wrapper.resolve(PositionProvider)
    found: dict[tuple[str, int], Unresolved] = {}
    for scope in scopes:
        for access in scope.accesses:
            name = _access_name(access.node)
            if access.referents or name in _MODULE_DUNDERS:
                continue
            line = positions[access.node].start.line if access.node in positions else 0
            found.setdefault((name, line), Unresolved(path, name, line, "undefined"))
    return sorted(found.values(), key=lambda u: (u.line, u.name))


def _access_name(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Name):
        return node.value
    return cst.Module(body=[]).code_for_node(node).split(".")[0].strip("'\"")


def _package_of(path: str, level: int) -> list[str] | None:
    parts = path.split("/")[:-1]
    if level - 1 > len(parts):
        return None
    return parts[: len(parts) - (level - 1)]


def _inside(path: str, node: ast.ImportFrom, own: frozenset[str]) -> tuple[list[str], list[str]] | None:
    """(package inside the node, module parts) an import names, or None when it leads outside.

    An absolute import through the node's own package folder (one of ``own``) is the node's too:
    ``from pkg.nodes.node_x.models.m import M`` is ``models/m.py`` of node ``node_x``.
    """
    parts = node.module.split(".") if node.module else []
    if node.level == 0:
        mine = [i for i, part in enumerate(parts) if part in own]
        return ([], parts[mine[0] + 1 :]) if mine else None
    package = _package_of(path, node.level)
    return None if package is None else (package, parts)


def unresolved_relative_imports(
    path: str, code: str, files: Mapping[str, str], own: frozenset[str] = frozenset()
) -> list[Unresolved]:
    """Imports inside the node (relative, or through its own package ``own``) that name a missing
    module or a name it does not define."""
    found: list[Unresolved] = []
    for node in ast.walk(parse_or_none(code) or ast.Module(body=[], type_ignores=[])):
        if not isinstance(node, ast.ImportFrom):
            continue
        inside = _inside(path, node, own)
        if inside is None:
            continue  # outside the node: outside what is generated
        package, parts = inside
        base = "/".join([*package, *parts])
        target = next((rel for rel in (f"{base}.py", f"{base}/__init__.py") if rel in files), None)
        for alias in node.names:
            if alias.name == "*":
                continue
            submodule = f"{base}/{alias.name}".lstrip("/")
            if f"{submodule}.py" in files or f"{submodule}/__init__.py" in files:
                continue
            if target is None:
                if not package and not parts:
                    continue  # ``from . import x`` at the node root names its own package
                found.append(
                    Unresolved(
                        path, alias.name, node.lineno, f"no module {base or '.'} in the node", f"{base}.py"
                    )
                )
                continue
            names = module_names(files[target])
            if names is not None and alias.name not in names:
                found.append(
                    Unresolved(path, alias.name, node.lineno, f"{target} does not define it", target)
                )
    return found


def unresolved_outside_imports(
    path: str, code: str, outside: OutsideNames, own: frozenset[str] = frozenset()
) -> list[Unresolved]:
    """Absolute imports of the repository's other modules that name something they do not define
    (imports through the node's own package are ``unresolved_relative_imports``' to check)."""
    found: list[Unresolved] = []
    for node in ast.walk(parse_or_none(code) or ast.Module(body=[], type_ignores=[])):
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        if _inside(path, node, own) is not None:
            continue
        names = outside(node.module)
        if names is None:
            continue
        found.extend(
            Unresolved(path, alias.name, node.lineno, f"{node.module} does not define it")
            for alias in node.names
            if alias.name != "*" and alias.name not in names
        )
    return found


def check_node(
    files: Mapping[str, str], own: frozenset[str] = frozenset(), outside: OutsideNames | None = None
) -> list[Unresolved]:
    """Every unresolved name in the node's Python files (node-relative path -> text)."""
    found: list[Unresolved] = []
    for path, code in sorted(files.items()):
        if path.endswith(".py"):
            found.extend(check_module(path, code, files, own, outside))
    return found


def check_module(
    path: str,
    code: str,
    files: Mapping[str, str],
    own: frozenset[str] = frozenset(),
    outside: OutsideNames | None = None,
) -> list[Unresolved]:
    """Unresolved names of one module: its imports inside the node (relative, or through its own
    package folder, one of ``own``) checked against ``files``, and its imports of the repository's
    other modules against what they define (``outside``), when given."""
    found = [*undefined_in_module(path, code), *unresolved_relative_imports(path, code, files, own)]
    if outside is not None:
        found += unresolved_outside_imports(path, code, outside, own)
    return found
