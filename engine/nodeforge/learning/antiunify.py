"""Anti-unification of code fragments of one shape: what they share, with typed holes where they differ.

The reference is Getafix (Bader, Scott, Pradel, Chandra: "Getafix: Learning to Fix Bugs
Automatically", OOPSLA 2019), whose *hierarchical anti-unification* generalizes two trees into
their most specific common template: equal subtrees are kept, differing ones become holes, and the
same pair of differing subtrees becomes the same hole everywhere it occurs. Here the trees are
libcst trees and the holes are *typed*: only the leaves a team's idiom legitimately varies in may
differ --

* ``name``: an identifier (``InvoiceLedger`` / ``CustomerBook``, an attribute, a keyword),
* ``string``: a string literal (``"billing.created"`` / ``"crm.created"``), or a text part of an
  f-string,
* ``type``: a whole type annotation (``dict[str, Any]`` / ``Mapping[str, object]``),
* ``constant``: a number, ``True`` / ``False`` / ``None``.

Anything else that differs (another statement, another call shape, a different number of
arguments) means the fragments are not one idiom: ``antiunify`` returns ``None``. So does a pair
whose differences are too many to call it one idiom (``MAX_HOLES``, or more distinct holes than
``MAX_HOLE_SHARE`` of the compared leaves). Formatting and comments never make a hole: the template
keeps the first fragment's.

A hole is written into the template as an identifier ``__hole_<kind>_<n>__`` (numbered per kind in
the order the tree is walked), so the template still parses; each hole records the code every
node had there. Instantiating a template with one node's values gives that node's code back.
A template of several parts (a pattern's code and the code of each of its dependencies) shares
one hole table, so one differing name is one hole wherever it occurs.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst

HOLES_KEY = "holes"  # where a pattern keeps its holes: ``Pattern.extra[HOLES_KEY]``, JSON
MAX_HOLES = 12
MAX_HOLE_SHARE = 0.3  # distinct holes per compared leaf (one hole is always allowed)
HOLE = re.compile(r"__hole_(?P<kind>name|string|type|constant)_(?P<n>\d+)__")
_CONSTANT_NAMES = frozenset({"True", "False", "None"})
_TRIVIA = (
    cst.SimpleWhitespace,
    cst.ParenthesizedWhitespace,
    cst.Newline,
    cst.Comment,
    cst.TrailingWhitespace,
    cst.EmptyLine,
)
_STRINGS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)
_NUMBERS = (cst.Integer, cst.Float, cst.Imaginary)
_EMPTY = cst.Module(body=[])


class HoleKind(enum.StrEnum):
    NAME = "name"
    STRING = "string"
    TYPE = "type"
    CONSTANT = "constant"


@dataclass(frozen=True)
class Hole:
    """One hole: its placeholder in the template, its kind, and the code each node had there."""

    name: str
    kind: HoleKind
    values: tuple[tuple[str, str], ...]  # (node, code), sorted by node

    def value_for(self, node: str) -> str | None:
        return next((code for owner, code in self.values if owner == node), None)


@dataclass(frozen=True)
class Template:
    """Code parts with holes, and the nodes that show it (its support is their number)."""

    parts: tuple[str, ...]
    holes: tuple[Hole, ...] = ()
    nodes: tuple[str, ...] = ()

    @classmethod
    def of(cls, parts: Sequence[str], nodes: Sequence[str]) -> Template:
        return cls(tuple(parts), (), tuple(sorted(set(nodes))))

    @property
    def support(self) -> int:
        return len(self.nodes)

    def values_of(self, node: str) -> dict[str, str]:
        """Hole -> the code ``node`` had there (holes it has no value for are left out)."""
        found = {hole.name: hole.value_for(node) for hole in self.holes}
        return {name: code for name, code in found.items() if code is not None}


class _Mismatch(Exception):
    """The fragments differ in more than typed leaves: they are not one idiom."""


def _code(node: cst.CSTNode) -> str:
    if isinstance(node, cst.FormattedStringText):
        return node.value
    if isinstance(node, cst.Annotation):
        return _EMPTY.code_for_node(node.annotation)
    return _EMPTY.code_for_node(node)


@dataclass
class _Side:
    """One input of a pairwise step: its holes by placeholder and the nodes it stands for."""

    holes: dict[str, Hole]
    nodes: tuple[str, ...]

    def key(self, node: cst.CSTNode) -> str:
        """A hole's placeholder, or the code itself: equal keys on both sides mean the same hole."""
        code = _code(node)
        return code if HOLE.fullmatch(code) and code in self.holes else "\0" + code

    def values(self, node: cst.CSTNode) -> tuple[tuple[str, str], ...]:
        code = _code(node)
        hole = self.holes.get(code)
        if hole is not None:
            return hole.values
        return tuple((owner, code) for owner in self.nodes)


