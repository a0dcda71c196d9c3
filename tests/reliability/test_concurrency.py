"""Several processes learning and generating against one embedded store at once.

The store lock lets one process in at a time; the others wait (bounded) or spool their patterns for
the next opener (``engine/nodeforge/storage/spool.py``). Whatever the interleaving: every process exits 0, and
the store ends with exactly the patterns a single learn stores, no duplicate.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reliability.conftest import Result, files_under, nodes_of, start_nodeforge, stored

Cli = Callable[..., Result]
CONTRACT = "name: node_ping_{i}_effect\nnode_type: effect\noperations: [create, get]\n"


@pytest.mark.slow
def test_concurrent_learns_and_generates_lose_nothing(
    cli: Cli, team: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    reference = tmp_path_factory.mktemp("ref") / "team"
    shutil.copytree(team, reference, symlinks=True)
    assert cli("learn", "--all", "--no-test-gate", "--no-embed", "--repo", reference).code == 0
    expected = sorted(p.id for p in stored(reference))

    first, second = nodes_of(team)
    for i in range(2):
        (team / f"c{i}.yaml").write_text(CONTRACT.format(i=i), encoding="utf-8")
    processes = [
        start_nodeforge("learn", first, "--no-test-gate", "--no-embed", "--repo", team, cwd=team),
        start_nodeforge("learn", second, "--no-test-gate", "--no-embed", "--repo", team, cwd=team),
        start_nodeforge(
            "learn", "--all", "--no-test-gate", "--no-embed", "--force", "--repo", team, cwd=team
        ),
        start_nodeforge("generate", team / "c0.yaml", "--out", team / "out", "--repo", team, cwd=team),
        start_nodeforge("generate", team / "c1.yaml", "--out", team / "out", "--repo", team, cwd=team),
    ]
    results = [(p.args, *p.communicate(timeout=180), p.returncode) for p in processes]
    for args, out, err, code in results:
        assert code == 0, (args, out, err)
        assert "Traceback" not in err
    ids = [p.id for p in stored(team)]  # opening ingests anything spooled
    assert sorted(ids) == expected
    assert len(ids) == len(set(ids))
    assert not list((team / ".nodeforge" / "spool").glob("*.jsonl"))
    for i in range(2):
        assert "node.py" in files_under(team / "out" / f"node_ping_{i}_effect")
