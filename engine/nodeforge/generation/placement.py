"""Where a generated node lives: the package folder its own contract names.

A contract that gives module paths for its handlers or models (``pkg.nodes.node_x.handlers.h``)
says which folder the node is: ``node_x``, whatever the node type suffix convention of the
derived name (``node_<entity>_<type>``) would say. The node is written there, and the code taken
from an exemplar, which spells its own package the way its folder was named, is pointed at it.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Hashable, Mapping
from typing import TypeVar

from nodeforge.generation.contract import Contract
from nodeforge.model import NodeType
from nodeforge.naming import NodeNames

K = TypeVar("K", bound=Hashable)
# The package parts that sit directly under a node folder in a module path.
_NODE_PARTS = frozenset({"handlers", "models", "registry", "node", "tests"})


def _declared_modules(contract: Contract) -> list[str]:
    modules = [h.module for h in contract.handlers]
    modules += [op.handler_module for op in contract.operations]
    modules += [m.module for m in (contract.input_model, contract.output_model) if m is not None]
    return [m for m in modules if m]


def node_folder(contract: Contract, names: NodeNames) -> str:
    """The folder the contract's own module paths place the node in; else the derived name."""
    found: Counter[str] = Counter()
    for module in _declared_modules(contract):
        parts = module.split(".")
        for before, after in itertools.pairwise(parts):
            if after in _NODE_PARTS and before.isidentifier() and before not in _NODE_PARTS:
                found[before] += 1
                break
    # Only a folder that carries a word of the node's own name: a shared package's says nothing.
    words = set(contract.names.words) | set(names.words)
    own = [(count, folder) for folder, count in found.items() if words & set(folder.split("_"))]
    return max(own)[1] if own else names.node_dir


def _own_spellings(names: NodeNames) -> list[str]:
    """How code from an exemplar may spell the node's package once instantiated: with or without
    the node type suffix, as the exemplar's folder was named."""
    bare = f"node_{names.snake}"
    return [f"{bare}_{kind.value}" for kind in NodeType] + [bare]


def point_at_folder(files: Mapping[K, str], names: NodeNames, folder: str) -> dict[K, str]:
    """``files`` with every spelling of the node's own package replaced by ``folder``."""
    others = [s for s in _own_spellings(names) if s != folder]
    if not others:
        return dict(files)
    pattern = re.compile(rf"(?<![A-Za-z0-9_])(?:{'|'.join(map(re.escape, others))})(?![A-Za-z0-9_])")
    return {rel: pattern.sub(folder, text) for rel, text in files.items()}


def own_packages(contract: Contract, *names: NodeNames) -> frozenset[str]:
    """Every folder name under which generated code may import the node itself, for the scope check."""
    spellings = {spelling for each in (contract.names, *names) for spelling in _own_spellings(each)}
    return frozenset({*spellings, node_folder(contract, contract.names)})
