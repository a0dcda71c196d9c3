"""A read-only LibCST walk: ``node.visit(visitor)``'s callbacks, in its order, without rebuilding the tree.

LibCST visits a tree by rebuilding it: every node entered is constructed anew from its visited
children and validated, even for a ``CSTVisitor``, which cannot change anything (libcst's own
``visit`` says "TODO: provide traversal where children are not replaced"). Measured on mining
omnimarket, those constructions were about a third of every extractor's and the quality walk's
time. ``walk`` calls the same ``on_visit`` / ``on_leave`` on the same node objects in the same
order, and reads the children in place.

The order is each node class's own: the field names its ``_visit_and_replace_children`` passes to
libcst's ``visit_*`` helpers, read once per class from that method's constants (the names appear
there in the order the method visits them). ``tests/test_cstwalk.py`` checks the sequence of
callbacks against ``node.visit`` over many real modules.

A visitor with attribute hooks (``visit_<Node>_<attribute>``, or its own ``on_visit_attribute``)
is walked by libcst itself: ``walk`` does not make those calls.
"""

from __future__ import annotations

import dataclasses
import re

import libcst as cst

__all__ = ["walk"]

_ATTRIBUTE_HOOK = re.compile(r"^(?:visit|leave)_[A-Z][A-Za-z]*_[a-z]\w*$")
_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}
_PLAIN: dict[type[cst.CSTVisitor], bool] = {}


def walk(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """Visit ``node`` and its descendants with ``visitor`` as ``node.visit(visitor)`` would."""
    if not _is_plain(type(visitor)):
        node.visit(visitor)
        return
    _walk(node, visitor)


def _walk(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    if visitor.on_visit(node):
        for name in _fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                _walk(value, visitor)
            elif isinstance(value, tuple | list):
                for item in value:
                    _walk(item, visitor)
    visitor.on_leave(node)


def _fields(cls: type[cst.CSTNode]) -> tuple[str, ...]:
    """The fields ``cls._visit_and_replace_children`` visits, in the order it visits them."""
    found = _FIELDS.get(cls)
    if found is None:
        names = {f.name for f in dataclasses.fields(cls)}
        constants = cls._visit_and_replace_children.__code__.co_consts
        found = tuple(dict.fromkeys(c for c in constants if isinstance(c, str) and c in names))
        _FIELDS[cls] = found
    return found


def _is_plain(cls: type[cst.CSTVisitor]) -> bool:
    """Whether ``cls`` has no attribute hooks of its own, so skipping their calls changes nothing.

    ``CSTVisitor`` itself defines every ``visit_<Node>_<attribute>`` as a no-op: only overrides count.
    """
    plain = _PLAIN.get(cls)
    if plain is None:
        plain = (
            cls.on_visit_attribute is cst.CSTVisitor.on_visit_attribute
            and cls.on_leave_attribute is cst.CSTVisitor.on_leave_attribute
            and not any(
                _ATTRIBUTE_HOOK.match(name) and getattr(cls, name) is not getattr(cst.CSTVisitor, name, None)
                for name in dir(cls)
            )
        )
        _PLAIN[cls] = plain
    return plain
