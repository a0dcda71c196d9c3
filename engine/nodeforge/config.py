"""The user's settings: ``[tool.nodeforge]`` in the repository's ``pyproject.toml``, then the environment.

Every key is optional. Unknown keys are errors (a typo would otherwise be silently ignored), and
every error names the key: ``pyproject.toml: [tool.nodeforge].quality_threshold: expected a number
between 0 and 1``. Environment variables (read by ``nodeforge.environment``, the one reader) override
the file: ``QDRANT_URL`` (and it selects the server store unless ``NODEFORGE_STORE`` says otherwise),
``QDRANT_API_KEY``, ``NODEFORGE_COLLECTION``, ``NODEFORGE_STORE``, ``NODEFORGE_EMBED_DEVICE``,
``NODEFORGE_EMBED_BATCH``; and some exist only there: ``NODEFORGE_HOME``, ``NODEFORGE_MODEL``,
``NODEFORGE_EMBEDDINGS``, ``NODEFORGE_EMBED_LATER``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr, ValidationError
from pydantic_core import ErrorDetails

from nodeforge import defaults
from nodeforge.configfile import DEFAULT_NODE_PATHS, SECTION, read_section, relative_path, roots_of
from nodeforge.configfile import SERVER as _SERVER
from nodeforge.environment import Environment, read_environment
from nodeforge.errors import InputError
from nodeforge.storage.embeddings import Placement

EMBEDDED: Final = "embedded"
SERVER: Final = _SERVER  # spelled once, in the stdlib-only reader
DEFAULT_COLLECTION = "code_generation_patterns"
DEFAULT_BASE_MODULE = "omnibase_core.nodes"
_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


@dataclass(frozen=True)
class Settings:
    """Everything configurable, resolved. ``repo`` is the folder holding ``pyproject.toml``."""

    repo: Path
    node_paths: tuple[str, ...] = DEFAULT_NODE_PATHS
    store: str = EMBEDDED
    collection: str = DEFAULT_COLLECTION
    server_url: str | None = None
    api_key: str | None = None
    quality_threshold: float = defaults.QUALITY_THRESHOLD
    detection_threshold: float = defaults.DETECTION_THRESHOLD
    min_score: float = defaults.MIN_SCORE
    base_module: str = DEFAULT_BASE_MODULE
    templates_dir: Path | None = None  # absolute
    test_timeout: float = 300.0
    embed_device: str = "auto"
    embed_batch_size: int | None = None
    python: str | None = None  # the repository's interpreter (self-verification, eval)
    # Calls the team has reviewed (``os.system``, ``open``): learned code making them is not held.
    reviewed_calls: frozenset[str] = frozenset()
    # From the environment only
    model_path: Path | None = None  # the embedding model's folder; None: the bundled package's
    dense_embeddings: bool = True  # False: sparse retrieval only (NODEFORGE_EMBEDDINGS=0)
    embed_later: bool = True  # the hook starts `nodeforge embed --pending` after learning

    def __repr__(self) -> str:
        # Never print the API key (settings end up in logs and `doctor` output).
        key = "'***'" if self.api_key else "None"
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}" for name in self.__dataclass_fields__ if name != "api_key"
        )
        return f"Settings({fields}, api_key={key})"

    @property
    def store_url(self) -> str | None:
        """The team server to learn into and read from; ``None`` means the embedded store.

        ``store = "embedded"`` (or ``NODEFORGE_STORE=embedded``) keeps a developer on the embedded
        store even where ``QDRANT_URL`` is set; ``store sync`` still pushes to ``server_url``.
        """
        return self.server_url if self.store == SERVER else None

    @property
    def placement(self) -> Placement:
        """Where dense embeddings are computed (``auto``: CUDA when present) and in what batches."""
        return Placement(self.embed_device, self.embed_batch_size, self.model_path)

    @property
    def node_roots(self) -> tuple[Path, ...]:
        """``node_paths`` as absolute folders inside the repository."""
        return roots_of(self.repo, self.node_paths)


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    return value


def _dotted(what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not all(part.isidentifier() for part in value.split(".")):
            raise ValueError(f"expected {what}, got {value!r}")
        return value

    return check


_module_path = _dotted("a dotted module path like 'omnibase_core.nodes'")
_call_name = _dotted("a call's dotted name like 'subprocess.run'")


def _collection_name(value: str) -> str:
    if not value or not all(ch.isalnum() or ch in "_-" for ch in value):
        raise ValueError(f"expected a collection name of letters, digits, '_' and '-', got {value!r}")
    return value


def _device(value: str) -> str:
    if not _DEVICE.match(value):
        raise ValueError(f"expected 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {value!r}")
    return value


RelativePath = Annotated[StrictStr, AfterValidator(relative_path)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class _SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    node_paths: Annotated[list[RelativePath], Field(min_length=1)] = list(DEFAULT_NODE_PATHS)
    store: Literal["embedded", "server"] = EMBEDDED
    collection: Annotated[StrictStr, AfterValidator(_collection_name)] = DEFAULT_COLLECTION
    server_url: Annotated[StrictStr, AfterValidator(_http_url)] | None = None
    quality_threshold: Fraction = defaults.QUALITY_THRESHOLD
    detection_threshold: Fraction = defaults.DETECTION_THRESHOLD
    min_score: Fraction = defaults.MIN_SCORE
    base_module: Annotated[StrictStr, AfterValidator(_module_path)] = DEFAULT_BASE_MODULE
    templates_dir: RelativePath | None = None
    test_timeout: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    embed_device: Annotated[StrictStr, AfterValidator(_device)] = "auto"
    embed_batch_size: Annotated[int, Field(ge=1, le=65_536)] | None = None
    python: Annotated[StrictStr, Field(min_length=1)] | None = None
    reviewed_calls: list[Annotated[StrictStr, AfterValidator(_call_name)]] = []


# What a failed check expects, phrased for the user, by pydantic error type.
_EXPECTED = {
    "float_type": "expected a number",
    "int_type": "expected a number",
    "string_type": "expected a string",
    "list_type": "expected a list of strings",
    "too_short": "expected at least one entry",
    "literal_error": "expected one of 'embedded', 'server'",
}
_RANGE_ERRORS = frozenset({"greater_than_equal", "less_than_equal", "greater_than", "less_than"})


def load_settings(repo: Path, env: Mapping[str, str] | None = None) -> Settings:
    """Settings for ``repo`` from its ``pyproject.toml`` (optional) and ``env`` (default ``os.environ``)."""
    environment = read_environment(env)
    pyproject = repo / "pyproject.toml"
    raw = read_section(pyproject)
    raw = _apply_environment(raw, environment)
    try:
        parsed = _SettingsIn.model_validate(raw)
    except ValidationError as exc:
        raise InputError(_describe(exc, pyproject.name, environment)) from None
    if parsed.store == SERVER and not parsed.server_url:
        raise InputError(
            f"{pyproject.name}: {SECTION}.server_url: required when store = 'server' (or set QDRANT_URL)"
        )
    return Settings(
        repo=repo,
        node_paths=tuple(parsed.node_paths),
        store=parsed.store,
        collection=parsed.collection,
        server_url=parsed.server_url,
        api_key=_registered(environment.api_key),
        quality_threshold=parsed.quality_threshold,
        detection_threshold=parsed.detection_threshold,
        min_score=parsed.min_score,
        base_module=parsed.base_module,
        templates_dir=(repo / parsed.templates_dir).resolve() if parsed.templates_dir else None,
        test_timeout=parsed.test_timeout,
        embed_device=parsed.embed_device,
        embed_batch_size=parsed.embed_batch_size,
        python=parsed.python,
        reviewed_calls=frozenset(parsed.reviewed_calls),
        model_path=environment.model,
        **_switches(environment),
    )


def _switches(environment: Environment) -> dict[str, bool]:
    """The on/off switches the environment sets; an unset one keeps ``Settings``' default."""
    switches = {"dense_embeddings": environment.embeddings, "embed_later": environment.embed_later}
    return {name: value for name, value in switches.items() if value is not None}


