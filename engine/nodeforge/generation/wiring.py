"""The new node's own test of its contract: every handler and model ``contract.yaml`` names imports.

The runtime finds a node's handlers and models through its contract; a node whose modules do not
define them where the contract says does not run, whatever its unit tests say. The other tests of a
node built from learned code are borrowed from the nodes it was learned from, and self-verification
drops those that test another node's behaviour: without this one such a node would be left with no
test at all. It is rendered from the contract (``test_contract_wiring.py.j2``), never borrowed, never
dropped: a failure says the node is not what its contract promises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from jinja2 import Environment

from nodeforge.generation.contract import Contract, ModelRef
from nodeforge.generation.exemplar import shared_module, targets
from nodeforge.generation.modmerge import merge_modules
from nodeforge.generation.templating import render_limited

WIRING_TEST = "tests/test_contract_wiring.py"


@dataclass(frozen=True)
class Reference:
    """A class the contract names: its module, relative to the node's ``tests`` package
    (``..handlers.handler_x``) or absolute for a model the contract keeps in a shared package."""

    module: str
    name: str


def _relative(rel: str) -> str:
    return ".." + rel.removesuffix(".py").replace("/", ".")


def _defining(files: Mapping[str, str], name: str) -> str | None:
    """The node module that defines class ``name`` (models first), if any."""
    pattern = re.compile(rf"^class {re.escape(name)}\b", re.MULTILINE)
    found = sorted(
        (not rel.startswith("models/"), rel)
        for rel, text in files.items()
        if rel.endswith(".py") and not rel.startswith("tests/") and pattern.search(text)
    )
    return found[0][1] if found else None


def _model(ref: ModelRef | None, files: Mapping[str, str], folder: str) -> Reference | None:
    """Where the contract says the model is: a shared package, a module path inside the node, else
    (a bare module or none) the node module that defines it."""
    if ref is None or not ref.name.isidentifier():
        return None
    shared = shared_module(ref, folder)
    if shared:
        return Reference(shared, ref.name)
    inner = _inner_module(ref, folder)
    if inner:
        return Reference(".." + ".".join(inner), ref.name)
    rel = _defining(files, ref.name)
    if rel is None and ref.module:  # the test then fails, and says which class is missing where
        rel = f"models/{ref.module.rsplit('.', 1)[-1]}.py"
    return Reference(_relative(rel), ref.name) if rel else None


def _inner_module(ref: ModelRef, folder: str) -> list[str]:
    """The parts of the model's module below the node folder; [] when the contract does not place
    it inside the node."""
    parts = (ref.module or "").split(".")
    return parts[parts.index(folder) + 1 :] if folder in parts[:-1] else []


def _import_from(rel: str, source: str, name: str) -> str:
    """``from <source, relative to rel's package> import name``: one dot is rel's package, each
    further dot one package up, so ``len(package) + 1`` dots reach the node's folder."""
    package = rel.split("/")[:-1]
    return f"from {'.' * (len(package) + 1)}{source.removesuffix('.py').replace('/', '.')} import {name}\n"


def _declared_places(contract: Contract, folder: str) -> list[tuple[list[str], str]]:
    """(module path below the node folder, class) for each model the contract places in a module of
    the node, and each handler it places in the node's package itself (``handler.module: ...node_x``:
    the package ``__init__``, path [])."""
    places = [
        (inner, ref.name)
        for ref in (contract.input_model, contract.output_model)
        if ref is not None and (inner := _inner_module(ref, folder))
    ]
    places += [
        ([], handler.name)
        for handler in contract.handlers
        if handler.module and handler.module.rsplit(".", 1)[-1] == folder and handler.name.isidentifier()
    ]
    return places


def with_declared_exports(contract: Contract, files: Mapping[str, str], folder: str) -> dict[str, str]:
    """``files`` where each model or handler the contract says lives in a module of the node is
    importable from it: a contract naming the package (``node_x.models``, ``node_x``) or another
    module (the handler's) while generation wrote the class elsewhere gets a re-export there."""
    exported = dict(files)
    for inner, name in _declared_places(contract, folder):
        path = "/".join(inner)
        candidates = (f"{path}.py", f"{path}/__init__.py") if path else ("__init__.py",)
        rel = next((r for r in candidates if r in exported), None)
        source = _defining(exported, name)
        if rel is None or source is None or source == rel:
            continue  # nothing to point at, or already there (a missing one fails the wiring test)
        if re.search(rf"\b{re.escape(name)}\b", exported[rel]) is None:
            exported[rel] = merge_modules(exported[rel], _import_from(rel, source, name))
    return exported


def declared_references(
    contract: Contract, files: Mapping[str, str], folder: str, moves: Mapping[str, str]
) -> list[Reference]:
    """The handlers (where ``moves`` put those the contract keeps outside ``handlers/``) and the
    input and output models the contract names, each once, in the contract's order."""
    found = [
        Reference(_relative(moves.get(f"handlers/{t.module}.py", f"handlers/{t.module}.py")), t.class_name)
        for t in targets(contract)
    ]
    models = (_model(ref, files, folder) for ref in (contract.input_model, contract.output_model))
    found += [model for model in models if model is not None]
    return list(dict.fromkeys(found))


def wiring_test(
    contract: Contract,
    files: Mapping[str, str],
    folder: str,
    moves: Mapping[str, str],
    env: Environment,
    header: str,
) -> str | None:
    """The text of ``WIRING_TEST`` for the node's ``files``; None when the contract names nothing."""
    references = declared_references(contract, files, folder, moves)
    if not references:
        return None
    context = {
        "header": header,
        "contract_name": contract.name,
        "declared": [f"({r.module!r}, {r.name!r})" for r in references],
    }
    return render_limited(env.get_template("test_contract_wiring.py.j2"), context)
