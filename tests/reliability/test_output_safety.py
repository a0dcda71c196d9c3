"""Generation never writes outside ``--out``; writes are atomic; ``--force`` is the only way to overwrite."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.gitkit import git_init
from tests.reliability.conftest import Result, assert_one_line_error, files_under, template_generate

Cli = Callable[..., Result]
GOOD = "name: node_ping_effect\nnode_type: effect\noperations: [create]\n"


@pytest.fixture(autouse=True)
def _tmp_path_is_a_git_repository(tmp_path: Path) -> None:
    """nodeforge refuses to run outside a git repository; these tests generate into ``tmp_path``."""
    git_init(tmp_path)


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def test_generation_writes_only_under_out_and_the_state_folder(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(GOOD, encoding="utf-8")
    before = _tree(tmp_path)
    result = cli(*template_generate(tmp_path / "c.yaml", tmp_path / "out", tmp_path))
    assert result.code == 0, result.err
    new = _tree(tmp_path) - before
    assert new and all(p.startswith(("out", ".nodeforge")) for p in new), sorted(new)
    assert not [p for p in new if p.startswith("out/.")]  # no staging folder left behind


def test_existing_node_is_overwritten_only_with_force(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(GOOD, encoding="utf-8")
    argv = template_generate(tmp_path / "c.yaml", tmp_path / "out", tmp_path)
    assert cli(*argv).code == 0
    node = tmp_path / "out" / "node_ping_effect"
    (node / "node.py").write_text("# my edits\n", encoding="utf-8")
    (node / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert_one_line_error(cli(*argv), str(node), "--force")
    assert (node / "node.py").read_text(encoding="utf-8") == "# my edits\n"
    assert cli(*argv, "--dry-run").code == 0  # a dry run writes nothing (it does not warn either: a gap)
    assert (node / "node.py").read_text(encoding="utf-8") == "# my edits\n"
    assert cli(*argv, "--force").code == 0
    assert (node / "node.py").read_text(encoding="utf-8") != "# my edits\n"
    assert not (node / "notes.txt").exists()  # the node is replaced whole, atomically
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["node_ping_effect"]


def test_a_symlinked_node_folder_cannot_redirect_the_write(cli: Cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "node_ping_effect").symlink_to(outside, target_is_directory=True)
    (tmp_path / "c.yaml").write_text(GOOD, encoding="utf-8")
    argv = template_generate(tmp_path / "c.yaml", out, tmp_path, "--force")
    assert_one_line_error(cli(*argv), "outside")
    assert files_under(outside) == []


def test_dry_run_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(GOOD, encoding="utf-8")
    result = cli(*template_generate(tmp_path / "c.yaml", tmp_path / "out", tmp_path, "--dry-run"))
    assert result.code == 0 and "would write" in result.out
    assert files_under(tmp_path / "out") == []
