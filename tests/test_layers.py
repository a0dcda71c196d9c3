"""Imports flow one way: interface -> stages (learning, storage, generation) -> shared model.

Read from the source with ``ast`` (imports inside functions count too), over ``engine/`` (the
``nodeforge`` package) and ``hooks/`` (``nodeforge.hooks``). A module imports its own layer or a
lower one; an import across stages, or one that runs back up, must be listed in ``ALLOWED`` (today's
edges, each a known exception), so a new one fails here until someone decides it is right.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"engine": ("nodeforge",), "hooks": ("nodeforge", "hooks")}

INTERFACE, LEARNING, STORAGE, GENERATION, SHARED = "interface", "learning", "storage", "generation", "shared"
RANK = {INTERFACE: 3, LEARNING: 2, STORAGE: 2, GENERATION: 2, SHARED: 1}

# Every module's layer, by its name without the ``nodeforge.`` prefix ("" is the package itself, which
# holds only ``__version__``). ``extract.*`` is learning and ``store.*`` storage (see ``layer``).
LAYERS: dict[str, str] = {
    **dict.fromkeys(
        (
            "cli",
            "parser",
            "argtypes",
            "output",
            "commands",
            "doctor",
            "report",
            "progress",
            "setup",
            "completion",
            "review",
            "undo",
            "importer",
            "hooks",
            "hooks.precommit",
            "hooks.pytest_plugin",
            "evaluation",
            "evaluation.baseline",
            "evaluation.names",
            "evaluation.runner",
            "evaluation.similarity",
            "evaluation.summary",
        ),
        INTERFACE,
    ),
    **dict.fromkeys(
        (
            "nodes",
            "verdicts",
            "testmap",
            "runtests",
            "generalize",
            "vocabulary",
            "antiunify",
            "idioms",
            "quality",
            "secrets",
            "secret_rules",
            "danger",
            "learn",
            "mining_pool",
            "rebuild",
        ),
        LEARNING,
    ),
    **dict.fromkeys(("embeddings", "sparse", "rank"), STORAGE),
    **dict.fromkeys(
        (
            "contract",
            "contract_handlers",
            "contract_schema",
            "contract_types",
            "detect",
            "features",
            "similarity",
            "exemplar",
            "fanout",
            "compose",
            "assemble",
            "idiomfit",
            "holefill",
            "support",
            "scope",
            "templating",
            "render",
            "generate",
            "verify",
            "provenance",
        ),
        GENERATION,
    ),
    **dict.fromkeys(
        (
            "",
            "model",
            "errors",
            "config",
            "paths",
            "gitrepo",
            "defaults",
            "redact",
            "yamlload",
            "naming",
            "statefile",
            "writer",
        ),
        SHARED,
    ),
}


def layer(module: str) -> str:
    if module in LAYERS:
        return LAYERS[module]
    if module.startswith("extract"):
        return LEARNING
    if module.startswith("store"):
        return STORAGE
    raise KeyError(f"nodeforge.{module} has no layer: add it to LAYERS in {Path(__file__).name}")


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
        ("assemble", "extract.exemplar"),
        # verification runs the node's tests with the bounded runner learning's test gate uses
        ("verify", "runtests"),
        ("assemble", "generalize"),
        ("assemble", "store.protocol"),
        ("assemble", "vocabulary"),
        ("compose", "generalize"),
        ("compose", "vocabulary"),
        ("exemplar", "extract.exemplar"),
        ("exemplar", "rank"),
        ("exemplar", "store.protocol"),
        ("exemplar", "vocabulary"),
        ("features", "vocabulary"),
        ("generate", "nodes"),
        ("generate", "quality"),
        ("generate", "store.protocol"),
        ("holefill", "antiunify"),
        ("provenance", "store.factory"),  # feedback reaches the configured store
        # learning stores what it learned, and records feedback through provenance
        ("idioms", "store.merge"),
        ("idioms", "store.protocol"),
        ("learn", "provenance"),
        ("learn", "store.edge"),
        ("learn", "store.protocol"),
        ("rebuild", "store.core"),
        ("rebuild", "store.counters"),
        ("rebuild", "store.edge"),
        ("rebuild", "store.lock"),
        ("rebuild", "store.protocol"),
        ("store.merge", "antiunify"),  # merging stored idioms re-anti-unifies them
        # learning reads a contract's features like generation does
        ("extract.exemplar", "features"),
        ("vocabulary", "contract"),
        # back up: the settings know the embedder's placements; the model download shows progress
        ("config", "embeddings"),
        ("embeddings", "progress"),
    }
)


def test_every_module_has_a_layer() -> None:
    missing = [name for name in modules() if name not in LAYERS and not name.startswith(("extract", "store"))]
    assert missing == [], f"give these a layer in LAYERS: {missing}"
    assert set(LAYERS) <= set(modules()), sorted(set(LAYERS) - set(modules()))


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
    assert ("cli", "commands") in found  # imported inside _main, only once the arguments parse
    assert ("commands", "learn") in found  # imported inside cmd_learn
    assert ("cli", "commands") not in {(t, s) for s, t in found}  # the loop is broken
    assert not _allowed_by_layers("model", "store.core")
    assert _allowed_by_layers("cli", "model") and _allowed_by_layers("store.core", "model")
