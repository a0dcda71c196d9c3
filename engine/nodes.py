"""Find nodes in a repository and identify their exact content.

Two layouts (see docs/architecture.md): a *directory node* ``node_<entity>_<type>/`` holding
``node.py``, ``contract.yaml``, ``handlers/``, ``models/``...; a *module node*, one ``.py`` file
whose class ``Node<Entity><Type>`` derives from ``NodeEffect`` / ``NodeCompute`` / ...
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from nodeforge.model import NodeType
from nodeforge.naming import NodeNames
from nodeforge.yamlload import load_yaml

DIRECTORY = "directory"
MODULE = "module"

_NODE_DIR = re.compile(r"^node_[a-z0-9_]+_(effect|compute|reducer|orchestrator)$")
_MODULE_NODE = re.compile(
    rb"^class\s+Node(?P<entity>\w+?)(?P<type>Effect|Compute|Reducer|Orchestrator)\s*\(", re.MULTILINE
)
_SKIP_DIRS = frozenset(
    {".git", ".nodeforge", ".venv", "venv", "node_modules", "__pycache__", "site-packages", "build", "dist"}
)
_NODE_FILE_SUFFIXES = frozenset({".py", ".yaml", ".yml"})


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

    @property
    def name(self) -> str:
        return self.root.stem if self.layout == MODULE else self.root.name


def content_hash(root: Path, files: Iterable[Path]) -> str:
    """sha256 over each file's path relative to ``root`` and its bytes: the identity of a verdict."""
    digest = hashlib.sha256()
    base = root if root.is_dir() else root.parent
    for path in sorted(files):
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue  # deleted since it was listed (a checkout or an editor mid-run): hash what is there
        digest.update(path.relative_to(base).as_posix().encode())
        digest.update(b"\0")
        digest.update(data)
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def _directory_files(root: Path) -> tuple[Path, ...]:
    files = [
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix in _NODE_FILE_SUFFIXES and "__pycache__" not in p.parts
    ]
    return tuple(sorted(files))


_TOP_NODE_TYPE = re.compile(r"^node_type:[ \t]*['\"]?([A-Za-z_]+)['\"]?[ \t]*(?:#.*)?$", re.MULTILINE)


def contract_node_type(contract_path: Path) -> NodeType | None:
    """The ``node_type`` a directory node's contract declares, if it declares a known one."""
    try:
        text = contract_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    plain = _TOP_NODE_TYPE.search(text)  # the usual `node_type: EFFECT_GENERIC` line, without YAML
    if plain is not None:
        try:
            return NodeType.parse(plain.group(1))
        except ValueError:
            return None
    try:
        data = load_yaml(text)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("node_type"), str):
        return None
    try:
        return NodeType.parse(data["node_type"])
    except ValueError:
        return None


def load_directory_node(root: Path, repo: Path) -> NodeSource:
    folder_type = NodeType.parse(root.name.rsplit("_", 1)[1])
    contract = root / "contract.yaml"
    node_type = (contract_node_type(contract) if contract.is_file() else None) or folder_type
    files = _directory_files(root)
    return NodeSource(
        key=root.relative_to(repo).as_posix(),
        layout=DIRECTORY,
        root=root,
        node_type=node_type,
        names=NodeNames.of(root.name, node_type),
        files=files,
        content_hash=content_hash(root, files),
    )


def load_module_node(path: Path, repo: Path) -> NodeSource | None:
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
        content_hash=content_hash(path, (path,)),
    )


def is_node_dir(path: Path) -> bool:
    return bool(_NODE_DIR.match(path.name)) and (
        (path / "node.py").is_file() or (path / "contract.yaml").is_file()
    )


def _walk(top: Path) -> Iterator[Path]:
    """Directories below ``top`` (itself included), skipping virtualenvs, caches and VCS folders."""
    stack = [top]
    while stack:
        current = stack.pop()
        yield current
        try:
            children = sorted(p for p in current.iterdir() if p.is_dir() and p.name not in _SKIP_DIRS)
        except OSError:
            continue
        stack.extend(reversed(children))


def discover(repo: Path, paths: Iterable[Path] = ()) -> list[NodeSource]:
    """Every node under ``paths`` (default: the whole repo), directory nodes first, sorted by key."""
    repo = repo.resolve()
    tops = [p.resolve() for p in paths] or [repo]
    found: dict[str, NodeSource] = {}
    for top in tops:
        if top.is_file():
            node = node_for_path(top, repo)
            if node is not None:
                found[node.key] = node
            continue
        inside = node_for_path(top, repo)
        if inside is not None:
            found[inside.key] = inside
            continue
        for directory in _walk(top):
            if is_node_dir(directory):
                node = load_directory_node(directory, repo)
                found[node.key] = node
        for directory in _walk(top):
            if any(parent.name in found or is_node_dir(parent) for parent in (directory, *directory.parents)):
                continue
            for file in sorted(directory.glob("*.py")):
                module_node = load_module_node(file, repo)
                if module_node is not None:
                    found[module_node.key] = module_node
    return [found[key] for key in sorted(found)]


def node_folder_of(path: Path, repo: Path) -> Path | None:
    """The nearest directory node enclosing ``path`` (itself included), without loading it."""
    repo = repo.resolve()
    path = path.resolve()
    for candidate in (path, *path.parents):
        if candidate == repo.parent:
            break
        if candidate.is_dir() and is_node_dir(candidate):
            return candidate
    return None


def node_for_path(path: Path, repo: Path) -> NodeSource | None:
    """The node a file or folder belongs to: the nearest enclosing directory node, or a module node."""
    folder = node_folder_of(path, repo)
    if folder is not None:
        return load_directory_node(folder, repo.resolve())
    path = path.resolve()
    if path.is_file() and path.suffix == ".py":
        return load_module_node(path, repo.resolve())
    return None


def nodes_for_paths(paths: Iterable[Path], repo: Path) -> list[NodeSource]:
    """The distinct nodes holding ``paths``, each loaded (read and hashed) once, sorted by key."""
    found: dict[str, NodeSource] = {}
    folders: set[Path] = set()
    for path in paths:
        folder = node_folder_of(path, repo)
        if folder is not None:
            folders.add(folder)
            continue
        node = node_for_path(path, repo) if path.exists() else None
        if node is not None:
            found[node.key] = node
    for folder in folders:
        node = load_directory_node(folder, repo.resolve())
        found[node.key] = node
    return [found[key] for key in sorted(found)]
