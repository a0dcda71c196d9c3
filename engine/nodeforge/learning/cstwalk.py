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
from collections.abc import Callable

import libcst as cst

__all__ = ["walk"]

_ATTRIBUTE_HOOK = re.compile(r"^(?:visit|leave)_[A-Z][A-Za-z]*_[a-z]\w*$")
_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}
_PLAIN: dict[type[cst.CSTVisitor], bool] = {}

_Hook = Callable[[cst.CSTVisitor, cst.CSTNode], object]
# Per node class: its own ``visit_<Node>`` and ``leave_<Node>`` (None where the visitor keeps
# ``CSTVisitor``'s no-op), whether it is entered (not pruned), and its fields in visit order.
_Entry = tuple[_Hook | None, _Hook | None, bool, tuple[str, ...]]
_Prune = tuple[type[cst.CSTNode], ...]
_TABLES: dict[tuple[type[cst.CSTVisitor], _Prune], dict[type[cst.CSTNode], _Entry]] = {}


def walk(node: cst.CSTNode, visitor: cst.CSTVisitor, *, prune: _Prune = ()) -> None:
    """Visit ``node`` and its descendants with ``visitor`` as ``node.visit(visitor)`` would.

    ``prune``: node classes whose ``visit_<Node>`` is not called and whose children are not walked
    (their ``leave_<Node>`` still is), as a visitor whose ``on_visit`` returned False for them would
    have it. Only for a visitor that keeps ``CSTVisitor``'s ``on_visit`` and ``on_leave``.
    """
    cls = type(visitor)
    by_name = cls.on_visit is cst.CSTVisitor.on_visit and cls.on_leave is cst.CSTVisitor.on_leave
    if prune and not (by_name and _is_plain(cls)):
        raise TypeError(
            f"{cls.__name__}: prune needs CSTVisitor's own on_visit, on_leave and no attribute hooks"
        )
    if not _is_plain(cls):
        node.visit(visitor)
    elif by_name:
        # ``CSTVisitor.on_visit`` looks up ``visit_<Node>`` by name for every node (and finds the
        # inherited no-op for most): the table looks each class up once.
        _walk_table(node, visitor, _TABLES.setdefault((cls, prune), {}), prune)
    else:
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


def _walk_table(
    node: cst.CSTNode,
    visitor: cst.CSTVisitor,
    table: dict[type[cst.CSTNode], _Entry],
    prune: _Prune,
) -> None:
    kind = type(node)
    entry = table.get(kind)
    if entry is None:
        entry = table[kind] = _entry(type(visitor), kind, prune)
    visit, leave, enter, fields = entry
    # ``CSTVisitor.on_visit``: the children are walked unless the hook returned False.
    if enter and (visit is None or visit(visitor, node) is not False):
        for name in fields:
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                _walk_table(value, visitor, table, prune)
            elif isinstance(value, tuple | list):
                for item in value:
                    _walk_table(item, visitor, table, prune)
    if leave is not None:
        leave(visitor, node)


def _entry(
    cls: type[cst.CSTVisitor], kind: type[cst.CSTNode], prune: tuple[type[cst.CSTNode], ...]
) -> _Entry:
    def own(name: str) -> _Hook | None:
        hook = getattr(cls, name, None)
        return None if hook is None or hook is getattr(cst.CSTVisitor, name, None) else hook

    enter = not issubclass(kind, prune)
    visit = own(f"visit_{kind.__name__}") if enter else None
    return visit, own(f"leave_{kind.__name__}"), enter, _fields(kind)


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
