"""The shape of Python code, for comparing two modules: stdlib ``ast`` node classes and identifiers.

One definition for both sides of the loop: generation chooses among candidate modules with it
(``generation.consensus``), and ``nodeforge eval`` scores regenerated code against the real code
with it (``cli.evaluation.similarity``).
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterable


def ast_types(tree: ast.AST) -> Counter[str]:
    return Counter(type(node).__name__ for node in ast.walk(tree))


def identifiers(tree: ast.AST) -> set[str]:
    """Names, attributes, definitions, arguments and imported names."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


def multiset_jaccard(a: Counter[str], b: Counter[str]) -> float:
    union = sum((a | b).values())
    return sum((a & b).values()) / union if union else 1.0


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    left, right = set(a), set(b)
    return len(left & right) / len(left | right) if left | right else 1.0


def parse_or_none(code: str) -> ast.Module | None:
    """``code``'s syntax tree, or None when this interpreter cannot read it.

    The team's code may use syntax newer than the Python running nodeforge (``type X = ...``, 3.12,
    read under 3.11): libcst reads it, ``ast`` cannot. Checks built on ``ast`` then know nothing of
    that module and claim nothing about it, rather than stopping the whole generation.
    """
    try:
        return ast.parse(code)
    except SyntaxError:
        return None
