"""A node's names in every case, and the placeholders that stand for them in learned code.

Generalizing replaces a source node's own names with placeholders; instantiating replaces the
placeholders with a new node's names. Placeholders are valid inside identifiers
(``Model__Entity__Input``), so generalized code still parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nodeforge.model import NodeType

# A node's model folder. A contract may name it as a model's module (`...node_x.models`): it is a
# package of the node, not a module named for the model, so it is never renamed like one.
MODEL_PACKAGES = frozenset({"models", "model"})

# Placeholder -> how it is derived from the entity's words.
ENTITY_PASCAL = "__Entity__"
ENTITY_SNAKE = "__entity__"
ENTITY_UPPER = "__ENTITY__"
ENTITY_CAMEL = "__eNTITY__"
ENTITY_KEBAB = "__entity-kebab__"
ENTITY_WORDS = "__entity words__"
ENTITY_SENTENCE = "__Entity words__"
PLACEHOLDERS = (
    ENTITY_PASCAL,
    ENTITY_SNAKE,
    ENTITY_UPPER,
    ENTITY_CAMEL,
    ENTITY_KEBAB,
    ENTITY_WORDS,
    ENTITY_SENTENCE,
)

_NODE_DIR = re.compile(r"^node_(?P<entity>[a-z0-9_]+?)_(?P<type>effect|compute|reducer|orchestrator)$")
_CAMEL_SPLIT = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|[A-Z]+|\d+")


# ``_CAMEL_SPLIT`` over the whole text at once, as over each run of [A-Za-z0-9] in turn: no
# alternative matches another character, and with ASCII classes the look-ahead at a run's end
# only decides between two alternatives that take the same word (``tests/test_naming.py``
# compares the two forms). Learning splits whole modules: one pass is twice as fast.
_WORDS = re.compile(_CAMEL_SPLIT.pattern, re.ASCII)


def split_identifier(name: str) -> list[str]:
    """``HandlerUserCreate`` -> ``[handler, user, create]``; ``get_user_by_id`` -> ``[get, user, by, id]``."""
    return [word.lower() for word in _WORDS.findall(name)]


def entity_words(raw: str) -> tuple[str, ...]:
    """The entity's words from a node name, a directory name or a class name.

    ``node_user_profile_effect`` / ``user_profile`` / ``UserProfile`` / ``user-profile``
    all give ``("user", "profile")``.
    """
    text = raw.strip()
    match = _NODE_DIR.match(text.lower())
    if match:
        text = match.group("entity")
    words = split_identifier(text)
    if words and words[0] == "node" and len(words) > 1:
        words = words[1:]
    if len(words) > 1 and words[-1] in {t.value for t in NodeType}:
        words = words[:-1]
    if not words:
        raise ValueError(f"no entity name in {raw!r}")
    return tuple(words)


@dataclass(frozen=True)
class NodeNames:
    """All the names of one node, derived from its entity words and node type."""

    words: tuple[str, ...]
    node_type: NodeType

    @classmethod
    def of(cls, raw: str, node_type: NodeType) -> NodeNames:
        return cls(entity_words(raw), node_type)

    @property
    def snake(self) -> str:
        return "_".join(self.words)

    @property
    def pascal(self) -> str:
        return "".join(w.capitalize() for w in self.words)

    @property
    def camel(self) -> str:
        return self.words[0] + "".join(w.capitalize() for w in self.words[1:])

    @property
    def upper(self) -> str:
        return self.snake.upper()

    @property
    def kebab(self) -> str:
        return "-".join(self.words)

    @property
    def spaced(self) -> str:
        return " ".join(self.words)

    @property
    def sentence(self) -> str:
        return self.spaced.capitalize()

    @property
    def node_dir(self) -> str:
        return f"node_{self.snake}_{self.node_type.value}"

    @property
    def node_class(self) -> str:
        return f"Node{self.pascal}{self.node_type.value.capitalize()}"

    @property
    def input_model(self) -> str:
        return f"Model{self.pascal}Input"

    @property
    def output_model(self) -> str:
        return f"Model{self.pascal}Output"

    def handler_class(self, operation: str) -> str:
        return f"Handler{self.pascal}{pascal_case(operation)}"

    def handler_module(self, operation: str) -> str:
        return f"handler_{self.snake}_{snake_case(operation)}"

    def forms(self) -> dict[str, str]:
        """Placeholder -> this node's spelling. Single-word entities share spellings; that is fine."""
        return {
            ENTITY_PASCAL: self.pascal,
            ENTITY_SNAKE: self.snake,
            ENTITY_UPPER: self.upper,
            ENTITY_CAMEL: self.camel,
            ENTITY_KEBAB: self.kebab,
            ENTITY_WORDS: self.spaced,
            ENTITY_SENTENCE: self.sentence,
        }


def pascal_case(text: str) -> str:
    return "".join(w.capitalize() for w in split_identifier(text))


def snake_case(text: str) -> str:
    return "_".join(split_identifier(text))


def _boundary_pattern(form: str) -> re.Pattern[str]:
    """Match ``form`` where it is a whole word of an identifier or of prose.

    ``user`` matches in ``get_user``, ``user-id`` and ``USER`` (when ``form`` is upper) but not in
    ``username``; ``User`` matches in ``HandlerUserCreate`` but not in ``Username``.
    """
    escaped = re.escape(form)
    if form[:1].isupper() and not form.isupper():
        # Pascal or sentence case: a lower-case letter before it still ends the previous word
        # (HandlerUserCreate); the next character must start a new word.
        return re.compile(rf"(?<![A-Z]){escaped}(?![a-z])")
    if form.isupper():
        return re.compile(rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])")
    return re.compile(rf"(?<![a-z0-9]){escaped}(?![a-z0-9])")


def generalize_text(text: str, names: NodeNames) -> str:
    """Replace this node's names in ``text`` with placeholders (longest spelling first)."""
    for form, pattern, placeholder in _spelling_patterns(names):
        if form in text:  # the patterns are case-sensitive: no spelling in the text, no match
            text = pattern.sub(placeholder, text)
    return text


@lru_cache(maxsize=256)
def _spelling_patterns(names: NodeNames) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(spelling, its whole-word pattern, placeholder), longest spelling first, each spelling once."""
    pairs = sorted(names.forms().items(), key=lambda item: len(item[1]), reverse=True)
    seen: set[str] = set()
    found = []
    for placeholder, form in pairs:
        if form in seen or not form:
            continue
        seen.add(form)
        found.append((form, _boundary_pattern(form), placeholder))
    return tuple(found)


def instantiate_text(text: str, names: NodeNames) -> str:
    """Replace placeholders in ``text`` with this node's names."""
    for placeholder, form in names.forms().items():
        text = text.replace(placeholder, form)
    return text
