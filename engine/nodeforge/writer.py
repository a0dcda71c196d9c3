"""Write a generated node atomically, never outside the output folder, never over a file without force."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from nodeforge.errors import InputError, NodeforgeError


def safe_target(out: Path, node_dir: str) -> Path:
    """``out / node_dir``, refusing any name that would land outside ``out``."""
    root = out.resolve()
    target = (root / node_dir).resolve()
    if target.parent != root or node_dir in {"", ".", ".."}:
        raise InputError(f"node folder {node_dir!r} would be written outside {out}")
    return target


STAGING_MARKER = ".nodeforge-staging"  # what makes a folder nodeforge's to recover or remove
STAGING_GRACE_SECONDS = 60
_NODE = "node"  # the staged node, inside the marked staging folder
_RETIRED = "retired"  # the node being replaced, parked inside the staging folder during the swap


def write_node(target: Path, files: dict[str, str], *, force: bool) -> list[Path]:
    """Write all ``files`` under ``target`` or nothing at all.

    The node is assembled in a marked staging folder next to ``target`` and moved into place with
    one rename, so a crash leaves either the old state or the complete new node. An overwritten
    node is parked inside the staging folder during the swap, so recovery can put it back. An
    existing folder is replaced only with ``force``.
    """
    recover_interrupted_write(target)
    if target.exists() and not force:
        raise InputError(f"{target} exists; use --force to overwrite it")
    for rel in files:
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise InputError(f"generated path {rel!r} would escape {target}")
    staging = _make_staging(target)
    try:
        node = staging / _NODE
        for rel, text in sorted(files.items()):
            path = node / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        _swap_into_place(staging, target)
    except OSError as error:
        # Disk full, permissions, a read-only mount: the staging folder goes, nothing is left behind.
        raise NodeforgeError(
            f"cannot write {target}: {error.strerror or error}; nothing was written"
        ) from None
    finally:
        _remove_staging(staging, target)
    return [target / rel for rel in sorted(files)]


def rewrite_node(target: Path, changes: dict[str, str | None]) -> None:
    """Apply ``changes`` (node-relative path -> new text, or None to remove it) to the existing
    node ``target``, all of them or none.

    The node is copied whole (files nodeforge does not own included) into a marked staging folder,
    changed there, and swapped into place as ``write_node`` does: an interruption at any point
    leaves the node as it was, or ``recover_interrupted_write`` puts it back.
    """
    recover_interrupted_write(target)
    for rel in changes:
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise InputError(f"path {rel!r} would escape {target}")
    staging = _make_staging(target)
    try:
        node = staging / _NODE
        shutil.copytree(target, node, symlinks=True)
        for rel, text in sorted(changes.items()):
            path = node / rel
            if text is None or path.is_symlink():  # never write through a link, out of the node
                path.unlink(missing_ok=True)
            if text is None:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        _swap_into_place(staging, target)
    except OSError as error:
        raise NodeforgeError(f"cannot update {target}: {error.strerror or error}; it is unchanged") from None
    finally:
        _remove_staging(staging, target)


def _make_staging(target: Path) -> Path:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        (staging / STAGING_MARKER).write_text(f"{target.name}\n", encoding="utf-8")
    except (FileExistsError, NotADirectoryError):
        raise InputError(f"{target.parent}: expected a folder to write into, found a file") from None
    except OSError as error:
        raise NodeforgeError(f"cannot write into {target.parent}: {error.strerror or error}") from None
    return staging


def _is_ours(folder: Path, target: Path) -> bool:
    """A staging folder nodeforge made for ``target``: marked, and the marker names the target."""
    marker = folder / STAGING_MARKER
    try:
        return marker.is_file() and marker.read_text(encoding="utf-8").strip() == target.name
    except (OSError, UnicodeDecodeError):
        return False


def _remove_staging(staging: Path, target: Path) -> None:
    """Our own staging folder goes; a node parked in it by a failed swap goes back first."""
    retired = staging / _RETIRED
    if retired.is_dir() and not target.exists():
        os.replace(retired, target)
    shutil.rmtree(staging, ignore_errors=True)


def recover_interrupted_write(target: Path) -> None:
    """Undo what a write killed half-way left behind, before anything else touches ``target``.

    Only folders nodeforge created and marked (``.nodeforge-staging`` naming ``target``) are
    touched; a user's own ``.<name>.backup`` folder is never moved or removed. A kill in the middle
    of an overwrite leaves the old node parked in the staging folder and no ``target``: it is put
    back. A staging folder another writer is filling right now is spared (changed in the last minute).
    """
    if not target.parent.is_dir():
        return
    now = time.time()
    for leftover in sorted(target.parent.glob(f".{target.name}.*")):
        if not leftover.is_dir() or not _is_ours(leftover, target):
            continue
        retired = leftover / _RETIRED
        if retired.is_dir() and not target.exists():
            os.replace(retired, target)
        if now - leftover.stat().st_mtime > STAGING_GRACE_SECONDS:
            shutil.rmtree(leftover, ignore_errors=True)


def _swap_into_place(staging: Path, target: Path) -> None:
    node = staging / _NODE
    if not target.exists():
        os.replace(node, target)
        return
    retired = staging / _RETIRED
    os.replace(target, retired)
    os.replace(node, target)
    shutil.rmtree(retired)


def atomic_write_text(path: Path, text: str, *, shared: bool = False) -> None:
    """Replace one file's content atomically (temp file in the same folder + ``os.replace``).

    The temp file is private (0600), which suits state under ``.nodeforge/``; ``shared=True`` gives
    the file the mode a plain ``open()`` would (0644 under the usual umask), for files meant to be read
    by others, such as the HTML report.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        if shared:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(handle, 0o666 & ~umask)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
