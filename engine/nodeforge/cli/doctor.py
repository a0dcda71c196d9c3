"""``nodeforge doctor``: is this repository set up to learn and generate? Each check says how to fix it.

A check is ``ok``, ``warn`` (works, but something is missing or waiting) or ``fail`` (broken: the
command exits 1). The doctor changes nothing it does not have to: it creates no store where none
exists and waits only briefly for a store held by another process.
"""

from __future__ import annotations

import enum
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from nodeforge.config import Settings, load_settings
from nodeforge.errors import InputError, NodeforgeError
from nodeforge.gitrepo import git
from nodeforge.model import PatternQuery
from nodeforge.paths import PENDING_FILE, state_dir, state_path
from nodeforge.storage.edge import open_embedded, store_path
from nodeforge.storage.embeddings import find_embedder
from nodeforge.storage.protocol import PatternStore, StoreInfo

HOOK_ID = "nodeforge-learn"
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
# On Linux, torch from PyPI is the CUDA build (several GB): the CPU index is the honest fix there.
EMBEDDINGS_FIX = (
    "pip install torch --index-url https://download.pytorch.org/whl/cpu (Linux; elsewhere plain "
    "pip install torch is the CPU build), then nodeforge's extra from where you install nodeforge: "
    "pip install '/path/to/nodeforge[embeddings]'"
)
LOCK_WAIT_SECONDS = 2.0
_PROBE = PatternQuery(text="handle request error", limit=1)


