"""How close a regenerated node is to the real one: handler and node.py code, and the file layout.

Code similarity is computed on the stdlib ``ast``: the multiset Jaccard of node class names (the
shape of the code) and the Jaccard of identifiers (names, attributes, definitions, arguments,
imported names). A file that is missing on either side, or does not parse, scores 0; a file the
real node does not have (many nodes have no ``node.py``) is not scored at all (``None``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from nodeforge.codeshape import ast_types, identifiers, jaccard, multiset_jaccard

_IGNORED_PARTS = frozenset({"__pycache__", ".pytest_cache"})


@dataclass(frozen=True)
class Similarity:
    handler_ast: float | None
    handler_identifiers: float | None
    node_ast: float | None
    node_identifiers: float | None
    layout_f1: float


def _parse(path: Path | None) -> ast.AST | None:
    if path is None or not path.is_file():
        return None
    try:
        return ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return None


def code_similarity(generated: Path | None, real: Path | None) -> tuple[float | None, float | None]:
    """(AST node-type overlap, identifier Jaccard); ``None`` when the real node has no such file."""
    real_tree = _parse(real)
    if real_tree is None:
        return None, None
    generated_tree = _parse(generated)
    if generated_tree is None:
        return 0.0, 0.0
    return (
        multiset_jaccard(ast_types(generated_tree), ast_types(real_tree)),
        jaccard(identifiers(generated_tree), identifiers(real_tree)),
    )


def largest_handler(node_dir: Path) -> Path | None:
    """The biggest module under ``handlers/`` (its ``__init__`` aside): the node's main handler."""
    handlers = [
        p
        for p in (node_dir / "handlers").rglob("*.py")
        if p.name != "__init__.py" and not _IGNORED_PARTS.intersection(p.parts)
    ]
    return max(handlers, key=lambda p: (p.stat().st_size, p.name)) if handlers else None


def layout(node_dir: Path) -> set[str]:
    return {
        p.relative_to(node_dir).as_posix()
        for p in node_dir.rglob("*")
        if p.is_file() and not _IGNORED_PARTS.intersection(p.parts) and p.suffix != ".pyc"
    }


def layout_f1(generated: set[str], real: set[str]) -> float:
    common = len(generated & real)
    if not common:
        return 0.0
    precision, recall = common / len(generated), common / len(real)
    return 2 * precision * recall / (precision + recall)


def compare(generated: Path, real: Path) -> Similarity:
    handler = code_similarity(largest_handler(generated), largest_handler(real))
    node = code_similarity(generated / "node.py", real / "node.py")
    return Similarity(handler[0], handler[1], node[0], node[1], layout_f1(layout(generated), layout(real)))
