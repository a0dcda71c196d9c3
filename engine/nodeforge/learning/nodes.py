"""Find nodes in a repository and identify their exact content.

Two layouts (see docs/architecture.md): a *directory node* is a folder holding ``contract.yaml`` and
Python code (``node.py``, ``handlers/``, ``models/``, ``registry/``...), whatever the folder is named
(``node_baseline_capture`` as well as ``node_user_effect``); a folder ``node_<entity>_<type>/``
holding ``node.py`` is one too, contract or not. A *module node* is one ``.py`` file whose class
``Node<Entity><Type>`` derives from ``NodeEffect`` / ``NodeCompute`` / ...

A directory node's type is the one its contract declares (``node_type``), else the one its folder
name ends with; a node with neither is skipped with the reason (``Discovery.skipped``).

The content hash covers the node's own folder: its code, contract and in-folder tests, each file
named by its path and git's blob id (``gitrepo``: the index's id for an unchanged tracked file, so
nothing is read). Tests that
live elsewhere (``tests/nodes/node_x/``) are linked to it for mining (``testmap.link_tests``) but do
not count: editing a shared test module must not orphan the verdicts of every node it imports,
and hashing them would mean scanning the whole test tree on every commit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nodeforge.gitrepo import WorkingTree, blob_id, content_digest, working_tree
from nodeforge.learning.reasons import Reason, unknown_node_type
from nodeforge.model import NodeType
from nodeforge.naming import NodeNames

DIRECTORY = "directory"
MODULE = "module"

_NODE_DIR = re.compile(r"^node_[a-z0-9_]+_(effect|compute|reducer|orchestrator)$")
_MODULE_NODE = re.compile(
    rb"^class\s+Node(?P<entity>\w+?)(?P<type>Effect|Compute|Reducer|Orchestrator)\s*\(", re.MULTILINE
)
# The one skip list of every repository walk (discovery here, ``testmap``'s and ``runtests``').
SKIP_DIRS = frozenset(
    {".git", ".nodeforge", ".venv", "venv", "node_modules", "__pycache__", "site-packages", "build", "dist"}
)
_NODE_FILE_SUFFIXES = frozenset({".py", ".yaml", ".yml"})
CONTRACT_FILE = "contract.yaml"


class UnknownNodeType(ValueError):
    """A node folder whose contract and name declare no node type nodeforge knows."""


@dataclass(frozen=True)
class NodeSource:
    """One node as it is on disk now."""

    key: str  # repo-relative posix path of the node's directory or module file
    layout: str  # DIRECTORY or MODULE
    root: Path  # absolute
    node_type: NodeType
    names: NodeNames
    files: tuple[Path, ...]  # absolute, sorted; the files whose bytes make the content hash
    content_hash: str
    # Test modules outside the node folder that import its code (``testmap.link_tests``): mined
    # with the node, never part of its content hash.
    linked_tests: tuple[Path, ...] = ()

    @property
    def name(self) -> str:
        return self.root.stem if self.layout == MODULE else self.root.name


@dataclass(frozen=True)
class SkippedNode:
    key: str  # repo-relative posix path of the folder
    reason: Reason


@dataclass(frozen=True)
class Discovery:
    """The nodes found, and the node folders that could not be taken, with why."""

    nodes: tuple[NodeSource, ...]
    skipped: tuple[SkippedNode, ...] = ()


def content_hash(root: Path, files: Iterable[Path], tree: WorkingTree | None = None) -> str:
    """sha256 over each file's path relative to ``root`` and its git blob id: the identity of a verdict.

    The blob id comes from ``tree`` when it knows the file, else from the file's bytes.
    """
    base = root if root.is_dir() else root.parent
    entries = []
    for path in sorted(files):
        oid = tree.oid(path) if tree is not None else None
        if oid is None:
            try:
                oid = blob_id(path.read_bytes())
            except FileNotFoundError:
                continue  # deleted since it was listed (a checkout or an editor mid-run): hash what is there
        entries.append((path.relative_to(base).as_posix(), oid))
    return content_digest(entries)


def is_node_file(path: Path) -> bool:
    """Whether ``path`` is part of a node's content (code and YAML, caches aside)."""
    return path.suffix in _NODE_FILE_SUFFIXES and "__pycache__" not in path.parts


def _directory_files(root: Path, tree: WorkingTree | None) -> tuple[Path, ...]:
    if tree is not None:
        return tuple(sorted(p for p in tree.files_under(root) if is_node_file(p)))
    return tuple(sorted(p for p in root.rglob("*") if p.is_file() and is_node_file(p)))


