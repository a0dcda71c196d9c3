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


def write_node(target: Path, files: dict[str, str], *, force: bool) -> list[Path]:
    """Write all ``files`` under ``target`` or nothing at all.

    The node is assembled in a temporary sibling folder and moved into place with one rename, so a
    crash leaves either the old state or the complete new node. An existing folder is replaced only
    with ``force``.
    """
    recover_interrupted_write(target)
    if target.exists() and not force:
        raise InputError(f"{target} exists; use --force to overwrite it")
    for rel in files:
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise InputError(f"generated path {rel!r} would escape {target}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except (FileExistsError, NotADirectoryError):
        raise InputError(f"{target.parent}: expected a folder to write into, found a file") from None
    except OSError as error:
        raise NodeforgeError(f"cannot write into {target.parent}: {error.strerror or error}") from None
    try:
        for rel, text in sorted(files.items()):
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        _swap_into_place(staging, target)
    except OSError as error:
        # Disk full, permissions, a read-only mount: the staging folder goes, nothing is left behind.
        raise NodeforgeError(
            f"cannot write {target}: {error.strerror or error}; nothing was written"
        ) from None
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return [target / rel for rel in sorted(files)]


def recover_interrupted_write(target: Path) -> None:
    """Undo what a write killed half-way left behind, before anything else touches ``target``.

    A kill between the two renames of an overwrite leaves ``.<name>.old`` and no ``<name>``: the old
    node is put back. A kill while staging leaves a ``.<name>.<random>`` folder: it is removed. A
    staging folder another writer is filling right now is spared (it changed in the last minute).
    """
    retired = target.with_name(f".{target.name}.old")
    if retired.is_dir():
        if target.exists():
            shutil.rmtree(retired)
        else:
            os.replace(retired, target)
    if not target.parent.is_dir():
        return
    now = time.time()
    for leftover in target.parent.glob(f".{target.name}.*"):
        if leftover.is_dir() and now - leftover.stat().st_mtime > STAGING_GRACE_SECONDS:
            shutil.rmtree(leftover, ignore_errors=True)


STAGING_GRACE_SECONDS = 60


def _swap_into_place(staging: Path, target: Path) -> None:
    if not target.exists():
        os.replace(staging, target)
        return
    retired = target.with_name(f".{target.name}.old")
    if retired.exists():
        shutil.rmtree(retired)
    os.replace(target, retired)
    os.replace(staging, target)
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
