"""Credentials are never shown: not on the terminal, in the hook's output, in a report or an error.

The server URL carries a password and the API key comes from the environment; the server is
unreachable (a closed local port), so commands fall back or fail and say so, naming the URL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from nodeforge.errors import StoreError
from nodeforge.redact import MASK, redact, register_secret
from tests.reliability.conftest import Result, nodes_of

Cli = Callable[..., Result]
PASSWORD = "Fake-S3cret-pw"
API_KEY = "fake-api-key-0123456789"


@pytest.fixture
def server_with_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDRANT_URL", f"http://svc:{PASSWORD}@127.0.0.1:9")
    monkeypatch.setenv("QDRANT_API_KEY", API_KEY)


def assert_hidden(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text and API_KEY not in text, text


@pytest.mark.usefixtures("server_with_credentials")
def test_no_command_shows_the_password_or_the_api_key(cli: Cli, team: Path) -> None:
    commands = [
        ("learn", nodes_of(team)[0], "--no-test-gate", "--no-embed"),
        ("patterns", "list"),
        ("patterns", "list", "--json"),
        ("store", "info"),
        ("store", "info", "--json"),
        ("doctor",),
        ("report", "--html", team / "catalogue.html"),
    ]
    shown = []
    for argv in commands:
        result = cli(*argv, "--repo", team)
        shown.append(result.out + result.err)
    assert_hidden(*shown)
    assert any("127.0.0.1" in text for text in shown), "the URL is named, only its password is hidden"
    assert_hidden((team / "catalogue.html").read_text(encoding="utf-8"))


@pytest.mark.usefixtures("server_with_credentials")
def test_the_hook_output_that_becomes_its_log_hides_them(
    team: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nodeforge.hooks import precommit

    monkeypatch.chdir(team)
    precommit.main(["--foreground"])
    captured = capsys.readouterr()
    assert_hidden(captured.out, captured.err)


def test_errors_and_every_credential_shape_are_redacted() -> None:
    register_secret(API_KEY)
    error = StoreError(f"cannot reach http://svc:{PASSWORD}@db:6333 with key {API_KEY}")
    assert str(error) == f"cannot reach http://svc:{MASK}@db:6333 with key {MASK}"
    cases = {
        f"QDRANT_URL=https://svc:{PASSWORD}@host": f"QDRANT_URL=https://svc:{MASK}@host",
        f"QDRANT_API_KEY={PASSWORD} set": f"QDRANT_API_KEY={MASK} set",
        f"GET /v1?api_key={PASSWORD}&page=2": f"GET /v1?api_key={MASK}&page=2",
        f"Authorization: Bearer {PASSWORD}": f"Authorization: Bearer {MASK}",
        "https://user@example.com/path stays": "https://user@example.com/path stays",
        "token = request.token stays": "token = request.token stays",
    }
    assert {text: redact(text) for text in cases} == cases