_TOP_NODE_TYPE = re.compile(r"^node_type:[ \t]*['\"]?([A-Za-z_]+)['\"]?[ \t]*(?:#.*)?$", re.MULTILINE)


def declared_node_type(contract_path: Path) -> str | None:
    """The ``node_type`` text a contract declares, unparsed; None when it declares none."""
    try:
        text = contract_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    plain = _TOP_NODE_TYPE.search(text)  # the usual `node_type: EFFECT_GENERIC` line, without YAML
    if plain is not None:
        return plain.group(1)
    import yaml  # only for the unusual contract: the post-commit hook reads node types without it

    from nodeforge.yamlload import load_yaml

    try:
        data = load_yaml(text)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("node_type"), str):
        return None
    return str(data["node_type"])


def contract_node_type(contract_path: Path) -> NodeType | None:
    """The ``node_type`` a directory node's contract declares, if it declares a known one."""
    declared = declared_node_type(contract_path)
    if declared is None:
        return None
    try:
        return NodeType.parse(declared)
    except ValueError:
        return None


def _folder_node_type(root: Path) -> NodeType | None:
    match = _NODE_DIR.match(root.name)
    return NodeType.parse(match.group(1)) if match else None


def directory_node_type(root: Path) -> NodeType:
    """The contract's node type, else the folder name's; raises ``UnknownNodeType`` saying why not."""
    contract = root / CONTRACT_FILE
    declared = declared_node_type(contract) if contract.is_file() else None
    from_contract = contract_node_type(contract) if declared is not None else None
    node_type = from_contract or _folder_node_type(root)
    if node_type is not None:
        return node_type
    known = ", ".join(t.value for t in NodeType)
    if declared is not None:
        raise UnknownNodeType(f"contract.yaml declares node_type {declared!r}, not a known type ({known})")
    raise UnknownNodeType(f"contract.yaml declares no node_type and the folder name names none ({known})")


def load_directory_node(root: Path, repo: Path, tree: WorkingTree | None = None) -> NodeSource:
    """Raises ``UnknownNodeType`` when neither the contract nor the folder name gives the type.

    ``tree``: the git working tree's files and blob ids (one listing for many nodes); by default
    the node's own folder is listed (outside git: walked and hashed here).
    """
    node_type = directory_node_type(root)
    tree = tree or working_tree(repo, root)
    files = _directory_files(root, tree)
    return NodeSource(
        key=root.relative_to(repo).as_posix(),
        layout=DIRECTORY,
        root=root,
        node_type=node_type,
        names=NodeNames.of(root.name, node_type),
        files=files,
        content_hash=content_hash(root, files, tree),
    )


def load_module_node(path: Path, repo: Path, tree: WorkingTree | None = None) -> NodeSource | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    match = _MODULE_NODE.search(data)
    if match is None:
        return None
    node_type = NodeType.parse(match.group("type").decode())
    return NodeSource(
        key=path.relative_to(repo).as_posix(),
        layout=MODULE,
        root=path,
        node_type=node_type,
        names=NodeNames.of(match.group("entity").decode(), node_type),
        files=(path,),
        content_hash=content_hash(path, (path,), tree or working_tree(repo, path)),
    )


def _holds_python(folder: Path) -> bool:
    for _current, dirs, files in os.walk(folder):
        if any(name.endswith(".py") for name in files):
            return True
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
    return False


def is_node_dir(path: Path) -> bool:
    """A folder with ``contract.yaml`` and Python code, or a ``node_<entity>_<type>`` folder."""
    if (path / CONTRACT_FILE).is_file():
        return bool(_NODE_DIR.match(path.name)) or _holds_python(path)
    return bool(_NODE_DIR.match(path.name)) and (path / "node.py").is_file()


def _walk(top: Path, prune: Callable[[Path], bool]) -> Iterator[Path]:
    """Directories below ``top`` (itself included), skipping virtualenvs, caches and VCS folders.

    A directory for which ``prune`` holds is yielded, its subdirectories are not.
    """
    stack = [top]
    while stack:
        current = stack.pop()
        yield current
        if prune(current):
            continue
        try:
            children = sorted(p for p in current.iterdir() if p.is_dir() and p.name not in SKIP_DIRS)
        except OSError:
            continue
        stack.extend(reversed(children))


