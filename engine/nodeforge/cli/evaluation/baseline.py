"""The floor to beat: copy the training node whose contract is most alike, renamed to the new node.

Contract likeness is deliberately simple: the same node type first, then the Jaccard of the words
of the two ``contract.yaml`` texts (identifiers split into words). The copy is renamed with
``nodeforge.naming`` exactly as learned code is: the source node's names become placeholders, the
placeholders the target's names, in file contents and in file paths.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from nodeforge.codeshape import jaccard
from nodeforge.learning.nodes import NodeSource
from nodeforge.naming import NodeNames, generalize_text, instantiate_text, split_identifier

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_SKIPPED = frozenset({"__pycache__", ".pytest_cache"})


def contract_words(node: NodeSource) -> set[str]:
    path = node.root / "contract.yaml"
    text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    return {word for token in _WORD.findall(text) for word in split_identifier(token)}


def ranked(target: NodeSource, training: Sequence[NodeSource]) -> list[NodeSource]:
    """Training nodes, most alike first: same node type, then contract word overlap, then key."""
    words = contract_words(target)
    return sorted(
        training,
        key=lambda n: (n.node_type != target.node_type, -jaccard(words, contract_words(n)), n.key),
    )


def structure_top5_right_type(target: NodeSource, training: Sequence[NodeSource]) -> tuple[int, int]:
    """Of the 5 training nodes with the most alike contracts (type not used), how many share its type."""
    words = contract_words(target)
    top = sorted(training, key=lambda n: (-jaccard(words, contract_words(n)), n.key))[:5]
    return sum(n.node_type == target.node_type for n in top), len(top)


def copy_renamed(source: NodeSource, target: NodeNames, destination: Path) -> None:
    """Copy ``source``'s folder to ``destination``, its names replaced by ``target``'s."""
    for path in sorted(source.root.rglob("*")):
        rel = path.relative_to(source.root)
        if not path.is_file() or _SKIPPED.intersection(rel.parts) or path.suffix == ".pyc":
            continue
        renamed = instantiate_text(generalize_text(rel.as_posix(), source.names), target)
        out = destination / renamed
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            out.write_bytes(path.read_bytes())
            continue
        out.write_text(instantiate_text(generalize_text(text, source.names), target), encoding="utf-8")
