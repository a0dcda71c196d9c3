"""One generated file brought forward: the change generation made, merged into the file as edited here.

Three versions of each file the node owns: **base** (as it was generated, ``generation.pristine``),
**ours** (on disk now, perhaps edited by hand) and **theirs** (as it would be generated now). The
text merge is git's own (``git merge-file``): a clean merge, or the standard conflict markers.
"""

from __future__ import annotations

import enum
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nodeforge.errors import NodeforgeError


class FileStatus(enum.StrEnum):
    UNCHANGED = "unchanged"  # nothing to do (or only edits made here)
    UPDATED = "updated"  # not edited here: takes the new generation as it is
    MERGED = "merged"  # edited here and by generation: merged cleanly
    CONFLICT = "conflict"  # merged, with conflict markers to resolve
    ADDED = "added"  # generation writes it now, and it was not here
    REMOVED = "removed"  # generation no longer writes it, and it was not edited here
    KEPT = "kept"  # generation changed or dropped it, but it was deleted or edited here: left alone

    @property
    def writes(self) -> bool:
        return self in {FileStatus.UPDATED, FileStatus.MERGED, FileStatus.CONFLICT, FileStatus.ADDED}


@dataclass(frozen=True)
class FileUpdate:
    path: str  # node-relative, posix
    status: FileStatus
    text: str | None = None  # what the file becomes when ``status.writes``
    conflicts: int = 0
    note: str = ""


def merge_text(ours: str, base: str, theirs: str, *, name: str, cwd: Path) -> tuple[str, int]:
    """``git merge-file -p``: the merged text and how many conflicts it holds (markers left in)."""
    with tempfile.TemporaryDirectory(prefix="nodeforge-merge-") as folder:
        paths = []
        for label, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(folder) / label
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        labels = (f"{name} (yours)", f"{name} (as generated)", f"{name} (generated now)")
        command = ["git", "merge-file", "-p", *(arg for label in labels for arg in ("-L", label)), *paths]
        done = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    # The exit status is the number of conflicts (at most 127); a negative one (255) is an error.
    if done.returncode < 0 or done.returncode > 127:
        raise NodeforgeError(
            f"git merge-file failed on {name}: {done.stderr.decode(errors='replace').strip()}"
        )
    return done.stdout.decode("utf-8"), done.returncode


def update_file(
    rel: str, base: str | None, ours: str | None, theirs: str | None, *, name: str, cwd: Path
) -> FileUpdate:
    """What one owned file becomes. None: the file is absent (from the base, the disk, or now)."""
    if ours == theirs:
        return FileUpdate(rel, FileStatus.UNCHANGED)
    if theirs is None:
        if ours == base:
            return FileUpdate(rel, FileStatus.REMOVED)
        return FileUpdate(rel, FileStatus.KEPT, note="no longer generated, but edited here: left as it is")
    if ours is None:
        if base is None:
            return FileUpdate(rel, FileStatus.ADDED, theirs)
        if base == theirs:
            return FileUpdate(rel, FileStatus.UNCHANGED, note="deleted here: stays deleted")
        return FileUpdate(rel, FileStatus.KEPT, note="deleted here, changed by generation: left deleted")
    if ours == base:
        return FileUpdate(rel, FileStatus.UPDATED, theirs)
    if base == theirs:
        return FileUpdate(rel, FileStatus.UNCHANGED)
    # A file generation now writes that was already here (base None) merges from an empty base.
    merged, conflicts = merge_text(ours, base or "", theirs, name=name, cwd=cwd)
    status = FileStatus.CONFLICT if conflicts else FileStatus.MERGED
    return FileUpdate(rel, status, merged, conflicts)
