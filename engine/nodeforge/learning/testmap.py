"""Which nodes a test file tests.

A test file belongs to a node when (a) it lives inside the node's directory, or (b) it imports one
of the node's modules — found by static import analysis (the stdlib parser; libcst for syntax newer
than the running Python's), never by importing anything.
(c) A ``@pytest.mark.nodeforge_node("node_user_effect")`` marker names a test's node explicitly;
the pytest plugin reads it and resolves the name with ``NodeMapper.nodes_named``.

Imports are resolved roughly as Python would at test time: absolute imports against the test's
pytest base directory (the first folder above it without ``__init__.py``, which pytest's default
``prepend`` import mode puts on ``sys.path``), the repo root, ``src/`` folders, and the folders the
nodes' own packages hang from; relative imports against the test file's package. Only direct imports
of the test module count: a helper module that imports every node would otherwise tie every test to
every node.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from nodeforge.learning.nodes import SKIP_DIRS, NodeSource, is_node_dir

_SRC_DIR_MAX_DEPTH = 3  # src/ folders this deep below the repo root count as import bases


@dataclass(frozen=True)
class ImportRef:
    """One imported name: ``import a.b`` is ``("a.b", (), 0)``, ``from ..a import b`` ``("a", ("b",), 2)``."""

    module: str  # dotted, "" for ``from . import x``
    names: tuple[str, ...]  # imported names of a from-import ("*" for a star import)
    level: int  # number of leading dots of a relative import


def _dotted(expression: cst.BaseExpression) -> str:
    if isinstance(expression, cst.Name):
        return expression.value
    if isinstance(expression, cst.Attribute):
        return f"{_dotted(expression.value)}.{expression.attr.value}"
    raise TypeError(f"not a dotted name: {type(expression).__name__}")


# The fields through which statements nest (function and class bodies, if/else, try/except/finally,
# loops, with, match cases). Walking only these, never into expressions, finds every import at a
# fraction of the cost of a full CSTVisitor pass (measured: 2.5 ms instead of 14 ms per test file).
_BLOCK_FIELDS = ("body", "orelse", "handlers", "finalbody", "cases")


def _import_statements(module: cst.Module) -> Iterator[cst.Import | cst.ImportFrom]:
    stack: list[object] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Import | cst.ImportFrom):
            yield node
            continue
        for name in _BLOCK_FIELDS:
            value = getattr(node, name, None)
            if isinstance(value, cst.CSTNode):
                stack.append(value)
            elif isinstance(value, Sequence):
                stack.extend(reversed(value))  # reversed: pop in source order


def _import_ref(statement: cst.Import | cst.ImportFrom) -> list[ImportRef]:
    if isinstance(statement, cst.Import):
        return [ImportRef(alias.evaluated_name, (), 0) for alias in statement.names]
    module = _dotted(statement.module) if statement.module is not None else ""
    if isinstance(statement.names, cst.ImportStar):
        names: tuple[str, ...] = ("*",)
    else:
        names = tuple(alias.evaluated_name for alias in statement.names)
    return [ImportRef(module, names, len(statement.relative))]


def module_imports(source: str) -> list[ImportRef]:
    """Every import in ``source``, at any depth (imports inside test functions count too), in source
    order. The stdlib parser reads imports in a tenth of libcst's time; libcst reads what the
    running Python's cannot (syntax newer than it). Raises ``libcst.ParserSyntaxError``."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        module = cst.parse_module(source)
        return [ref for statement in _import_statements(module) for ref in _import_ref(statement)]
    statements = sorted(
        (node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)),
        key=lambda node: (node.lineno, node.col_offset),
    )
    refs: list[ImportRef] = []
    for statement in statements:
        if isinstance(statement, ast.Import):
            refs += [ImportRef(alias.name, (), 0) for alias in statement.names]
        else:
            names = tuple(alias.name for alias in statement.names)
            refs.append(ImportRef(statement.module or "", names, statement.level))
    return refs


def _resolve_in(base: Path, parts: Sequence[str]) -> Path | None:
    """The file (or namespace folder) of module ``parts`` below ``base``, if there is one."""
    target = base.joinpath(*parts)
    module_file = target.parent / f"{parts[-1]}.py"
    if module_file.is_file():
        return module_file
    init = target / "__init__.py"
    if init.is_file():
        return init
    if target.is_dir():
        return target
    return None


def _longest_resolvable(base: Path, parts: Sequence[str]) -> Path | None:
    """The deepest module of ``a.b.c`` found below ``base`` (``c`` may be a name, not a module)."""
    for length in range(len(parts), 0, -1):
        found = _resolve_in(base, parts[:length])
        if found is not None:
            return found
    return None


