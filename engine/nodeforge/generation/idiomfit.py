"""Compose a learned idiom into an exemplar's handler module.

An operation pattern merged from several nodes (``idioms``: anti-unified, holes filled for the new
node by ``holefill``) is the team's convention for that operation, more proven than any one node's
copy of it. When the nearest node's handler is one of the idiom's instances, the module keeps that
node's structure (its imports, helpers, constructor conventions around the class) and its handler
class becomes the idiom's.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from nodeforge.generation.modmerge import is_import


def compose_idiom(module: str, class_name: str, idiom_class: str, imports: Sequence[str]) -> str | None:
    """``module`` with its class ``class_name`` replaced by ``idiom_class`` (and the idiom's imports
    it lacks); None when the module has no such class or the idiom is not one class of that name."""
    tree = cst.parse_module(module)
    idiom = [s for s in cst.parse_module(idiom_class).body if isinstance(s, cst.ClassDef)]
    if len(idiom) != 1 or idiom[0].name.value != class_name:
        return None
    body = list(tree.body)
    where = [i for i, s in enumerate(body) if isinstance(s, cst.ClassDef) and s.name.value == class_name]
    if not where:
        return None
    body[where[0]] = idiom[0].with_changes(leading_lines=body[where[0]].leading_lines)
    have = {tree.code_for_node(s).strip() for s in body if is_import(s)}
    missing = [cst.parse_statement(line) for line in dict.fromkeys(imports) if line.strip() not in have]
    last_import = max((i for i, s in enumerate(body) if is_import(s)), default=-1)
    body[last_import + 1 : last_import + 1] = missing
    return tree.with_changes(body=body).code
