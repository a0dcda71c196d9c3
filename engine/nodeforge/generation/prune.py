"""Loose ends of an assembled node: modules whose imports do not resolve once its handlers are chosen.

The nearest exemplar's skeleton brings modules that import from its handlers (``__main__``, the
handlers package's re-exports, a registry, tests). The handler chosen for the new node need not
define what the exemplar's handler did, so such an import would break the node at import time.
A package ``__init__`` then keeps only the re-exports that exist; a module that nothing in the
node imports (``__main__``, a test, an unused support module) is left out, and said so. Handlers,
models and ``node.py`` are the node itself: they stay, and what they miss is reported as unresolved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import libcst as cst

from nodeforge.generation.scope import OutsideNames, Unresolved, check_module

_KEPT_FOLDERS = ("handlers/", "models/")
_KEPT_FILES = frozenset({"node.py", "__init__.py"})  # the node's own package file: pruned, never dropped


@dataclass
class Pruned:
    files: dict[str, str]
    notes: list[str] = field(default_factory=list)


def prune_unresolved(
    files: Mapping[str, str], own: frozenset[str], outside: OutsideNames | None = None
) -> Pruned:
    """``files`` with unresolvable re-exports removed and unimported broken modules left out."""
    pruned = Pruned(dict(files))
    changed = True
    while changed:  # leaving a module out can unresolve another's import of it
        changed = False
        for path in sorted(pruned.files):
            if path.endswith(".py") and _tidy(pruned, path, own, outside):
                changed = True
    return pruned


def _tidy(pruned: Pruned, path: str, own: frozenset[str], outside: OutsideNames | None) -> bool:
    files = pruned.files
    unresolved = check_module(path, files[path], files, own, outside)
    if not unresolved:
        return False
    if path.endswith("__init__.py") and all(u.why != "undefined" for u in unresolved):
        narrowed = without_names(files[path], {u.name for u in unresolved})
        if not check_module(path, narrowed, {**files, path: narrowed}, own, outside):
            files[path] = narrowed
            pruned.notes.append(f"{path}: dropped re-exports that do not resolve ({_names(unresolved)})")
            return True
    if _essential(path) or _imported_by_others(path, files):
        return False
    del files[path]
    pruned.notes.append(f"left out {path}: {unresolved[0].describe()}")
    return True


def _names(unresolved: list[Unresolved]) -> str:
    return ", ".join(sorted({u.name for u in unresolved}))


def _essential(path: str) -> bool:
    return path.startswith(_KEPT_FOLDERS) or path in _KEPT_FILES


def _imported_by_others(path: str, files: Mapping[str, str]) -> bool:
    """Whether another module of the node, not a test, names ``path``'s module (``handlers/h.py`` as
    ``handlers.h`` or, from inside its package, as ``.h``). A test of a module left out goes next."""
    dotted = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    stem = dotted.rsplit(".", 1)[-1]
    pattern = re.compile(rf"(?<![A-Za-z0-9_])(?:{re.escape(dotted)}|\.{re.escape(stem)})(?![A-Za-z0-9_])")
    return any(
        other != path and other.endswith(".py") and not other.startswith("tests/") and pattern.search(code)
        for other, code in files.items()
    )


def without_names(code: str, names: set[str]) -> str:
    """``code`` without the ``from ... import`` aliases that import ``names``, and without the names
    they bound in a later ``__all__``; an import left with nothing to import goes."""
    return cst.parse_module(code).visit(_DropNames(names)).code


class _DropNames(cst.CSTTransformer):
    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names
        self.unbound: set[str] = set()  # what the dropped aliases bound (``as`` names included)

    def _drops(self, alias: cst.ImportAlias) -> bool:
        if not (isinstance(alias.name, cst.Name) and alias.name.value in self.names):
            return False
        bound = alias.asname.name if alias.asname is not None else alias.name
        self.unbound.add(bound.value if isinstance(bound, cst.Name) else alias.name.value)
        return True

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom | cst.RemovalSentinel:
        if isinstance(updated_node.names, cst.ImportStar):
            return updated_node
        kept = [a for a in updated_node.names if not self._drops(a)]
        if not kept:
            return cst.RemoveFromParent()
        if len(kept) == len(updated_node.names):
            return updated_node
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(names=kept)

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        # A type test, not ``libcst.matchers``: importing the matchers costs a cold generate ~0.25 s.
        targets = updated_node.targets
        target = targets[0].target if len(targets) == 1 else None
        if not (isinstance(target, cst.Name) and target.value == "__all__"):
            return updated_node
        value = updated_node.value
        if not isinstance(value, cst.List | cst.Tuple):
            return updated_node
        kept = [
            e
            for e in value.elements
            if not (isinstance(e.value, cst.SimpleString) and e.value.evaluated_value in self.unbound)
        ]
        if kept and len(kept) < len(value.elements):
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(value=value.with_changes(elements=kept))


def drop_tests(code: str, names: set[str]) -> str | None:
    """``code`` without the test functions named ``names`` (module level or in a test class; a class
    left without tests goes too); None when no test is left in it."""
    dropped = cst.parse_module(code).visit(_DropTests(names))
    left = [
        node
        for node in dropped.body
        if (isinstance(node, cst.FunctionDef) and node.name.value.startswith("test"))
        or (isinstance(node, cst.ClassDef) and _test_methods(node))
    ]
    return dropped.code if left else None


class _DropTests(cst.CSTTransformer):
    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef | cst.RemovalSentinel:
        return cst.RemoveFromParent() if updated_node.name.value in self.names else updated_node

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef | cst.RemovalSentinel:
        had = _test_methods(original_node)
        if had and not _test_methods(updated_node):
            return cst.RemoveFromParent()
        return updated_node


def _test_methods(node: cst.ClassDef) -> list[str]:
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    return [s.name.value for s in body if isinstance(s, cst.FunctionDef) and s.name.value.startswith("test")]
