"""What the target repository's own modules define, read from their source, never imported.

Code reused from another node imports the repository's shared modules (``pkg.events.ledger``).
Once adapted to the new node, such an import can name something that was renamed for it and does
not exist (``ModelRefundComputed`` where the module has ``ModelInvoiceComputed``). The scope check
asks this reader: for a module found under the repository's import roots, the names it binds at
module level and its submodules; for anything else (a third-party package, a module it cannot
read), nothing is known and the import is taken as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nodeforge.generation.scope import module_names


def import_roots(repo: Path) -> tuple[Path, ...]:
    """Where the repository's top-level packages live: the ``src`` layout's folder, and the root."""
    src = repo / "src"
    return (src, repo) if src.is_dir() else (repo,)


@dataclass
class RepoModules:
    """Names each repository module defines; a module is read once (``names`` is called per import)."""

    roots: tuple[Path, ...]
    _known: dict[str, frozenset[str] | None] = field(default_factory=dict)

    @classmethod
    def of(cls, repo: Path) -> RepoModules:
        return cls(import_roots(repo))

    def names(self, dotted: str) -> frozenset[str] | None:
        """Names bound in module ``dotted`` and its submodules; None when unknown (not found in the
        repository, unreadable, or a star import makes them unknowable)."""
        if dotted not in self._known:
            self._known[dotted] = self._read(dotted)
        return self._known[dotted]

    def _read(self, dotted: str) -> frozenset[str] | None:
        parts = dotted.split(".")
        for root in self.roots:
            base = root.joinpath(*parts)
            for file in (base.with_suffix(".py"), base / "__init__.py"):
                if file.is_file():
                    return _names_in(file)
        return None


def _names_in(file: Path) -> frozenset[str] | None:
    try:
        names = module_names(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None  # a module nobody can read says nothing about what it defines
    if names is None or file.name != "__init__.py":
        return names
    submodules = {p.stem for p in file.parent.glob("*.py")} | {
        p.parent.name for p in file.parent.glob("*/__init__.py")
    }
    return names | submodules
