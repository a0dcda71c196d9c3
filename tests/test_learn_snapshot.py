"""What learning keeps from our fixture repositories, pinned: speed work must not change a result.

``tests/data/learn_snapshot.json`` holds, for ``examples/team_repo`` (with the secret corpus of
``tests/fixtures/secrets`` planted in its user node, so the secret gate has work) and a generated
repository, every pattern that mining and the gates keep (id, which covers the generalized code and its
dependencies; kind, slot, status, quality, confidence, provenance lines) and every gate decision
(skipped with why, secrets blocked, held). A change that means to alter what is learned rewrites
it on purpose and says why:

    python tests/test_learn_snapshot.py --write
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))

from nodeforge.learning.learn import MineTask, mine_and_gate  # noqa: E402
from nodeforge.learning.nodes import discover  # noqa: E402
from nodeforge.model import PatternStatus  # noqa: E402
from tests.fixtures.repo_factory import EXAMPLE_REPO, build_repo  # noqa: E402

SNAPSHOT = ROOT / "tests" / "data" / "learn_snapshot.json"
SECRETS = ROOT / "tests" / "fixtures" / "secrets"


# A handler that shells out: learned, but held for review (the danger gate).
_HAZARDOUS = '''"""Export users through the team's shell tool."""

import subprocess


class HandlerUserExport:
    """Export the users a request names."""

    async def handle(self, request: object) -> str:
        """Run the export tool on the request's target."""
        done = subprocess.run(["export-users", str(request)], capture_output=True, text=True, check=True)
        return done.stdout
'''


def _committed(repo: Path) -> Path:
    author = ["-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "-A"], [*author, "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    return repo


def _digest(repo: Path) -> list[dict[str, Any]]:
    nodes = []
    for node in discover(repo):
        task = MineTask(node, PatternStatus.UNVERIFIED, "c0ffee", "2026-01-01T00:00:00+00:00", 0.8)
        done = mine_and_gate(task)
        nodes.append(
            {
                "node": node.key,
                "files": [[f.path, f.status, f.patterns] for f in done.files],
                "kept": [
                    [
                        p.id,
                        p.kind.value,
                        p.slot,
                        p.status.value,
                        p.quality,
                        p.confidence,
                        p.provenance.start_line,
                        p.provenance.end_line,
                    ]
                    for p in done.kept
                ],
                "skipped": sorted([label, str(reason)] for label, reason in done.gate.skipped),
                "secrets_blocked": done.gate.secrets_blocked,
                "held": done.gate.held,
            }
        )
    return nodes


def snapshot() -> dict[str, list[dict[str, Any]]]:
    with tempfile.TemporaryDirectory(prefix="nodeforge-snapshot-") as tmp:
        team = Path(shutil.copytree(EXAMPLE_REPO, Path(tmp) / "team"))
        planted = team / "src" / "teamapp" / "nodes" / "node_user_effect" / "handlers"
        for corpus in ("leaky", "clean"):
            for source in sorted((SECRETS / corpus).glob("*.py")):
                shutil.copyfile(source, planted / f"{corpus}_{source.name}")
        (planted / "handler_user_export.py").write_text(_HAZARDOUS, encoding="utf-8")
        _committed(team)
        generated = Path(tmp) / "generated"
        generated.mkdir()
        build_repo(generated, 6, seed=5)
        return {"team_repo": _digest(team), "generated": _digest(_committed(generated))}


def test_learning_keeps_exactly_the_pinned_patterns() -> None:
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert json.loads(json.dumps(snapshot())) == expected


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit(__doc__)
    SNAPSHOT.parent.mkdir(exist_ok=True)
    SNAPSHOT.write_text(json.dumps(snapshot(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
