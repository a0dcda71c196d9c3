"""The autouse guard of ``tests/conftest.py`` sees what a test writes under a home.

Run on a stand-in home (a test must not write under the real one to prove the point): the same
snapshot and comparison the guard runs on the real home after every test.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import REAL_HOME, home_changes, home_snapshot


def test_the_guard_watches_the_home_the_tests_started_with() -> None:
    assert Path.home() != REAL_HOME  # the autouse fixture pointed HOME away
    assert os.environ["HOME"] == str(Path.home())


def test_a_new_state_folder_is_reported(tmp_path: Path) -> None:
    before = home_snapshot(tmp_path)
    (tmp_path / ".nodeforge").mkdir()
    (tmp_path / ".nodeforge" / "verdicts.json").write_text("{}", encoding="utf-8")
    assert home_changes(before, home_snapshot(tmp_path)) == [
        str(tmp_path / ".nodeforge"),
        str(tmp_path / ".nodeforge" / "verdicts.json"),
    ]


def test_a_rewritten_cache_file_and_a_nodeforge_named_entry_are_reported(tmp_path: Path) -> None:
    model = tmp_path / ".cache" / "huggingface" / "model.bin"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"old")
    before = home_snapshot(tmp_path)
    os.utime(model, ns=(1, 1))
    (tmp_path / "nodeforge-undo.json").write_text("[]", encoding="utf-8")
    assert home_changes(before, home_snapshot(tmp_path)) == [
        str(model),
        str(tmp_path / "nodeforge-undo.json"),
    ]


def test_other_programs_files_are_not_watched(tmp_path: Path) -> None:
    before = home_snapshot(tmp_path)
    (tmp_path / ".cache" / "pip").mkdir(parents=True)
    (tmp_path / ".bashrc").write_text("", encoding="utf-8")
    assert home_changes(before, home_snapshot(tmp_path)) == []
