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


def handler_moves(contract: Contract, names: NodeNames) -> dict[str, str]:
    """Handler modules the contract places outside ``handlers/``, as node-relative paths:
    ``handlers/adapter_fs.py`` -> ``adapters/adapter_fs.py`` for ``pkg.nodes.node_x.adapters.adapter_fs``,
    or ``handler_x.py`` for a handler module at the node's root. Generation writes every handler
    under ``handlers/``; these say where the contract wants them instead."""
    folder = node_folder(contract, names)
    declared = [op.handler_module for op in contract.operations] + [h.module for h in contract.handlers]
    moves: dict[str, str] = {}
    for dotted in declared:
        parts = dotted.split(".") if dotted else []
        if folder not in parts[:-1]:
            continue  # outside the node, or a bare name: handlers/ it is
        inner = parts[parts.index(folder) + 1 :]
        # One level deep at most, as handlers/ is: relative imports keep their meaning (``_rebase``).
        if len(inner) <= 2 and inner[:-1] != ["handlers"] and all(p.isidentifier() for p in inner):
            moves[f"handlers/{inner[-1]}.py"] = "/".join(inner) + ".py"
    return moves


def relocate(files: Mapping[K, str], moves: Mapping[str, str], paths: Mapping[K, str]) -> dict[K, str]:
    """``files`` with every reference to a moved handler module pointed at its new place.

    ``paths`` gives each key's node-relative path (the key itself for a node's files): a module
    inside ``handlers/`` imports a sibling relatively (``from .adapter_fs import``), which must
    climb out once the sibling has moved.
    """
    if not moves:
        return dict(files)
    dotted = {_dotted(old): _dotted(new) for old, new in moves.items()}
    anywhere = re.compile(rf"(?<![A-Za-z0-9_]){'|'.join(map(re.escape, dotted))}(?![A-Za-z0-9_])")
    siblings = {old.split(".", 1)[1]: new for old, new in dotted.items()}
    in_package = re.compile(rf"(?<![A-Za-z0-9_.])\.({'|'.join(map(re.escape, siblings))})(?![A-Za-z0-9_])")
    moved = {}
    for key, text in files.items():
        pointed = anywhere.sub(lambda m: dotted[m.group(0)], text)
        if paths[key].startswith("handlers/"):
            pointed = in_package.sub(lambda m: f"..{siblings[m.group(1)]}", pointed)
        moved[key] = _rebase(pointed) if moves.get(paths[key], "/").count("/") == 0 else pointed
    return moved


def relocate_node(files: Mapping[str, str], moves: Mapping[str, str]) -> dict[str, str]:
    """A node's files with its handler modules moved (``handler_moves``) and references updated;
    a new package folder gets its ``__init__.py``."""
    if not moves:
        return dict(files)
    pointed = relocate(files, moves, {rel: rel for rel in files})
    placed = {moves.get(rel, rel): text for rel, text in pointed.items()}
    for new in moves.values():
        package = new.rpartition("/")[0]
        if package and f"{package}/__init__.py" not in placed:
            placed[f"{package}/__init__.py"] = f'"""{package.replace("/", ".")} of the node."""\n'
    return placed


def _rebase(text: str) -> str:
    """A handlers/ module moved to the node's root: ``..x`` (the node) is now ``.x``, and ``.x``
    (a sibling in handlers/) is ``.handlers.x``."""
    text = re.sub(r"(?m)^(\s*from )\.(?=[A-Za-z_])", r"\1.handlers.", text)
    return re.sub(r"(?m)^(\s*from )\.\.(?=[A-Za-z_ ])", r"\1.", text)


def _dotted(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")
