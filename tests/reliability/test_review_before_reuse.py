"""Dangerous learned code is held for review: listed with its reason, never used by generate until
approved, retired when rejected, and shown as held in the HTML catalogue."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from nodeforge.model import PatternKind, PatternStatus
from tests.reliability.conftest import Result, nodes_of, stored

Cli = Callable[..., Result]


def _learn_a_handler_that_shells_out(cli: Cli, team: Path) -> Path:
    node = nodes_of(team)[0]
    handler = sorted((node / "handlers").glob("handler_*.py"))[0]
    text, count = re.subn(
        r"(\n(\s+)(async )?def (handle|execute)\([^\n]*\n)",
        r"\1\2    import os\n\2    os.system('echo ' + str(request))\n",
        handler.read_text(encoding="utf-8"),
        count=1,
    )
    assert count == 1
    handler.write_text(text, encoding="utf-8")
    result = cli("learn", node, "--no-test-gate", "--no-embed", "--repo", team)
    assert result.code == 0, result.err
    assert "held for review" in result.out.splitlines()[0]
    return node


def test_held_code_is_listed_never_generated_and_decided_by_a_person(cli: Cli, team: Path) -> None:
    node = _learn_a_handler_that_shells_out(cli, team)
    held = [p for p in stored(team) if p.status is PatternStatus.HELD]
    assert held and all("os.system() shells out" in p.extra["held_reason"] for p in held)

    review = cli("patterns", "review", "--repo", team)
    assert review.code == 0
    assert all(p.id in review.out for p in held) and "os.system() shells out" in review.out

    out = team / "generated"
    generated = cli("generate", node / "contract.yaml", "--out", out, "--repo", team, "--explain")
    assert generated.code == 0, generated.err
    assert "os.system" not in "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.py"))
    assert "held back for review" in generated.out

    first, *rest = held
    assert cli("patterns", "approve", first.id, "--repo", team).code == 0
    assert {p.id: p.status for p in stored(team)}[first.id] is PatternStatus.UNVERIFIED  # learned ungated
    for pattern in rest:
        assert cli("patterns", "reject", pattern.id, "--repo", team).code == 0
        assert {p.id: p.status for p in stored(team)}[pattern.id] is PatternStatus.RETIRED
    again = cli("patterns", "approve", first.id, "--repo", team)
    assert again.code == 2 and "not held" in again.err


def test_the_catalogue_shows_held_patterns(cli: Cli, team: Path) -> None:
    _learn_a_handler_that_shells_out(cli, team)
    page = team / "catalogue.html"

    assert cli("report", "--html", page, "--repo", team).code == 0

    assert 'class="badge status-held"' in page.read_text(encoding="utf-8")


def test_a_test_that_shells_out_leaves_the_exemplar_not_the_node_held(cli: Cli, team: Path) -> None:
    node = nodes_of(team)[0]
    test_file = sorted((node / "tests").glob("test_*.py"))[0]
    with test_file.open("a", encoding="utf-8") as out:
        out.write("\n\ndef test_the_cli_answers() -> None:\n    import subprocess\n\n")
        out.write("    subprocess.run(['git', '--version'], check=True)\n")
    assert cli("learn", node, "--no-test-gate", "--no-embed", "--repo", team).code == 0

    patterns = stored(team)
    (exemplar,) = [p for p in patterns if p.kind is PatternKind.EXEMPLAR]
    assert exemplar.status is not PatternStatus.HELD
    assert not any("subprocess" in d.code for d in exemplar.dependencies)
    assert any(d.origin.startswith("handlers/") for d in exemplar.dependencies)
    (left_out,) = exemplar.extra["left_out"].split("; ")
    assert left_out.startswith("tests/test_") and "subprocess.run() starts a process" in left_out
    # Whatever else was mined from that test still waits for a person.
    assert all(p.status is PatternStatus.HELD for p in patterns if "subprocess.run" in p.code)


def test_a_team_decides_on_a_call_once_for_every_pattern_holding_only_it(cli: Cli, team: Path) -> None:
    _learn_a_handler_that_shells_out(cli, team)
    held = [p.id for p in stored(team) if p.status is PatternStatus.HELD]
    review = cli("patterns", "review", "--repo", team)
    assert f"held, by call: os.system() {len(held)}" in review.out

    other = cli("patterns", "approve", "--call", "subprocess.run", "--repo", team)
    assert other.code == 0 and "0 held pattern(s)" in other.out
    assert cli("patterns", "approve", "--repo", team).code == 2  # neither an ID nor a call
    assert cli("patterns", "approve", held[0], "--call", "os.system", "--repo", team).code == 2

    approved = cli("patterns", "approve", "--call", "os.system", "--call", "eval", "--repo", team)
    assert approved.code == 0 and f"{len(held)} held pattern(s)" in approved.out
    statuses = {p.id: p.status for p in stored(team)}
    assert {statuses[i] for i in held} == {PatternStatus.UNVERIFIED}  # as learned without the gate


def test_calls_the_team_reviewed_in_its_settings_are_not_held(cli: Cli, team: Path) -> None:
    pyproject = team / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        text.replace("[tool.nodeforge]\n", '[tool.nodeforge]\nreviewed_calls = ["os.system"]\n'),
        encoding="utf-8",
    )
    node = nodes_of(team)[0]
    handler = sorted((node / "handlers").glob("handler_*.py"))[0]
    handler.write_text(
        handler.read_text(encoding="utf-8") + "\n\ndef _ping(host: str) -> int:\n"
        "    import os\n\n    return os.system('ping -c 1 ' + host)\n",
        encoding="utf-8",
    )
    assert cli("learn", node, "--no-test-gate", "--no-embed", "--repo", team).code == 0

    patterns = stored(team)
    assert any("os.system" in d.code for p in patterns for d in p.dependencies)  # learned, and
    assert not [p for p in patterns if p.status is PatternStatus.HELD]  # nothing waits for a person
