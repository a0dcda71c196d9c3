"""``[tool.nodeforge]`` as written in ``pyproject.toml``, read with the standard library only.

``nodeforge.config`` validates this raw mapping with pydantic into ``Settings``. The post-commit
hook's quick look needs only ``node_paths``, and importing pydantic and building the settings model
cost more than the rest of the hook's work (about half a second on a loaded 2-core machine), so it
reads that one key here (``node_roots``) with the same reader and the same path check. Anything
this quick read cannot accept goes through ``config.load_settings``, whose error message is the
one the user sees; the other keys are validated by ``load_settings`` when the hook learns
(detached) or at once with ``--strict``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Final

from nodeforge.errors import InputError

SECTION: Final = "[tool.nodeforge]"
SERVER: Final = "server"
DEFAULT_NODE_PATHS: Final = (".",)


def read_section(pyproject: Path) -> dict[str, object]:
    """The ``[tool.nodeforge]`` table of ``pyproject`` (empty when the file is absent)."""
    try:
        text = pyproject.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{pyproject.name}: cannot read: {exc}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{pyproject.name}: malformed TOML: {exc}") from None
    tool = document.get("tool", {})
    section = tool.get("nodeforge", {}) if isinstance(tool, dict) else {}
    if not isinstance(section, dict):
        raise InputError(f"{pyproject.name}: {SECTION}: expected a table")
    return dict(section)


def relative_path(value: str) -> str:
    """A repo-relative path that stays inside the repository."""
    posix, windows = PurePosixPath(value), PureWindowsPath(value)
    if not value.strip() or posix.is_absolute() or windows.is_absolute() or windows.drive:
        raise ValueError(f"expected a path relative to the repository, got {value!r}")
    if ".." in posix.parts or ".." in windows.parts:
        raise ValueError(f"expected a path inside the repository (no '..'), got {value!r}")
    return value


def roots_of(repo: Path, node_paths: tuple[str, ...]) -> tuple[Path, ...]:
    """``node_paths`` as absolute folders inside ``repo``."""
    return tuple((repo / p).resolve() for p in node_paths)


def node_roots(repo: Path, env: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """``Settings.node_roots`` of ``repo`` without building the settings (no pydantic)."""
    # No environment variable overrides node_paths (nodeforge.environment), so the file decides.
    paths = read_section(repo / "pyproject.toml").get("node_paths", list(DEFAULT_NODE_PATHS))
    if isinstance(paths, list) and paths and all(_is_relative_path(p) for p in paths):
        return roots_of(repo, tuple(paths))
    from nodeforge.config import load_settings  # the full check says what is wrong, and where

    return load_settings(repo, env).node_roots


def _is_relative_path(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        relative_path(value)
    except ValueError:
        return False
    return True
