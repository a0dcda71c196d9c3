"""Team templates cannot reach outside their folder, nor render without bound."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from nodeforge.errors import InputError
from nodeforge.generation import templating
from nodeforge.generation.templating import render_limited, sandboxed_environment
from tests.gitkit import git_init
from tests.reliability.conftest import Result, assert_one_line_error, files_under, template_generate

Cli = Callable[..., Result]
GOOD = "name: node_ping_effect\nnode_type: effect\noperations: [create]\n"


@pytest.fixture
def team_templates(tmp_path: Path) -> Path:
    folder = tmp_path / "repo" / "templates"
    folder.mkdir(parents=True)
    git_init(folder.parent)  # nodeforge runs only inside a git repository
    (tmp_path / "repo" / "pyproject.toml").write_text(
        '[tool.nodeforge]\ntemplates_dir = "templates"\n', encoding="utf-8"
    )
    (tmp_path / "outside.txt").write_text("root:x:0:0:FAKE-PASSWD-LINE\n", encoding="utf-8")
    return folder


def test_an_include_through_a_symlink_out_of_the_folder_is_refused(
    cli: Cli, team_templates: Path, tmp_path: Path
) -> None:
    (team_templates / "leak.txt").symlink_to(tmp_path / "outside.txt")
    (team_templates / "node.py.j2").write_text('{% include "leak.txt" %}\n', encoding="utf-8")
    (tmp_path / "c.yaml").write_text(GOOD, encoding="utf-8")
    repo = team_templates.parent

    result = cli(*template_generate(tmp_path / "c.yaml", tmp_path / "out", repo))

    assert_one_line_error(result, "leak.txt", "outside the templates folder")
    assert files_under(tmp_path / "out") == []
    assert "FAKE-PASSWD-LINE" not in result.out + result.err


def test_a_symlinked_template_and_a_link_within_the_folder(team_templates: Path, tmp_path: Path) -> None:
    (team_templates / "evil.j2").symlink_to(tmp_path / "outside.txt")
    (team_templates / "real.j2").write_text("inside {{ 1 + 1 }}\n", encoding="utf-8")
    (team_templates / "alias.j2").symlink_to(team_templates / "real.j2")
    env = sandboxed_environment(team_templates)

    with pytest.raises(InputError, match="outside the templates folder"):
        env.get_template("evil.j2")
    assert render_limited(env.get_template("alias.j2"), {}) == "inside 2\n"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{{ "x" * 10**9 }}', "over"),
        ("{% set n = 100000 %}{{ 7 ** n }}", "exponent 100000 is over"),
        ('{% for i in range(100000) %}{{ "y" * 100 }}{% endfor %}', "over 2000000 characters"),
        ("{% for i in range(10**9) %}{% endfor %}", "Range too big"),
    ],
    ids=["huge string", "huge power", "huge output", "huge range"],
)
def test_runaway_templates_end_in_a_clear_error(team_templates: Path, text: str, needle: str) -> None:
    (team_templates / "t.j2").write_text(text, encoding="utf-8")
    env = sandboxed_environment(team_templates)

    with pytest.raises(InputError, match=f"t.j2: .*{needle}"):
        render_limited(env.get_template("t.j2"), {})


def test_a_silent_endless_loop_is_stopped_by_the_time_limit(
    team_templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(templating, "RENDER_SECONDS", 0.3)
    loops = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    (team_templates / "slow.j2").write_text(loops, encoding="utf-8")
    env = sandboxed_environment(team_templates)

    with pytest.raises(InputError, match=r"slow\.j2: rendering took over 0 s; stopped"):
        render_limited(env.get_template("slow.j2"), {})