@dataclass
class _Unifier:
    left: _Side
    right: _Side
    holes: dict[tuple[str, str, HoleKind], Hole] = field(default_factory=dict)
    counts: dict[HoleKind, int] = field(default_factory=dict)
    leaves: int = 0

    def hole(self, kind: HoleKind, a: cst.CSTNode, b: cst.CSTNode) -> str:
        key = (self.left.key(a), self.right.key(b), kind)
        found = self.holes.get(key)
        if found is None:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            merged = dict(self.left.values(a))
            merged.update(self.right.values(b))
            name = f"__hole_{kind.value}_{self.counts[kind]}__"
            found = Hole(name, kind, tuple(sorted(merged.items())))
            self.holes[key] = found
        return found.name

    def leaf(self, kind: HoleKind, a: cst.CSTNode, b: cst.CSTNode) -> cst.CSTNode:
        self.leaves += 1
        # A position that is a hole on either side stays one: the nodes behind it differ there.
        if _code(a) == _code(b) and not HOLE.search(_code(a)):
            return a
        name = self.hole(kind, a, b)
        if isinstance(a, cst.FormattedStringText):
            return a.with_changes(value=name)
        if isinstance(a, cst.Annotation):
            return a.with_changes(annotation=cst.Name(name))
        if isinstance(a, cst.Name):
            return a.with_changes(value=name)
        return cst.Name(name)

    def walk(self, a: cst.CSTNode, b: cst.CSTNode) -> cst.CSTNode:
        kind = _leaf_kind(a, b)
        if kind is not None:
            return self.leaf(kind, a, b)
        if isinstance(a, _TRIVIA):
            return a
        if type(a) is not type(b):
            raise _Mismatch(f"{type(a).__name__} / {type(b).__name__}")
        changes: dict[str, object] = {}
        for item in dataclasses.fields(a):
            va, vb = getattr(a, item.name), getattr(b, item.name)
            merged = self._field(va, vb)
            if merged is not va:
                changes[item.name] = merged
        return a.with_changes(**changes) if changes else a

    def _field(self, va: object, vb: object) -> object:
        if isinstance(va, cst.CSTNode) and isinstance(vb, cst.CSTNode):
            return self.walk(va, vb)
        if isinstance(va, Sequence) and not isinstance(va, str) and isinstance(vb, Sequence):
            if all(isinstance(x, cst.EmptyLine) for x in (*va, *vb)):
                return va  # blank lines and comment lines are formatting
            if len(va) != len(vb):
                raise _Mismatch(f"{len(va)} / {len(vb)} children")
            merged = [self._field(x, y) for x, y in zip(va, vb, strict=True)]
            return va if all(m is x for m, x in zip(merged, va, strict=True)) else tuple(merged)
        if va != vb and not isinstance(va, cst.MaybeSentinel | cst.CSTNode):
            raise _Mismatch(f"{va!r} / {vb!r}")
        return va


