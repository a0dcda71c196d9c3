"""Imports flow one way: interface -> stages (learning, storage, generation) -> shared model.

Read from the source with ``ast`` (imports inside functions count too), over ``engine/nodeforge/``
and ``hooks/`` (``nodeforge.hooks``). A module's layer is its floor (``nodeforge.cli``,
``.learning``, ``.storage``, ``.generation``; the top of the package is the shared model). A
module imports its own layer or a lower one; an import across stages, or one that runs back up,
must be listed in ``ALLOWED`` (today's edges, each a known exception), so a new one fails here
until someone decides it is right.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"engine/nodeforge": ("nodeforge",), "hooks": ("nodeforge", "hooks")}

INTERFACE, LEARNING, STORAGE, GENERATION, SHARED = "interface", "learning", "storage", "generation", "shared"
RANK = {INTERFACE: 3, LEARNING: 2, STORAGE: 2, GENERATION: 2, SHARED: 1}

# A module's layer is its floor, the first folder under ``nodeforge/`` (``hooks`` is the hook's and
# the pytest plugin's entry points); a module at the top of the package is the shared model.
FLOORS = {
    "cli": INTERFACE,
    "hooks": INTERFACE,
    "learning": LEARNING,
    "storage": STORAGE,
    "generation": GENERATION,
}


def layer(module: str) -> str:
    if module == "__main__":  # ``python -m nodeforge`` runs the command
        return INTERFACE
    return FLOORS.get(module.split(".", maxsplit=1)[0], SHARED)


def modules() -> dict[str, Path]:
    """Module name (without ``nodeforge.``) -> its file, for every module of the package."""
    found: dict[str, Path] = {}
    for folder, prefix in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = [*prefix, *path.relative_to(ROOT / folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts[1:])] = path
    return found


def _imported(node: ast.AST, package: list[str]) -> Iterator[str]:
    """The absolute names an import statement reaches (``from x import y`` may reach ``x.y``)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = package[: len(package) - node.level + 1] if node.level else []
        module = ".".join([*base, node.module] if node.module else base)
        yield module
        yield from (f"{module}.{alias.name}" for alias in node.names)


def edges() -> set[tuple[str, str]]:
    """(importer, imported) between our modules, top-level and lazy imports alike."""
    known = modules()
    found: set[tuple[str, str]] = set()
    for name, path in known.items():
        full = ["nodeforge", *name.split(".")] if name else ["nodeforge"]
        package = full if path.name == "__init__.py" else full[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _imported(node, package):
                short = target.removeprefix("nodeforge").removeprefix(".")
                if target.startswith("nodeforge") and short in known and short != name:
                    found.add((name, short))
    return found


def _allowed_by_layers(source: str, target: str) -> bool:
    low, high = layer(target), layer(source)
    return low == high or RANK[low] < RANK[high]


# Today's imports across stages or back up a layer: each known, each a candidate for moving.
ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        # generation reuses learning's name transforms and entity reading, and reads exemplars,
        # and the store through its protocol
        ("generation.assemble", "learning.extract.exemplar"),
        # verification runs the node's tests with the bounded runner learning's test gate uses
        ("generation.verify", "learning.runtests"),
        ("generation.assemble", "learning.generalize"),
        ("generation.assemble", "storage.protocol"),
        ("generation.assemble", "learning.vocabulary"),
        ("generation.compose", "learning.generalize"),
        ("generation.compose", "learning.vocabulary"),
        ("generation.exemplar", "learning.extract.exemplar"),
        ("generation.exemplar", "storage.rank"),
        ("generation.exemplar", "storage.protocol"),
        ("generation.exemplar", "learning.vocabulary"),
        ("generation.features", "learning.vocabulary"),
        ("generation.generate", "learning.nodes"),
        ("generation.fixtures", "learning.nodes"),  # its conftest walk skips what discovery skips
        ("generation.generate", "learning.quality"),
        ("generation.generate", "storage.protocol"),
        # update regenerates against the store; outdated asks it what became of the patterns used
        ("generation.update", "storage.protocol"),
        ("generation.outdated", "storage.protocol"),
        ("generation.querybatch", "storage.protocol"),  # hands the query texts to the store to embed at once
        ("generation.holefill", "learning.antiunify"),
        ("generation.provenance", "storage.factory"),  # feedback reaches the configured store
        # learning stores what it learned, and records feedback through provenance
        ("learning.idioms", "storage.merge"),
        ("learning.idioms", "storage.protocol"),
        ("learning.learn", "generation.provenance"),
        ("learning.learn", "storage.edge"),
        ("learning.learn", "storage.spool"),  # a locked store spools: idioms then merge within the run
        ("learning.learn", "storage.protocol"),
        ("learning.rebuild", "storage.driver_store"),
        ("learning.rebuild", "storage.counters"),
        ("learning.rebuild", "storage.edge"),
        ("learning.rebuild", "storage.protocol"),
        ("storage.merge", "learning.antiunify"),  # merging stored idioms re-anti-unifies them
        # learning reads a contract's features like generation does
        ("learning.extract.exemplar", "generation.features"),
        ("learning.vocabulary", "generation.contract"),
        # back up: the settings know the embedder's placements; the model download shows progress
        ("config", "storage.embeddings"),
        ("storage.embeddings", "cli.progress"),
    }
)


def test_every_module_sits_on_a_floor_or_is_shared() -> None:
    floors = {name.split(".")[0] for name in modules() if "." in name}
    assert floors == set(FLOORS), f"a subpackage outside the floors: {sorted(floors - set(FLOORS))}"


def test_imports_flow_down_or_are_known() -> None:
    new = sorted(
        f"{source} -> {target} ({layer(source)} -> {layer(target)})"
        for source, target in edges()
        if not _allowed_by_layers(source, target) and (source, target) not in ALLOWED
    )
    assert new == [], "imports against the layers (move the code, or list the edge in ALLOWED): " + "; ".join(
        new
    )


def test_every_known_exception_still_exists() -> None:
    """A removed exception leaves the list, so it only ever shrinks."""
    assert sorted(ALLOWED - edges()) == []


def test_the_reader_sees_lazy_and_relative_imports() -> None:
    found = edges()
    assert ("cli.main", "cli.commands") in found  # imported inside _main, only once the arguments parse
    assert ("cli.commands", "learning.learn") in found  # imported inside cmd_learn
    assert ("cli.main", "cli.commands") not in {(t, s) for s, t in found}  # the loop is broken
    assert not _allowed_by_layers("model", "storage.driver_store")
    assert _allowed_by_layers("cli.main", "model") and _allowed_by_layers("storage.driver_store", "model")