def _resolve_absolute(parts: Sequence[str], bases: Sequence[Path]) -> Path | None:
    # As Python does: the first base holding a module or regular package named parts[0] wins; a
    # folder without __init__.py (a namespace portion) only counts when no base has a regular one.
    namespace_hits: list[Path] = []
    for base in bases:
        top = _resolve_in(base, parts[:1])
        if top is None:
            continue
        if top.is_file():
            return _longest_resolvable(base, parts)
        found = _longest_resolvable(base, parts)
        if found is not None:
            namespace_hits.append(found)
    return max(namespace_hits, key=lambda path: len(path.parts), default=None)


def _package_base(test_file: Path, level: int) -> Path:
    package = test_file.parent
    for _ in range(level - 1):
        package = package.parent
    return package


def _pytest_basedir(test_file: Path) -> Path:
    """The folder pytest's ``prepend`` import mode puts on sys.path for ``test_file``."""
    folder = test_file.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder


def _walk_dirs(top: Path, max_depth: int) -> Iterable[Path]:
    for current, dirs, _files in os.walk(top):
        depth = len(Path(current).relative_to(top).parts)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        if depth >= max_depth:
            dirs[:] = []
        yield Path(current)


class NodeMapper:
    """Maps test files to the nodes they test, for one set of discovered nodes.

    Parse results are cached per file (keyed by its mtime and size) for the mapper's lifetime:
    build one mapper per pytest session or per ``learn`` run.
    """

    def __init__(self, repo: Path, nodes: Sequence[NodeSource]) -> None:
        self.repo = repo.resolve()
        self.nodes = tuple(nodes)
        self._by_root = {node.root.resolve(): node for node in self.nodes}
        self._imports: dict[tuple[Path, int, int], frozenset[Path]] = {}
        self._static_bases: tuple[Path, ...] | None = None

    def owner(self, path: Path) -> NodeSource | None:
        """The node whose directory holds ``path`` (nearest one), or whose module file it is."""
        path = path.resolve()
        for candidate in (path, *path.parents):
            node = self._by_root.get(candidate)
            if node is not None:
                return node
            if candidate == self.repo:
                break
        return None

    def nodes_named(self, name: str) -> list[NodeSource]:
        """Nodes a marker names: by key (``src/pkg/node_user_effect``) or else by folder/file name."""
        wanted = name.strip().strip("/")
        by_key = [node for node in self.nodes if node.key == wanted]
        return by_key or [node for node in self.nodes if node.name == wanted]

    def nodes_for_test_file(self, test_path: Path) -> list[NodeSource]:
        """The nodes ``test_path`` tests: its own node if it lives in one, else the nodes it imports."""
        test_path = test_path.resolve()
        home = self.owner(test_path)
        if home is not None:
            return [home]
        if test_path.suffix != ".py" or not test_path.is_file():
            return []
        owners = {node.key: node for file in self.imported_files(test_path) if (node := self.owner(file))}
        return [owners[key] for key in sorted(owners)]

    def imported_files(self, test_path: Path) -> frozenset[Path]:
        """The repo files (or namespace folders) that ``test_path`` imports directly."""
        test_path = test_path.resolve()
        try:
            stat = test_path.stat()
            cache_key = (test_path, stat.st_mtime_ns, stat.st_size)
            if cache_key not in self._imports:
                source = test_path.read_text(encoding="utf-8")
                self._imports[cache_key] = self._resolve_all(test_path, module_imports(source))
        except (OSError, UnicodeDecodeError, cst.ParserSyntaxError):
            # an unreadable or broken test module imports nothing we can see; pytest reports it
            return frozenset()
        return self._imports[cache_key]

    def _resolve_all(self, test_path: Path, refs: Iterable[ImportRef]) -> frozenset[Path]:
        bases = (_pytest_basedir(test_path), *self._bases())
        found: set[Path] = set()
        for ref in refs:
            for parts, base in self._candidates(test_path, ref):
                hit = _longest_resolvable(base, parts) if base else _resolve_absolute(parts, bases)
                if hit is None and base is not None:
                    hit = self._package_itself(base)
                if hit is not None:
                    found.add(hit.resolve())
        return frozenset(found)

    @staticmethod
    def _candidates(test_path: Path, ref: ImportRef) -> list[tuple[list[str], Path | None]]:
        """Dotted parts to resolve per imported name, with the package base (None: absolute)."""
        module_parts = ref.module.split(".") if ref.module else []
        names = [name for name in ref.names if name != "*"]
        base = _package_base(test_path, ref.level) if ref.level else None
        if not names:
            return [(module_parts, base)]
        return [([*module_parts, name], base) for name in names]

    @staticmethod
    def _package_itself(package: Path) -> Path | None:
        init = package / "__init__.py"
        return init if init.is_file() else (package if package.is_dir() else None)

    def _bases(self) -> tuple[Path, ...]:
        if self._static_bases is None:
            bases = [self.repo]
            bases.extend(d for d in _walk_dirs(self.repo, _SRC_DIR_MAX_DEPTH) if d.name == "src")
            bases.extend(self._node_package_base(node) for node in self.nodes)
            self._static_bases = tuple(dict.fromkeys(bases))
        return self._static_bases

    @staticmethod
    def _node_package_base(node: NodeSource) -> Path:
        """The folder a node's top-level package hangs from: it must be on sys.path to import it."""
        package = node.root.resolve() if node.root.is_dir() else node.root.resolve().parent
        while (package / "__init__.py").is_file() and package.parent != package:
            package = package.parent
        return package if package != node.root.resolve() else package.parent


