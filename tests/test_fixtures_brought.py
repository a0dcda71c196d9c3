"""A reused test's fixtures from a conftest it can no longer see, brought into the node's conftest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nodeforge.generation.fixtures import bring_fixtures, copied, requested_fixtures

SHARED_CONFTEST = '''\
"""Shared fixtures."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

DEFAULT_GROUP = "team-test"


def _group() -> str:
    return os.environ.get("GROUP", DEFAULT_GROUP)


@pytest.fixture
def bus_home(tmp_path: Path) -> Path:
    return tmp_path / "bus"


@pytest.fixture
def event_bus(bus_home: Path) -> dict[str, str]:
    return {"group": _group(), "home": str(bus_home)}


@pytest.fixture(autouse=True)
def _team_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAM_HOME", "/srv/team")


@pytest.fixture
def unrelated() -> str:
    return json.dumps({})
'''

TEST = """\
from __future__ import annotations


import os


class TestRefund:
    def test_bus(self, event_bus: dict[str, str], tmp_path) -> None:
        assert event_bus["group"] == "team-test"
        assert os.environ["TEAM_HOME"] == "/srv/team"  # the shared conftest's autouse fixture
"""


def _repo(tmp_path: Path) -> Path:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text(SHARED_CONFTEST, encoding="utf-8")
    (tmp_path / "src" / "app" / "nodes").mkdir(parents=True)
    return tmp_path


def test_requested_fixtures_are_the_parameters_of_tests_and_fixtures() -> None:
    assert requested_fixtures(TEST) == {"event_bus", "tmp_path"}
    assert requested_fixtures(SHARED_CONFTEST) == {"tmp_path", "bus_home", "monkeypatch"}


def test_a_fixture_comes_with_what_it_needs_and_nothing_else() -> None:
    found = copied(SHARED_CONFTEST, {"event_bus"})
    assert found.imports == ["import os", "from pathlib import Path", "import pytest"]
    assert [d.split("\n")[1] for d in found.definitions if d.startswith("@")] == [
        "def bus_home(tmp_path: Path) -> Path:",
        "def event_bus(bus_home: Path) -> dict[str, str]:",
    ]
    assert any(d.startswith("DEFAULT_GROUP") for d in found.definitions)
    assert not any("unrelated" in d or "json" in d for d in [*found.imports, *found.definitions])


def test_an_unseen_fixture_is_brought_and_the_test_passes_under_real_pytest(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    node = repo / "src" / "app" / "nodes" / "node_refund_effect"
    files = {"tests/__init__.py": "", "tests/test_refund.py": TEST}
    brought = bring_fixtures(files, repo, node)
    assert brought.notes == ["tests/conftest.py: brought _team_home, event_bus from tests/conftest.py"]
    for rel, code in brought.files.items():
        (node / rel).parent.mkdir(parents=True, exist_ok=True)
        (node / rel).write_text(code, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(node / "tests")],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_visible_or_unknown_fixture_is_left_alone(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    # Under tests/, the shared conftest is visible: nothing to bring.
    assert bring_fixtures({"tests/test_refund.py": TEST}, repo, repo / "tests" / "node_x").notes == []
    # A fixture no conftest defines comes from a plugin (pytest-asyncio's, say).
    plugin = TEST.replace("event_bus: dict[str, str]", "event_loop")
    node = repo / "src" / "app" / "nodes" / "node_refund_effect"
    assert bring_fixtures({"tests/test_refund.py": plugin}, repo, node).files == {
        "tests/test_refund.py": plugin
    }


def test_fixtures_join_the_node_s_own_conftest_after_its_imports(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    own = (
        '"""Node fixtures."""\n\nfrom __future__ import annotations\n\nimport pytest\n\n\n'
        "@pytest.fixture\ndef x() -> int:\n    return 1\n"
    )
    files = {"tests/conftest.py": own, "tests/test_refund.py": TEST}
    merged = bring_fixtures(files, repo, repo / "src" / "node_refund_effect").files["tests/conftest.py"]
    compile(merged, "conftest.py", "exec")
    assert merged.index("from __future__") < merged.index("import os") < merged.index("def x(")
    assert merged.index("def x(") < merged.index("def event_bus(")