def _apply_environment(raw: dict[str, object], environment: Environment) -> dict[str, object]:
    """Environment beats the file. A server URL (``QDRANT_URL`` or ``server_url``) means the team
    server unless ``store`` pins the embedded one."""
    merged: dict[str, object] = {**raw, **environment.overrides}
    if merged.get("server_url") and "store" not in environment.overrides:
        merged.setdefault("store", SERVER)
    batch = merged.get("embed_batch_size")
    if "embed_batch_size" in environment.overrides and isinstance(batch, str) and batch.strip().isdigit():
        merged["embed_batch_size"] = int(batch)  # a number in the environment's text
    return merged


def _describe(exc: ValidationError, filename: str, environment: Environment) -> str:
    errors = exc.errors(include_url=False)
    first = _describe_one(errors[0], filename, environment)
    more = len(errors) - 1
    return first + (f" (and {more} more error{'s' if more > 1 else ''})" if more else "")


def _describe_one(error: ErrorDetails, filename: str, environment: Environment) -> str:
    loc = error["loc"]
    key = ".".join(str(p) for p in loc[:1]) + "".join(f"[{p}]" for p in loc[1:] if isinstance(p, int))
    where = _where(key, filename, environment)
    kind = error["type"]
    if kind == "value_error":  # our validators' messages already show the value
        return f"{where}: {(error.get('ctx') or {}).get('error', error['msg'])}"
    if kind in _RANGE_ERRORS and key.endswith(("threshold", "min_score")):
        expected = "expected a number between 0 and 1"
    elif kind in _RANGE_ERRORS:
        expected = f"expected a number {error['msg'].removeprefix('Input should be ')}"
    elif kind == "extra_forbidden":
        expected = _unknown_key(key)
    else:
        expected = _EXPECTED.get(kind, error["msg"])
    return f"{where}: {expected}, got {error.get('input')!r}"


def _unknown_key(key: str) -> str:
    close = difflib.get_close_matches(key, list(_SettingsIn.model_fields), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key{hint} (known: {', '.join(_SettingsIn.model_fields)})"


def _where(key: str, filename: str, environment: Environment) -> str:
    """Where a value came from, so the user edits the right place."""
    env_name = environment.variable_of(key)
    if env_name:
        return f"environment {env_name} (overrides {SECTION}.{key})"
    return f"{filename}: {SECTION}.{key}"


def _registered(api_key: str | None) -> str | None:
    """The API key, registered so that no output, log or report ever shows it."""
    from nodeforge.redact import register_secret

    register_secret(api_key)
    return api_key