_TEST_MODULE = re.compile(r"^(test_\w*|\w+_test)\.py$")


def outside_test_modules(repo: Path) -> Iterator[Path]:
    """Test modules (``test_*.py``, ``*_test.py``) of the repository that no node folder holds."""
    for current, dirs, files in os.walk(repo):
        folder = Path(current)
        dirs[:] = sorted(
            d for d in dirs if d not in SKIP_DIRS and not d.startswith(".") and not is_node_dir(folder / d)
        )
        yield from (folder / name for name in sorted(files) if _TEST_MODULE.match(name))


def link_tests(repo: Path, nodes: Sequence[NodeSource]) -> list[NodeSource]:
    """``nodes`` with their ``linked_tests``: the test modules outside node folders importing them.

    A test module is read only if it spells a node's folder or module name, which any import of
    that node's code must; the rest is ``NodeMapper``'s static import analysis.
    """
    if not nodes:
        return []
    repo = repo.resolve()
    mapper = NodeMapper(repo, nodes)
    names = re.compile("|".join(re.escape(name) for name in sorted({node.name for node in nodes})))
    linked: dict[str, list[Path]] = {}
    for test in outside_test_modules(repo):
        try:
            text = test.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue  # pytest reports a test module it cannot read; there is nothing to link
        if names.search(text) is None:
            continue
        for node in mapper.nodes_for_test_file(test):
            linked.setdefault(node.key, []).append(test.resolve())
    return [dataclasses.replace(node, linked_tests=tuple(sorted(linked.get(node.key, ())))) for node in nodes]


class TestFileLocator:
    """Finds the test file of a JUnit ``<testcase>`` from its ``file`` or dotted ``classname``."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, repo: Path, rootdir: Path | None = None) -> None:
        self.repo = repo
        self._bases = tuple(dict.fromkeys(b for b in (rootdir, repo, repo / "src") if b is not None))
        self._by_stem: dict[str, list[Path]] | None = None

    def locate(self, file_attribute: str | None, classname: str) -> Path | None:
        if file_attribute:
            for base in self._bases:
                candidate = base / file_attribute
                if candidate.is_file():
                    return candidate.resolve()
        parts = [part for part in classname.split(".") if part]
        for base in self._bases:
            for length in range(len(parts), 0, -1):
                candidate = base.joinpath(*parts[: length - 1], f"{parts[length - 1]}.py")
                if candidate.is_file():
                    return candidate.resolve()
        return self._by_suffix(parts)

    def _by_suffix(self, parts: Sequence[str]) -> Path | None:
        """A repo file whose dotted path ends with a prefix of ``parts`` (pytest ran from a subfolder)."""
        index = self._stem_index()
        for length in range(len(parts), 0, -1):
            wanted = tuple(parts[:length])
            matches = [
                path
                for path in index.get(wanted[-1], [])
                if path.relative_to(self.repo).with_suffix("").parts[-length:] == wanted
            ]
            if len(matches) == 1:
                return matches[0]
            if matches:
                return None  # ambiguous: better no verdict than a wrong one
        return None

    def _stem_index(self) -> dict[str, list[Path]]:
        if self._by_stem is None:
            index: dict[str, list[Path]] = {}
            for folder in _walk_dirs(self.repo, max_depth=64):
                for file in folder.glob("*.py"):
                    index.setdefault(file.stem, []).append(file.resolve())
            self._by_stem = index
        return self._by_stem
