"""A node's own vocabulary: the entity its code actually names, not the one its folder suggests.

A folder ``node_invoice_store_effect`` suggests the entity ``invoice_store``, but its code says
``Invoice``, ``InvoiceError`` and ``"invoice.create.failed"``: the entity is ``invoice`` and
``store`` is a word of the folder only. Generalizing with the folder's entity would leave
``Invoice`` in every pattern, so the same idiom in four such nodes would be four patterns, and a
generated node would import another node's ``InvoiceError``.

The vocabulary is read off the code's tokens (``tokenize``: identifiers, string literals,
docstrings, f-string text; comments and keywords are left out). Every contiguous run of the
folder's entity words is a candidate; each is counted where it appears as whole words of an
identifier or of a string. The full run is kept unless a shorter run is clearly the one the code
uses (at least ``MIN_MENTIONS`` mentions, and the full run under ``KEEP_FULL_SHARE`` of them), and
only folder role words (``store``, ``registry``, ``projection``...) at either end are ever dropped:
a folder named by a phrase (``node_adr_decision_extraction_llm_effect``) keeps all its words even
when its code says ``extraction`` most, because no shorter run is *the* entity there. The node's
own package and node class names (``node_invoice_store_effect``, ``NodeInvoiceStoreEffect``) repeat
the folder and are not counted.

The same scoring reads a new node's contract (handler, model and module names, descriptions), so
that ``node_refund_store_effect`` whose contract routes to ``HandlerRefundCreate`` is generated
with ``RefundError`` and ``ModelRefundInput``, in ``node_refund_store_effect/``.
"""

from __future__ import annotations

import functools
import io
import keyword
import re
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from nodeforge.generation.contract import Contract
from nodeforge.learning.nodes import NodeSource
from nodeforge.model import NodeType
from nodeforge.naming import NodeNames, entity_words, split_identifier

# Words a team puts in a node's folder name to say what kind of node it is, rarely in its code.
ROLE_WORDS = frozenset(
    {
        "store",
        "storage",
        "registry",
        "projection",
        "projector",
        "service",
        "handler",
        "handlers",
        "adapter",
        "gateway",
        "repository",
        "repo",
        "writer",
        "reader",
        "manager",
        "processor",
        "builder",
        "runner",
        "emitter",
        "publisher",
        "consumer",
        "producer",
        "loader",
        "worker",
        "sink",
        "source",
        "client",
        "persistence",
        "db",
        "api",
    }
)
MIN_MENTIONS = 2
KEEP_FULL_SHARE = 0.5
_STRING_PREFIX = re.compile(r"^[rbuRBUfF]*")
_FSTRING_MIDDLE = getattr(tokenize, "FSTRING_MIDDLE", None)  # Python 3.12+


@dataclass(frozen=True)
class VocabularyNames(NodeNames):
    """``NodeNames`` whose entity comes from the code; the folder keeps the directory's words.

    Every code spelling (``forms``, ``handler_class``, ``input_model``...) uses the entity found in
    the code; ``node_dir`` and ``node_class`` keep the folder's words, as the team named them.
    """

    folder: tuple[str, ...] = ()

    @property
    def folder_words(self) -> tuple[str, ...]:
        return self.folder or self.words

    @property
    def dropped(self) -> tuple[str, ...]:
        """The folder's words that are not part of the entity."""
        return tuple(w for w in self.folder_words if w not in self.words)

    @property
    def node_dir(self) -> str:
        return f"node_{'_'.join(self.folder_words)}_{self.node_type.value}"

    @property
    def node_class(self) -> str:
        folder = "".join(w.capitalize() for w in self.folder_words)
        return f"Node{folder}{self.node_type.value.capitalize()}"


