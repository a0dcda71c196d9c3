"""Bring along the node-local support a borrowed handler imports.

A handler taken from another node imports that node's own modules (``from ..support import
retention_days``). When the new node lacks the module, it comes along whole; when it has the module
but not the name, the definition comes along (with the imports of its module) into the new node's.
Anything else a handler leaves unresolved is not support and makes it give way.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from functools import lru_cache

import libcst as cst

from nodeforge.codeshape import parse_or_none
from nodeforge.generation.modmerge import is_import
from nodeforge.generation.scope import Unresolved, module_names, unresolved_relative_imports


def _bound_names(statement: cst.CSTNode) -> frozenset[str]:
    """The names a top-level statement defines: a class, a function, an assigned name."""
    if isinstance(statement, cst.ClassDef | cst.FunctionDef):
        return frozenset({statement.name.value})
    names: set[str] = set()
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else []
            if isinstance(small, cst.AnnAssign):
                targets = [small.target]
            names.update(t.value for t in targets if isinstance(t, cst.Name))
    return frozenset(names)


def _binds(statement: cst.CSTNode, name: str) -> bool:
    return name in _bound_names(statement)


def add_definition(existing: str, source: str, name: str) -> str | None:
    """``existing`` with ``source``'s top-level definition of ``name``, the top-level definitions of
    ``source`` it uses that ``existing`` lacks (in ``source``'s order: a constant built from an enum
    comes after the enum), and their imports; None when ``source`` does not define ``name``."""
    own, other = cst.parse_module(existing), cst.parse_module(source)
    wanted = [i for i, s in enumerate(other.body) if _binds(s, name)]
    if not wanted:
        return None
    have = module_names(existing) or frozenset()
    taken = set(wanted)
    while wanted:  # the module-level names the taken definitions use, until nothing new
        used = _names_used(other.code_for_node(other.body[wanted.pop()]))
        for index, statement in enumerate(other.body):
            if index not in taken and any(_binds(statement, n) for n in used - have):
                taken.add(index)
                wanted.append(index)
    found = [other.body[i] for i in sorted(taken)]
    present = {own.code_for_node(s).strip() for s in own.body}
    found = [s for s in found if other.code_for_node(s).strip() not in present]
    imports = [s for s in other.body if is_import(s) and other.code_for_node(s).strip() not in present]
    head = list(own.body)
    last_import = max((i for i, s in enumerate(head) if is_import(s)), default=-1)
    body = [*head[: last_import + 1], *imports, *head[last_import + 1 :], *found]
    return own.with_changes(body=body).code


@lru_cache(maxsize=512)
def _definitions(code: str) -> frozenset[str]:
    """The names a module's top-level statements define, read once per text: every miss of a node
    asks the same support modules."""
    return frozenset(name for statement in cst.parse_module(code).body for name in _bound_names(statement))


def _names_used(code: str) -> frozenset[str]:
    tree = parse_or_none(code)
    if tree is None:
        return frozenset()
    return frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))


def support_for(
    path: str,
    code: str,
    files: Mapping[str, str],
    support: Mapping[str, str],
    own: frozenset[str] = frozenset(),
) -> dict[str, str] | None:
    """Modules to add or extend so that ``code``'s imports inside the node (relative, or through
    its own package ``own``) resolve, and those of what comes along; None when they cannot."""
    changed: dict[str, str] = {}
    for _ in range(2 * len(support) + 1):  # each round settles at least one module or stops
        trial = {**files, **changed}
        missing = [
            miss
            for module, text in [(path, code), *changed.items()]
            for miss in unresolved_relative_imports(module, text, trial, own)
        ]
        if not missing:
            return changed
        progress = False
        for miss in missing:
            settled = _settle(miss, {**files, **changed}, support)
            if settled is not None:
                changed[settled[0]] = settled[1]
                progress = True
        if not progress:
            return None
    return None


def _settle(miss: Unresolved, files: Mapping[str, str], support: Mapping[str, str]) -> tuple[str, str] | None:
    """(module, its new text) that gives what ``miss`` lacks, or None (also when an earlier miss of
    the same round already brought it: a whole module brings every name it defines)."""
    if _binds_name(files.get(miss.module), miss.name):
        return None
    source = support.get(miss.module)
    if source is None:
        return _reexport(miss, files, support)
    if miss.module not in files:
        return miss.module, source
    extended = add_definition(files[miss.module], source, miss.name)
    return _reexport(miss, files, support) if extended is None else (miss.module, extended)


def _reexport(
    miss: Unresolved, files: Mapping[str, str], support: Mapping[str, str]
) -> tuple[str, str] | None:
    """A name imported from a package of the node (``from .models import ModelX``) that a support
    module in that package defines: the package's ``__init__`` (made when missing) re-exports it
    from there; the module itself comes along in the next round when it is missing."""
    package = miss.module.removesuffix(".py").removesuffix("/__init__").removesuffix("__init__")
    init = f"{package}/__init__.py" if package else "__init__.py"
    if _binds_name(files.get(init), miss.name):
        return None
    for rel, code in sorted(support.items()):
        folder, _, module = rel.rpartition("/")
        if folder != package or module == "__init__.py" or not rel.endswith(".py"):
            continue
        if miss.name in _definitions(code):
            line = f"from .{module.removesuffix('.py')} import {miss.name}\n"
            existing = files.get(init, "")
            return init, f"{existing.rstrip()}\n{line}" if existing.strip() else line
    return None


def _binds_name(code: str | None, name: str) -> bool:
    names = module_names(code) if code is not None else None
    return names is not None and name in names