def _leaf_kind(a: cst.CSTNode, b: cst.CSTNode) -> HoleKind | None:
    """The hole kind a position would get if ``a`` and ``b`` differ there, or None if not a leaf."""
    if isinstance(a, cst.Annotation) and isinstance(b, cst.Annotation):
        return HoleKind.TYPE
    pair = (a, b)
    if all((isinstance(x, cst.Name) and x.value in _CONSTANT_NAMES) or isinstance(x, _NUMBERS) for x in pair):
        return HoleKind.CONSTANT
    if all(isinstance(x, _NUMBERS) or _is_hole(x, HoleKind.CONSTANT) for x in pair):
        return HoleKind.CONSTANT
    if all(isinstance(x, cst.FormattedStringText) for x in pair):
        return HoleKind.STRING
    if all(isinstance(x, _STRINGS) or _is_hole(x, HoleKind.STRING) for x in pair):
        if all(isinstance(x, cst.FormattedString) for x in pair) and _same_shape_fstrings(a, b):
            return None  # align their parts: only the differing text becomes a hole
        return HoleKind.STRING
    if all(isinstance(x, cst.Name) for x in pair):
        hole = HOLE.fullmatch(_code(a)) or HOLE.fullmatch(_code(b))
        return HoleKind(hole.group("kind")) if hole else HoleKind.NAME
    return None


def _is_hole(node: cst.CSTNode, kind: HoleKind) -> bool:
    match = HOLE.fullmatch(node.value) if isinstance(node, cst.Name) else None
    return match is not None and match.group("kind") == kind.value


def _same_shape_fstrings(a: cst.CSTNode, b: cst.CSTNode) -> bool:
    assert isinstance(a, cst.FormattedString) and isinstance(b, cst.FormattedString)
    kinds = [type(p) for p in a.parts], [type(p) for p in b.parts]
    return kinds[0] == kinds[1] and a.start == b.start


def _parse(part: str) -> cst.Module:
    return cst.parse_module(part)


def antiunify(
    a: Template, b: Template, *, max_holes: int = MAX_HOLES, max_share: float = MAX_HOLE_SHARE
) -> Template | None:
    """The most specific template of ``a`` and ``b``, or None when they are not one idiom."""
    if len(a.parts) != len(b.parts):
        return None
    unifier = _Unifier(
        _Side({h.name: h for h in a.holes}, a.nodes), _Side({h.name: h for h in b.holes}, b.nodes)
    )
    parts: list[str] = []
    try:
        for left, right in zip(a.parts, b.parts, strict=True):
            if left == right and not (a.holes or b.holes):
                parts.append(left)
                continue
            merged = unifier.walk(_parse(left), _parse(right))
            assert isinstance(merged, cst.Module)
            parts.append(merged.code)
    except (_Mismatch, cst.ParserSyntaxError, RecursionError):
        return None
    holes = tuple(sorted(unifier.holes.values(), key=_hole_order))
    if len(holes) > max_holes or len(holes) > max(1.0, max_share * unifier.leaves):
        return None
    return Template(tuple(parts), holes, tuple(sorted({*a.nodes, *b.nodes})))


def _hole_order(hole: Hole) -> tuple[str, int]:
    match = HOLE.fullmatch(hole.name)
    assert match is not None
    return match.group("kind"), int(match.group("n"))


def instantiate(text: str, values: Mapping[str, str]) -> str:
    """``text`` with every hole placeholder found in ``values`` replaced by its code."""
    return HOLE.sub(lambda match: values.get(match.group(0), match.group(0)), text)


def holes_to_json(holes: Sequence[Hole]) -> str:
    return json.dumps(
        [{"name": h.name, "kind": h.kind.value, "values": [list(v) for v in h.values]} for h in holes],
        sort_keys=True,
    )


def holes_from_json(text: str) -> tuple[Hole, ...]:
    """Inverse of ``holes_to_json``; ``""`` gives no holes. Raises ValueError when malformed."""
    if not text:
        return ()
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("holes: expected a list")
    return tuple(
        Hole(str(h["name"]), HoleKind(h["kind"]), tuple((str(n), str(c)) for n, c in h["values"]))
        for h in data
    )


def merge_hole_values(existing: str, incoming: str) -> str:
    """Hole values of one template learned twice (same id, so same holes): each node's latest value."""
    if not incoming or incoming == existing:
        return existing
    if not existing:
        return incoming
    values: dict[tuple[str, HoleKind], dict[str, str]] = {}
    for hole in (*holes_from_json(existing), *holes_from_json(incoming)):
        values.setdefault((hole.name, hole.kind), {}).update(hole.values)
    return holes_to_json([Hole(name, kind, tuple(sorted(v.items()))) for (name, kind), v in values.items()])