def phrases_of_code(text: str) -> list[tuple[str, ...]]:
    """The word runs of ``text``'s identifiers and string parts; ``[]`` if it does not tokenize."""
    found: list[tuple[str, ...]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.NAME and not keyword.iskeyword(token.string):
                found.append(_words(token.string))
            elif token.type == tokenize.STRING:
                found.extend(_phrases_of_prose(_STRING_PREFIX.sub("", token.string)))
            elif _FSTRING_MIDDLE is not None and token.type == _FSTRING_MIDDLE:
                found.extend(_phrases_of_prose(token.string))
    except (tokenize.TokenError, SyntaxError):
        return found  # what was read before the bad token still counts
    return [p for p in found if p]


@functools.lru_cache(maxsize=1 << 16)
def _words(text: str) -> tuple[str, ...]:
    """``split_identifier``, remembered: a repository repeats the same few thousand names."""
    return tuple(split_identifier(text))


def _phrases_of_prose(text: str) -> list[tuple[str, ...]]:
    """A string's words, one run per whitespace-separated chunk (``invoice.create.failed`` is one)."""
    return [_words(chunk) for chunk in text.split()]


def _is_self_reference(phrase: Sequence[str], folder: Sequence[str], node_type: NodeType) -> bool:
    """``node_invoice_store_effect`` / ``NodeInvoiceStoreEffect``: the folder's name, not vocabulary."""
    return list(phrase) == ["node", *folder, node_type.value]


def mentions(phrases: Iterable[Sequence[str]], run: Sequence[str]) -> int:
    """How often ``run`` occurs as consecutive whole words in ``phrases``."""
    size, target = len(run), tuple(run)
    return sum(
        1
        for phrase in phrases
        for start in range(len(phrase) - size + 1)
        if tuple(phrase[start : start + size]) == target
    )


def choose_entity(folder: Sequence[str], phrases: Sequence[Sequence[str]]) -> tuple[str, ...]:
    """The run of ``folder``'s words the code names its entity with (module docstring)."""
    words = tuple(folder)
    full = mentions(phrases, words)
    best: tuple[int, int, tuple[str, ...]] | None = None  # (mentions, length, run)
    for start in range(len(words)):
        for end in range(start + 1, len(words) + 1):
            run = words[start:end]
            if run == words:
                continue
            if not all(w in ROLE_WORDS for w in words[:start] + words[end:]):
                continue
            count = mentions(phrases, run)
            if best is None or (count, len(run)) > best[:2]:
                best = (count, len(run), run)
    if best is None or best[0] < MIN_MENTIONS or full >= KEEP_FULL_SHARE * best[0]:
        return words
    return best[2]


def _names(folder: tuple[str, ...], node_type: NodeType, phrases: Sequence[Sequence[str]]) -> NodeNames:
    entity = choose_entity(folder, phrases)
    if entity == folder:
        return NodeNames(folder, node_type)
    return VocabularyNames(entity, node_type, folder)


def node_names(node: NodeSource) -> NodeNames:
    """The names of ``node`` as its code spells them (unchanged when the code agrees with the folder)."""
    folder = node.names.words
    if len(folder) < 2:
        return node.names
    phrases: list[tuple[str, ...]] = []
    for path in node.files:
        if path.suffix != ".py":
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # mining reports the file; an unreadable file says nothing about names
        phrases.extend(p for p in phrases_of_code(text) if not _is_self_reference(p, folder, node.node_type))
    return _names(folder, node.node_type, phrases)


def with_code_names(node: NodeSource) -> NodeSource:
    """``node`` with the names its code uses, for generalization."""
    names = node_names(node)
    return node if names == node.names else replace(node, names=names)


def contract_phrases(contract: Contract) -> list[tuple[str, ...]]:
    """The words a contract names things with: handlers, their modules, models, descriptions."""
    texts: list[str] = [contract.description]
    for op in contract.operations:
        texts += [op.handler_name or "", (op.handler_module or "").rsplit(".", 1)[-1]]
    for ref in (contract.input_model, contract.output_model):
        if ref is not None:
            texts += [ref.name, (ref.module or "").rsplit(".", 1)[-1]]
    texts += [c.description for c in contract.capabilities]
    phrases = [p for text in texts for p in _phrases_of_prose(text)]
    folder = entity_words(contract.name)
    return [p for p in phrases if not _is_self_reference(p, folder, contract.node_type)]


def contract_names(contract: Contract) -> NodeNames:
    """The new node's names as its contract spells them (see the module docstring)."""
    folder = entity_words(contract.name)
    if len(folder) < 2:
        return contract.names
    return _names(folder, contract.node_type, contract_phrases(contract))
