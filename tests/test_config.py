"""[tool.nodeforge] settings: defaults, file values, environment overrides, one-line errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from nodeforge import configfile
from nodeforge.config import (
    DEFAULT_BASE_MODULE,
    DEFAULT_COLLECTION,
    EMBEDDED,
    SERVER,
    Settings,
    load_settings,
)
from nodeforge.errors import EXIT_BAD_INPUT, InputError


def pyproject(repo: Path, body: str) -> Path:
    path = repo / "pyproject.toml"
    path.write_text('[project]\nname = "app"\n\n[tool.nodeforge]\n' + body, encoding="utf-8")
    return path


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    assert settings == Settings(repo=tmp_path)
    assert settings.node_paths == (".",)
    assert settings.store == EMBEDDED
    assert settings.collection == DEFAULT_COLLECTION == "code_generation_patterns"
    assert settings.quality_threshold == 0.8
    assert settings.detection_threshold == 0.7
    assert settings.base_module == DEFAULT_BASE_MODULE == "omnibase_core.nodes"
    assert settings.templates_dir is None
    assert settings.server_url is None


def test_defaults_with_pyproject_lacking_the_section(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n', encoding="utf-8")
    assert load_settings(tmp_path, env={}) == Settings(repo=tmp_path)


def test_every_key_is_read(tmp_path: Path) -> None:
    pyproject(
        tmp_path,
        'node_paths = ["src/app/nodes", "lib"]\n'
        'store = "server"\n'
        'collection = "team-patterns"\n'
        'server_url = "https://qdrant.example.invalid:6333"\n'
        "quality_threshold = 0.9\n"
        "detection_threshold = 0.6\n"
        "min_score = 0.25\n"
        'base_module = "company.core.nodes"\n'
        'templates_dir = "tools/templates"\n'
        "test_timeout = 90\n",
    )
    settings = load_settings(tmp_path, env={})
    assert settings.node_paths == ("src/app/nodes", "lib")
    assert settings.node_roots == ((tmp_path / "src/app/nodes").resolve(), (tmp_path / "lib").resolve())
    assert settings.store == SERVER
    assert settings.collection == "team-patterns"
    assert settings.server_url == "https://qdrant.example.invalid:6333"
    assert (settings.quality_threshold, settings.detection_threshold, settings.min_score) == (0.9, 0.6, 0.25)
    assert settings.base_module == "company.core.nodes"
    assert settings.templates_dir == (tmp_path / "tools" / "templates").resolve()
    assert settings.test_timeout == 90.0


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    pyproject(tmp_path, 'collection = "from_file"\nstore = "embedded"\n')
    env = {
        "QDRANT_URL": "http://qdrant:6333",
        "QDRANT_API_KEY": "k-123",
        "NODEFORGE_COLLECTION": "from_env",
        "NODEFORGE_STORE": "server",
    }
    settings = load_settings(tmp_path, env=env)
    assert settings.server_url == "http://qdrant:6333"
    assert settings.api_key == "k-123"
    assert settings.collection == "from_env"
    assert settings.store == SERVER


def test_qdrant_url_alone_selects_the_server_store(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={"QDRANT_URL": "http://qdrant:6333"})
    assert settings.store == SERVER


def test_store_pinned_to_embedded_wins_over_qdrant_url(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path, env={"QDRANT_URL": "http://qdrant:6333", "NODEFORGE_STORE": "embedded"}
    )
    assert settings.store == EMBEDDED
    assert settings.server_url == "http://qdrant:6333"


def test_process_environment_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NODEFORGE_COLLECTION", "from_process")
    assert load_settings(tmp_path).collection == "from_process"


def test_api_key_never_appears_in_repr(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={"QDRANT_URL": "http://q:1", "QDRANT_API_KEY": "secret-key-value"})
    assert "secret-key-value" not in repr(settings)
    assert "secret-key-value" not in str(settings)
    assert "api_key='***'" in repr(settings)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "quality_threshold = 1.5\n",
            "[tool.nodeforge].quality_threshold: expected a number between 0 and 1",
        ),
        (
            "detection_threshold = -0.1\n",
            "[tool.nodeforge].detection_threshold: expected a number between 0 and 1",
        ),
        ("min_score = 2\n", "[tool.nodeforge].min_score: expected a number between 0 and 1"),
        ('quality_threshold = "high"\n', "[tool.nodeforge].quality_threshold: expected a number"),
        ("detection_threshold = true\n", "[tool.nodeforge].detection_threshold: expected a number"),
        ('node_paths = "src"\n', "[tool.nodeforge].node_paths: expected a list of strings"),
        ("node_paths = []\n", "[tool.nodeforge].node_paths: expected at least one entry"),
        ('node_paths = ["src", "../outside"]\n', "[tool.nodeforge].node_paths[1]: expected a path inside"),
        ('node_paths = ["/etc"]\n', "[tool.nodeforge].node_paths[0]: expected a path relative"),
        ('store = "cloud"\n', "[tool.nodeforge].store: expected one of 'embedded', 'server'"),
        ('store = "server"\n', "[tool.nodeforge].server_url: required when store = 'server'"),
        ('server_url = "qdrant:6333"\n', "[tool.nodeforge].server_url: expected an http:// or https:// URL"),
        ('collection = "my patterns"\n', "[tool.nodeforge].collection: expected a collection name"),
        ('base_module = "a..b"\n', "[tool.nodeforge].base_module: expected a dotted module path"),
        ('templates_dir = "../templates"\n', "[tool.nodeforge].templates_dir: expected a path inside"),
        ("test_timeout = 0\n", "[tool.nodeforge].test_timeout: expected a number greater than 0"),
        (
            "quality_treshold = 0.5\n",
            "[tool.nodeforge].quality_treshold: unknown key; did you mean 'quality_threshold'?",
        ),
        ("colour = 1\n", "[tool.nodeforge].colour: unknown key (known: node_paths"),
    ],
)
def test_bad_setting_names_the_key(tmp_path: Path, body: str, message: str) -> None:
    pyproject(tmp_path, body)
    with pytest.raises(InputError) as caught:
        load_settings(tmp_path, env={})
    text = str(caught.value)
    assert text.startswith("pyproject.toml: ")
    assert message in text
    assert "\n" not in text
    assert caught.value.exit_code == EXIT_BAD_INPUT


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NODEFORGE_STORE": "cloud"}, "environment NODEFORGE_STORE (overrides [tool.nodeforge].store)"),
        ({"QDRANT_URL": "qdrant:6333"}, "environment QDRANT_URL (overrides [tool.nodeforge].server_url)"),
        ({"NODEFORGE_COLLECTION": "a/b"}, "environment NODEFORGE_COLLECTION"),
        ({"NODEFORGE_STORE": "server"}, "server_url: required when store = 'server'"),
    ],
)
def test_bad_environment_names_the_variable(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(InputError) as caught:
        load_settings(tmp_path, env=env)
    assert message in str(caught.value)


def test_malformed_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.nodeforge\nstore = 1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^pyproject\.toml: malformed TOML: .*line 1"):
        load_settings(tmp_path, env={})


def test_section_must_be_a_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool]\nnodeforge = "yes"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"\[tool\.nodeforge\]: expected a table"):
        load_settings(tmp_path, env={})


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    with pytest.raises(AttributeError):
        settings.store = SERVER  # type: ignore[misc]


@pytest.mark.parametrize(
    "body",
    [
        "",
        'node_paths = ["src/app/nodes", "lib"]\n',
        'node_paths = ["src"]\nquality_threshold = 0.5\n',
        'node_paths = "src"\n',
        "node_paths = []\n",
        'node_paths = ["src", "../outside"]\n',
        'node_paths = ["/etc"]\n',
        "node_paths = [1]\n",
    ],
)
def test_the_quick_node_roots_agree_with_the_settings(tmp_path: Path, body: str) -> None:
    """The hook's pydantic-free read of ``node_paths``: the same roots, or the settings' own error."""
    pyproject(tmp_path, body)
    try:
        expected: tuple[Path, ...] | str = load_settings(tmp_path, env={}).node_roots
    except InputError as error:
        expected = str(error)
    try:
        quick: tuple[Path, ...] | str = configfile.node_roots(tmp_path, env={})
    except InputError as error:
        quick = str(error)
    assert quick == expected


def test_the_quick_node_roots_read_no_other_key(tmp_path: Path) -> None:
    # Other keys are the full settings' business (the hook checks them when it learns, or --strict)
    pyproject(tmp_path, 'node_paths = ["src"]\nquality_treshold = 2\n')
    assert configfile.node_roots(tmp_path, env={}) == ((tmp_path / "src").resolve(),)
    with pytest.raises(InputError, match="quality_treshold: unknown key"):
        load_settings(tmp_path, env={})


def test_reviewed_calls_are_dotted_names(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nodeforge]\nreviewed_calls = ["subprocess.run", "open"]\n', encoding="utf-8"
    )
    assert load_settings(tmp_path, env={}).reviewed_calls == {"subprocess.run", "open"}
    bad = '[tool.nodeforge]\nreviewed_calls = ["rm -rf"]\n'
    (tmp_path / "pyproject.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(InputError, match=r"reviewed_calls.*subprocess\.run"):
        load_settings(tmp_path, env={})
