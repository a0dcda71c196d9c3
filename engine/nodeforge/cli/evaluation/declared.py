"""Whether a candidate has every handler its contract declares, where the contract says it lives.

A declared handler counts as generated when a module of the candidate defines it (a class, or a
function for a bare handler key) or imports it (a package re-exporting it) at top level; when
the contract gives its module inside the node (``pkg.nodes.<node folder>.handlers.handler_x``),
it must be that file (``handlers/handler_x.py``).
A handler whose module lies outside the node (a shared package) is not the node's to generate and
is not counted.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from nodeforge.generation.contract import Contract


@dataclass(frozen=True)
class Declared:
    generated: int
    declared: int
    missing: tuple[str, ...]  # the handlers not found, as the contract names them

    @property
    def complete(self) -> bool:
        return self.generated == self.declared


def _definitions(candidate: Path) -> dict[str, set[str]]:
    """Node-relative module path -> the names it defines at top level (a file that fails to parse: none)."""
    found: dict[str, set[str]] = {}
    for path in sorted(candidate.rglob("*.py")):
        rel = path.relative_to(candidate).as_posix()
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            found[rel] = set()
            continue
        found[rel] = {name for node in tree.body for name in _bound(node)}
    return found


def _bound(statement: ast.stmt) -> list[str]:
    """Names a top-level statement defines, or imports (a package re-exporting its node class)."""
    if isinstance(statement, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
        return [statement.name]
    if isinstance(statement, ast.ImportFrom):
        return [alias.asname or alias.name for alias in statement.names]
    return []


def declared_file(module: str | None, node_folder: str) -> str | None:
    """The node-relative file a declared module names, or None when it is not inside the node."""
    if not module:
        return None
    parts = module.split(".")
    if node_folder not in parts:
        return None
    inside = parts[parts.index(node_folder) + 1 :]
    return "/".join(inside) + ".py" if inside else "__init__.py"


def declared_handlers(contract: Contract, node_folder: str, candidate: Path) -> Declared | None:
    """The contract's handlers found in ``candidate``; None when it declares none the node owns."""
    definitions = _definitions(candidate)
    generated = declared = 0
    missing: list[str] = []
    for handler in dict.fromkeys((h.name, h.module) for h in contract.handlers):
        name, module = handler
        where = declared_file(module, node_folder)
        if module and where is None and "." in module:
            continue  # lives in a shared package
        declared += 1
        files = [where] if where is not None else list(definitions)
        if any(name in definitions.get(rel, set()) for rel in files):
            generated += 1
        else:
            missing.append(f"{name} ({where})" if where else name)
    return Declared(generated, declared, tuple(missing)) if declared else None