class Status(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class DoctorReport:
    checks: tuple[Check, ...]

    @property
    def failed(self) -> bool:
        return any(check.status is Status.FAIL for check in self.checks)

    def lines(self) -> list[str]:
        width = max((len(check.name) for check in self.checks), default=0)
        out = []
        for check in self.checks:
            out.append(f"{check.status.value:<4}  {check.name:<{width}}  {check.detail}")
            if check.fix and check.status is not Status.OK:
                out.append(f"      {'':<{width}}  fix: {check.fix}")
        verdict = "some checks failed" if self.failed else "no check failed"
        out.append(f"nodeforge doctor: {verdict}")
        return out

    def to_json(self) -> dict[str, object]:
        return {
            "ok": not self.failed,
            "checks": [
                {"name": c.name, "status": c.status.value, "detail": c.detail, "fix": c.fix}
                for c in self.checks
            ],
        }


def diagnose(repo: Path) -> DoctorReport:
    """Every check for ``repo``; never raises for what it can report as a failed check."""
    config, settings = _check_config(repo)
    checks = [config]
    embedded, info = _check_embedded_store(settings)
    checks.append(embedded)
    checks.append(_check_server(settings))
    checks.append(_check_embeddings(info, settings))
    checks.append(_check_pending(settings.repo))
    checks.append(_check_unsynced(settings, info))
    checks.append(_check_hook(settings.repo))
    return DoctorReport(tuple(checks))


def _check_config(repo: Path) -> tuple[Check, Settings]:
    try:
        settings = load_settings(repo)
    except InputError as error:
        fix = "correct the value, or unset the environment variable it names"
        return Check("config", Status.FAIL, str(error), fix), Settings(repo=repo)
    where = "[tool.nodeforge] in pyproject.toml" if (repo / "pyproject.toml").is_file() else "defaults"
    paths = ", ".join(settings.node_paths)
    return Check("config", Status.OK, f"{where}; node paths: {paths}; store: {settings.store}"), settings


def _check_embedded_store(settings: Settings) -> tuple[Check, StoreInfo | None]:
    state = state_path(settings.repo)
    folder = store_path(state, settings.collection)
    if not folder.exists() and settings.server_url:
        return Check("store", Status.OK, "no embedded store: used only while the server is unreachable"), None
    if not folder.exists():
        return (
            Check(
                "store",
                Status.WARN,
                f"no embedded store yet at {folder}",
                "nodeforge learn --all (or --no-test-gate to bootstrap from an untested repository)",
            ),
            None,
        )
    try:
        with open_embedded(
            state_dir(settings.repo), collection=settings.collection, lock_timeout=LOCK_WAIT_SECONDS
        ) as store:
            info = store.info()
            if info.backend == "spool":
                fix = "wait for the other nodeforge process to finish, then run the doctor again"
                return Check("store", Status.WARN, info.note, fix), info
            return _store_health("store", store, info), info
    except (NodeforgeError, OSError) as error:
        return _damaged(folder, error), None
    except Exception as error:  # qdrant-edge reports a damaged folder as a bare Exception
        if type(error) is not Exception:
            raise
        return _damaged(folder, error), None


def _damaged(folder: Path, error: Exception) -> Check:
    detail = " ".join(str(error).split())[:200]
    fix = "nodeforge store rebuild (re-mines the patterns from git history)"
    return Check("store", Status.FAIL, f"cannot open {folder}: {detail}", fix)


def _store_health(name: str, store: PatternStore, info: StoreInfo) -> Check:
    """Count points and time one trivial query."""
    started = time.perf_counter()
    found = store.search(_PROBE)
    millis = (time.perf_counter() - started) * 1000
    counts = ", ".join(f"{count} {status}" for status, count in sorted(info.counts.items()) if count)
    detail = (
        f"{info.backend} at {info.location}: {info.total} pattern(s)"
        + (f" ({counts})" if counts else "")
        + f"; test query {millis:.1f} ms ({found.mode.value}, {len(found.patterns)} hit)"
    )
    if info.total == 0:
        return Check(name, Status.WARN, detail, "nodeforge learn --all")
    return Check(name, Status.OK, detail)


def _check_server(settings: Settings) -> Check:
    url = settings.server_url
    if not url:
        return Check("server", Status.OK, "not configured: patterns stay in this repository's embedded store")
    from nodeforge.storage.protocol import ServerUnreachable
    from nodeforge.storage.server import ServerStore

    try:
        with ServerStore.connect(
            url, api_key=settings.api_key, collection=settings.collection, embedder=None
        ) as server:
            return _store_health("server", server, server.info())
    except ServerUnreachable as down:
        fix = "check QDRANT_URL and that the server is up; learning meanwhile goes to the embedded store"
        return Check("server", Status.FAIL, str(down), fix)
    except NodeforgeError as refused:
        return Check("server", Status.FAIL, str(refused), "check QDRANT_API_KEY and the collection name")


def _check_embeddings(info: StoreInfo | None, settings: Settings) -> Check:
    lookup = find_embedder(settings.placement)
    if lookup.embedder is None:
        return Check(
            "embeddings",
            Status.WARN,
            f"off: {lookup.reason}; retrieval uses sparse vectors and filters",
            EMBEDDINGS_FIX,
        )
    detail = f"{lookup.embedder.name} ({lookup.embedder.dim}-d), hybrid retrieval"
    if info is not None and info.backend != "spool":
        pending = info.dense_pending
        if pending:
            detail += f"; {pending} pattern(s) wait for their dense vector"
            return Check("embeddings", Status.WARN, detail, "nodeforge embed --pending")
    return Check("embeddings", Status.OK, detail)


def _check_pending(repo: Path) -> Check:
    path = state_path(repo) / PENDING_FILE
    try:
        pending = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return Check(
            "pending", Status.FAIL, f"cannot read {path}: {error}", f"delete {path}; learn rebuilds it"
        )
    if not isinstance(pending, dict) or not pending:
        return Check("pending", Status.OK, "no node waits for a verdict")
    keys = sorted(str(key) for key in pending)
    shown = ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
    return Check(
        "pending",
        Status.WARN,
        f"{len(keys)} node(s) wait for a passing verdict of their current content: {shown}",
        "run their tests with `pytest --nodeforge`, then `nodeforge learn`",
    )


def _check_unsynced(settings: Settings, info: StoreInfo | None) -> Check:
    unsynced = info.unsynced if info is not None else 0
    if not unsynced:
        return Check("sync", Status.OK, "nothing waits to be pushed to the team server")
    fix = "nodeforge store sync" if settings.server_url else "set QDRANT_URL, then nodeforge store sync"
    return Check("sync", Status.WARN, f"{unsynced} pattern(s) learned while the server was down", fix)


def _check_hook(repo: Path) -> Check:
    config = repo / PRE_COMMIT_CONFIG
    listed = config.is_file() and HOOK_ID in config.read_text(encoding="utf-8", errors="replace")
    hook = _git_hook(repo, "post-commit")
    installed = hook is not None and hook.is_file()
    if listed and installed:
        return Check("hook", Status.OK, f"{HOOK_ID} in {PRE_COMMIT_CONFIG}; post-commit hook installed")
    if listed:
        return Check(
            "hook",
            Status.WARN,
            f"{HOOK_ID} is in {PRE_COMMIT_CONFIG} but no post-commit hook is installed",
            "pre-commit install --hook-type post-commit",
        )
    return Check(
        "hook",
        Status.WARN,
        f"{HOOK_ID} is not in {PRE_COMMIT_CONFIG}: commits are not learned from (CI may still learn)",
        f"add the {HOOK_ID} hook (docs/user-guide.md), then pre-commit install --hook-type post-commit",
    )


def _git_hook(repo: Path, name: str) -> Path | None:
    """Where git looks for hook ``name`` (worktrees and ``core.hooksPath`` included); None outside git."""
    try:
        found = git(repo, "rev-parse", "--git-path", f"hooks/{name}").strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(found)
    return path if path.is_absolute() else repo / path
