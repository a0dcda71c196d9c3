"""``patterns import`` is a learning path: forged lines meet the same gates as learned code.

A team repo is learned for real and exported; forged or broken lines are added to that export and
imported into a fresh repo. Nothing forged is stored as written: ids come from the content,
counters and status start over (unless ``--trust-counters``), secrets and bad code are refused,
and every bad line is reported with its number, never a traceback.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from nodeforge.model import PatternStatus
from tests.reliability.conftest import Result, nodes_of, stored

Cli = Callable[..., Result]
FAKE_AWS_ID = "AKIA" + "FAKEEXAMPLE00000"


@pytest.fixture
def export(cli: Cli, team: Path) -> list[dict[str, object]]:
    assert cli("learn", nodes_of(team)[0], "--no-test-gate", "--no-embed", "--repo", team).code == 0
    path = team / "export.jsonl"
    assert cli("patterns", "export", path, "--repo", team).code == 0
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines
    return lines


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    repo = tmp_path / "fresh"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    return repo


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def forged(original: dict[str, object], **changes: object) -> str:
    return json.dumps({**original, **changes})


def test_forged_counters_and_status_are_ignored_unless_trusted(
    cli: Cli, export: list[dict[str, object]], fresh: Path
) -> None:
    line = forged(export[0], usage_count=999, success_count=999, failure_count=0, status="active", support=50)
    path = write(fresh.parent / "forged.jsonl", [line])

    result = cli("patterns", "import", path, "--repo", fresh)

    assert result.code == 0, result.out + result.err
    (pattern,) = stored(fresh)
    assert (pattern.usage_count, pattern.success_count, pattern.support) == (0, 0, 1)
    assert pattern.status is PatternStatus.UNVERIFIED

    trusted = fresh.parent / "trusted"
    subprocess.run(["git", "init", "-q", "-b", "main", str(trusted)], check=True)
    assert cli("patterns", "import", path, "--trust-counters", "--repo", trusted).code == 0
    (kept,) = stored(trusted)
    assert (kept.usage_count, kept.success_count) == (999, 999)


def test_ids_are_recomputed_so_a_forged_id_cannot_replace_another_pattern(
    cli: Cli, export: list[dict[str, object]], fresh: Path
) -> None:
    first, second = export[0], export[1]
    path = write(fresh.parent / "ids.jsonl", [json.dumps(first), forged(second, id=first["id"])])

    result = cli("patterns", "import", path, "--repo", fresh)

    assert result.code == 0, result.out + result.err
    assert {p.id for p in stored(fresh)} == {first["id"], second["id"]}
    assert "1 id(s) recomputed from content" in result.out


def test_a_secret_in_an_imported_line_is_refused_and_named_by_line(
    cli: Cli, export: list[dict[str, object]], fresh: Path
) -> None:
    code = str(export[0]["code"]) + f'\n_KEY = "{FAKE_AWS_ID}"\n'
    path = write(fresh.parent / "secret.jsonl", [json.dumps(export[1]), forged(export[0], code=code)])

    result = cli("patterns", "import", path, "--repo", fresh)

    assert result.code == 1
    assert "  refused: line 2: secret (aws_access_key_id)" in result.out
    assert FAKE_AWS_ID not in result.out + result.err
    assert [p.id for p in stored(fresh)] == [export[1]["id"]]


def test_bad_lines_are_reported_one_by_one_and_good_lines_still_import(
    cli: Cli, export: list[dict[str, object]], fresh: Path
) -> None:
    good = export[0]
    missing = {k: v for k, v in good.items() if k != "slot"}
    lines = [
        "{not json",
        "[1, 2, 3]",
        json.dumps(missing),
        forged(good, kind="nonsense"),
        forged(good, usage_count=-3),
        forged(good, quality=7),
        forged(good, provenance="nowhere"),
        forged(good, code="def broken(:\n"),
        json.dumps(good),
    ]
    path = write(fresh.parent / "bad.jsonl", lines)

    result = cli("patterns", "import", path, "--repo", fresh)

    assert result.code == 1
    assert "Traceback" not in result.out + result.err
    refused = [line for line in result.out.splitlines() if line.startswith("  refused: ")]
    assert [line.split()[2] for line in refused] == [f"{n}:" for n in range(1, 9)]
    assert "not JSON" in refused[0] and "a JSON list" in refused[1] and "'slot'" in refused[2]
    assert [p.id for p in stored(fresh)] == [good["id"]]
    assert result.out.startswith("nodeforge: imported 1 new, merged 0, refused 8")


def test_an_undecodable_file_is_one_clean_error(cli: Cli, fresh: Path) -> None:
    path = fresh.parent / "binary.jsonl"
    path.write_bytes(b"\xff\xfe\x00garbage")

    result = cli("patterns", "import", path, "--repo", fresh)

    assert result.code == 2
    assert "not a UTF-8 JSON-lines export" in result.err
    assert "Traceback" not in result.err
