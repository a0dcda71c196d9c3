"""What each owned file becomes in ``nodeforge update``: every case of base / yours / generated now,
merged by the real ``git merge-file``."""

from __future__ import annotations

from pathlib import Path

import pytest

from nodeforge.generation.threeway import FileStatus, merge_text, update_file

BASE = "one\ntwo\nthree\nfour\nfive\n"
THEIRS = "one (new)\ntwo\nthree\nfour\nfive\n"  # generation changed the first line
OURS = "one\ntwo\nthree\nfour\nfive (mine)\n"  # a hand edit of the last line


@pytest.mark.parametrize(
    ("base", "ours", "theirs", "status", "text"),
    [
        (BASE, BASE, THEIRS, FileStatus.UPDATED, THEIRS),
        (BASE, OURS, BASE, FileStatus.UNCHANGED, None),
        (BASE, THEIRS, THEIRS, FileStatus.UNCHANGED, None),
        (BASE, OURS, THEIRS, FileStatus.MERGED, "one (new)\ntwo\nthree\nfour\nfive (mine)\n"),
        (None, None, THEIRS, FileStatus.ADDED, THEIRS),
        (BASE, BASE, None, FileStatus.REMOVED, None),
        (BASE, OURS, None, FileStatus.KEPT, None),
        (BASE, None, THEIRS, FileStatus.KEPT, None),
        (BASE, None, BASE, FileStatus.UNCHANGED, None),
    ],
)
def test_each_case(
    tmp_path: Path,
    base: str | None,
    ours: str | None,
    theirs: str | None,
    status: FileStatus,
    text: str | None,
) -> None:
    update = update_file("f.py", base, ours, theirs, name="node/f.py", cwd=tmp_path)
    assert update.status is status
    assert update.text == text
    assert update.status.writes == (text is not None)


def test_a_conflict_keeps_both_sides_between_standard_markers(tmp_path: Path) -> None:
    mine = "one (mine)\ntwo\nthree\nfour\nfive\n"
    update = update_file("f.py", BASE, mine, THEIRS, name="node/f.py", cwd=tmp_path)
    assert update.status is FileStatus.CONFLICT and update.conflicts == 1
    assert update.text == (
        "<<<<<<< node/f.py (yours)\none (mine)\n=======\none (new)\n>>>>>>> node/f.py (generated now)\n"
        "two\nthree\nfour\nfive\n"
    )


def test_a_file_generation_now_writes_over_one_of_yours_merges_from_nothing(tmp_path: Path) -> None:
    merged, conflicts = merge_text("mine\n", "", "theirs\n", name="node/f.py", cwd=tmp_path)
    assert conflicts == 1 and "mine\n" in merged and "theirs\n" in merged
