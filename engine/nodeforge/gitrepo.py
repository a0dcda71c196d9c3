"""Every git call nodeforge makes: commands, a commit's files and blobs, the working tree's blob ids.

Light on purpose (standard library only): the post-commit hook imports it in the commit's time.

Content identity comes from git's own blob ids. A file git tracks and the working tree has not
changed is named by the id in the index (no read at all); a changed or untracked file is hashed
by ``git hash-object`` (with the repository's filters, so the id equals the one a commit of that
content gets). Outside a git repository the id is computed here, as git computes it unfiltered.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_SUBMODULE = "160000"
_SYMLINK = "120000"


def run_git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Run git in ``repo``; its stdout as bytes. Raises CalledProcessError on failure."""
    return subprocess.run(["git", *args], cwd=repo, input=stdin, capture_output=True, check=True).stdout


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` and return its stdout as text; raises CalledProcessError on failure."""
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def _split_z(output: bytes) -> list[str]:
    return [os.fsdecode(name) for name in output.split(b"\0") if name]


def changed_files(repo: Path, commit: str, since: str = "") -> list[str]:
    """Files ``commit`` brought, repo-relative: against ``since`` when it resolves, else its first parent.

    The first parent, not ``git diff-tree <commit>``: that prints nothing for a merge commit, so
    nodes arriving by merge or pull were never seen. After a fast-forward pull or a rebase the hook
    passes ``since=ORIG_HEAD`` (where HEAD was before): every commit that arrived counts.
    """
    base = since if since and _resolves(repo, since) else f"{commit}^1"
    if not _resolves(repo, base):  # a root commit: everything in it is new
        output = git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", "--root", "-z", commit)
    else:
        output = git(repo, "diff", "--name-only", "--no-renames", "-z", base, commit)
    return [name for name in output.split("\0") if name]


def _resolves(repo: Path, revision: str) -> bool:
    command = ["git", "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"]
    done = subprocess.run(command, cwd=repo, capture_output=True, check=False)
    return done.returncode == 0


@dataclass(frozen=True)
class TreeBlob:
    path: str  # relative to the repository's top level, posix
    oid: str
    mode: str


def tree_blobs(repo: Path, revision: str, paths: Sequence[str] = ()) -> list[TreeBlob]:
    """The blobs (files) of ``revision`` under ``paths``, from one ``git ls-tree``."""
    listing = run_git(repo, "ls-tree", "-r", "-z", "--full-tree", revision, "--", *paths)
    blobs = []
    for entry in filter(None, listing.split(b"\0")):
        meta, _, name = entry.partition(b"\t")
        mode, kind, oid = meta.decode().split()
        if kind == "blob":
            blobs.append(TreeBlob(os.fsdecode(name), oid, mode))
    return blobs


def cat_blobs(repo: Path, oids: Sequence[str]) -> list[bytes]:
    """The bytes of ``oids``, in order, from one ``git cat-file --batch``."""
    if not oids:
        return []
    output = run_git(repo, "cat-file", "--batch", stdin="".join(f"{oid}\n" for oid in oids).encode())
    contents: list[bytes] = []
    position = 0
    for _ in oids:
        header_end = output.index(b"\n", position)
        size = int(output[position:header_end].split()[2])
        start = header_end + 1
        contents.append(output[start : start + size])
        position = start + size + 1  # the newline after each object
    return contents


def blob_id(data: bytes) -> str:
    """The id git gives a blob of ``data`` (no filters): sha1 over ``blob <size>\\0`` and the bytes."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def content_digest(entries: Iterable[tuple[str, str]]) -> str:
    """The content hash of a node: sha256 over each (relative posix path, blob id), in the given order.

    The order is the caller's (``sorted`` over Paths, as ``nodes`` lists files), so that the
    working tree's hash and a commit's hash of the same files are equal.
    """
    digest = hashlib.sha256()
    for name, oid in entries:
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(oid.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class WorkingTree:
    """The files of a working tree below a folder, with the blob id of their bytes now.

    Tracked files still present and untracked files git does not ignore; ignored files are not
    part of any node's content (a commit cannot hold them).
    """

    names: tuple[str, ...]  # absolute posix paths, sorted (so a folder's files are one range)
    oids: dict[str, str]  # absolute posix path -> blob id

    def files_under(self, folder: Path) -> list[Path]:
        """The files below ``folder``, at any depth."""
        prefix = folder.as_posix().rstrip("/") + "/"
        start = bisect.bisect_left(self.names, prefix)
        found = []
        for name in self.names[start:]:
            if not name.startswith(prefix):
                break
            found.append(Path(name))
        return found

    def oid(self, path: Path) -> str | None:
        return self.oids.get(path.as_posix())


def working_tree(repo: Path, *under: Path) -> WorkingTree | None:
    """The working tree's files below the folders or files ``under`` (default: ``repo``); None outside git.

    Three git calls whatever the size: the top level, the index (``ls-files -s``), and what differs
    from it (``status``, which also refreshes stale stat data so the next call is quick). Changed and
    untracked files are then hashed by one ``git hash-object --stdin-paths``.
    """
    try:
        top = Path(run_git(repo, "rev-parse", "--show-toplevel").decode().strip())
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    spec = [os.fsdecode(path.resolve()) for path in under or (repo,)]
    oids = _index_blobs(top, spec)
    to_hash = _differing_files(top, spec, oids)
    oids.update(
        _hash_files([name for name in to_hash if os.path.isfile(name) and not os.path.islink(name)], top)
    )
    return WorkingTree(tuple(sorted(oids)), oids)


def _index_blobs(top: Path, spec: Sequence[str]) -> dict[str, str]:
    """Absolute posix path -> blob id of every file in the index under ``spec``."""
    oids: dict[str, str] = {}
    for entry in filter(None, run_git(top, "ls-files", "-s", "-z", "--", *spec).split(b"\0")):
        meta, _, name = entry.partition(b"\t")
        mode, oid, _stage = meta.decode().split()
        if mode not in (_SUBMODULE, _SYMLINK):
            oids[(top / os.fsdecode(name)).as_posix()] = oid
    return oids


def _differing_files(top: Path, spec: Sequence[str], oids: dict[str, str]) -> list[str]:
    """The files whose bytes the index does not name (changed, untracked); deleted ones leave ``oids``."""
    status = run_git(
        top, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", *spec
    )
    differing = []
    for entry in _split_z(status):
        code, name = entry[:2], (top / entry[3:]).as_posix()
        if code[1] == "D" or code == "D ":
            oids.pop(name, None)  # gone from the working tree (or from the index)
        elif code == "??" or code[1] != " " or "U" in code:
            differing.append(name)
    return differing


def _hash_files(names: Sequence[str], top: Path) -> dict[str, str]:
    """Blob ids of files on disk, by ``git hash-object`` (one call; a name with a newline: here)."""
    oids = {name: blob_id(Path(name).read_bytes()) for name in names if "\n" in name}
    batch = [name for name in names if name not in oids]
    if batch:
        hashed = run_git(top, "hash-object", "--stdin-paths", stdin="".join(f"{n}\n" for n in batch).encode())
        oids.update(zip(batch, hashed.decode().split(), strict=True))
    return oids