def scan(repo: Path, paths: Iterable[Path] = ()) -> Discovery:
    """Every node under ``paths`` (default: the whole repo), sorted by key, and the folders skipped."""
    repo = repo.resolve()
    tops = [p.resolve() for p in paths] or [repo]
    found: dict[str, NodeSource] = {}
    skipped: dict[str, SkippedNode] = {}
    tree = working_tree(repo, *tops)
    for top in tops:
        folder = node_folder_of(top, repo)
        if folder is not None:
            _load_folder(folder, repo, found, skipped, tree)
            continue
        if top.is_file():
            module_node = load_module_node(top, repo, tree) if top.suffix == ".py" else None
            if module_node is not None:
                found[module_node.key] = module_node
            continue
        for directory in _walk(top, prune=lambda folder: _is_node_dir_in(folder, repo)):
            if _is_node_dir_in(directory, repo):
                _load_folder(directory, repo, found, skipped, tree)
                continue
            for file in sorted(directory.glob("*.py")):
                module_node = load_module_node(file, repo, tree)
                if module_node is not None:
                    found[module_node.key] = module_node
    return Discovery(
        tuple(found[key] for key in sorted(found)), tuple(skipped[key] for key in sorted(skipped))
    )


def discover(repo: Path, paths: Iterable[Path] = ()) -> list[NodeSource]:
    """Every node under ``paths`` (default: the whole repo), sorted by key."""
    return list(scan(repo, paths).nodes)


def _load_folder(
    folder: Path,
    repo: Path,
    found: dict[str, NodeSource],
    skipped: dict[str, SkippedNode],
    tree: WorkingTree | None,
) -> None:
    try:
        node = load_directory_node(folder, repo, tree)
    except UnknownNodeType as unknown:
        key = folder.relative_to(repo).as_posix()
        skipped[key] = SkippedNode(key, unknown_node_type(str(unknown)))
        return
    found[node.key] = node


def _is_node_dir_in(folder: Path, repo: Path) -> bool:
    """``is_node_dir``, except that a repository is not one node because its root has a contract."""
    if folder == repo:
        return bool(_NODE_DIR.match(folder.name)) and is_node_dir(folder)
    return is_node_dir(folder)


def node_folder_of(path: Path, repo: Path) -> Path | None:
    """The outermost directory node enclosing ``path`` (itself included), without loading it.

    Outermost: everything inside a node folder is part of that node, including a test fixture
    folder that happens to hold a ``contract.yaml``.
    """
    repo = repo.resolve()
    path = path.resolve()
    if not path.is_relative_to(repo):
        return None
    chain = [path, *path.parents]
    for candidate in reversed(chain[: chain.index(repo) + 1]):
        if candidate.is_dir() and _is_node_dir_in(candidate, repo):
            return candidate
    return None


def node_for_path(path: Path, repo: Path) -> NodeSource | None:
    """The node a file or folder belongs to: the nearest enclosing directory node, or a module node.

    None also for a node folder of unknown type (``scan`` says why).
    """
    folder = node_folder_of(path, repo)
    if folder is not None:
        try:
            return load_directory_node(folder, repo.resolve())
        except UnknownNodeType:
            return None
    path = path.resolve()
    if path.is_file() and path.suffix == ".py":
        return load_module_node(path, repo.resolve())
    return None


def scan_paths(paths: Iterable[Path], repo: Path) -> Discovery:
    """The distinct nodes holding ``paths``, each loaded (read and hashed) once, sorted by key."""
    repo = repo.resolve()
    found: dict[str, NodeSource] = {}
    skipped: dict[str, SkippedNode] = {}
    folders: set[Path] = set()
    modules: set[Path] = set()
    for path in paths:
        folder = node_folder_of(path, repo)
        if folder is not None:
            folders.add(folder)
        elif path.suffix == ".py" and path.is_file():
            modules.add(path.resolve())
    tree = working_tree(repo, *sorted(folders | modules)) if folders or modules else None
    for module in sorted(modules):
        node = load_module_node(module, repo, tree)
        if node is not None:
            found[node.key] = node
    for folder in sorted(folders):
        _load_folder(folder, repo, found, skipped, tree)
    return Discovery(
        tuple(found[key] for key in sorted(found)), tuple(skipped[key] for key in sorted(skipped))
    )


def nodes_for_paths(paths: Iterable[Path], repo: Path) -> list[NodeSource]:
    """The distinct nodes holding ``paths``, each loaded (read and hashed) once, sorted by key."""
    return list(scan_paths(paths, repo).nodes)
