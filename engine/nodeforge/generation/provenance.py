"""Which patterns each generated node used, and the feedback its test verdicts give them.

``.nodeforge/generated.json`` maps a generated node's key to the content hash it was written with,
the patterns (id, version) it used, and what regenerating it needs (``GenerationInputs``: the
contract, the templates' digest, the files generation owns) for ``nodeforge update``. When a
verdict arrives for exactly that content, the patterns' success or failure counts change once:
the credited hash is remembered. Each feedback carries an event id (``feedback_event``) the store
counts once, so a crash between counting and remembering the credit -- or a test session run
again -- counts nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from nodeforge.filelock import locked
from nodeforge.paths import state_dir
from nodeforge.statefile import read_state_object
from nodeforge.writer import atomic_write_text

FILE = "generated.json"
LOCK_TIMEOUT_SECONDS = 30.0  # another process only holds it for one read-modify-write


@dataclass(frozen=True)
class GenerationInputs:
    """What generating a node again needs, and what it owns: recorded when it is written."""

    contract: str  # where the contract was read from: repo-relative when inside the repository
    source: str  # the contract's name in the generated headers
    templates: str  # ``templating.templates_digest`` of the templates it was rendered with
    files: tuple[str, ...]  # node-relative files generation wrote: the only ones update touches
    learning: bool = True  # False: generated with --no-learning (templates only)


@dataclass(frozen=True)
class GeneratedNode:
    key: str
    content_hash: str
    patterns: tuple[tuple[str, int], ...]
    credited: tuple[str, ...] = ()
    inputs: GenerationInputs | None = None  # None: recorded before nodeforge kept them


@dataclass(frozen=True)
class Feedback:
    node_key: str
    passed: bool
    pattern_ids: tuple[str, ...]
    event: str = ""  # feedback_event of the node's content and patterns


class RecordOutcome(Protocol):
    """``PatternStore.record_outcome``."""

    def __call__(self, ids: Sequence[str], passed: bool, *, event: str = "") -> None: ...


def feedback_event(node_key: str, content_hash: str, patterns: Iterable[tuple[str, int]]) -> str:
    """The id of what one generated node gives back: its key, exact content, patterns at their versions.

    The same for every session that tests that content, so the store counts it once.
    """
    used = sorted(f"{pattern_id}@{version}" for pattern_id, version in patterns)
    return hashlib.sha256("\0".join(("feedback", node_key, content_hash, *used)).encode()).hexdigest()[:24]


@contextmanager
def _locked(folder: Path) -> Iterator[Path]:
    with locked(folder / f"{FILE}.lock", f"the provenance file {folder / FILE}", LOCK_TIMEOUT_SECONDS):
        yield folder / FILE


def _read(path: Path) -> dict[str, Any]:
    return read_state_object(path)  # a corrupt file is set aside with a warning


def record_generated(repo: Path, node: GeneratedNode) -> None:
    with _locked(state_dir(repo)) as path:
        data = _read(path)
        entry: dict[str, Any] = {
            "content_hash": node.content_hash,
            "patterns": [list(p) for p in node.patterns],
            "credited": list(node.credited),
        }
        if node.inputs is not None:
            entry["inputs"] = {**asdict(node.inputs), "files": list(node.inputs.files)}
        data[node.key] = entry
        atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def generated_nodes(repo: Path) -> list[GeneratedNode]:
    data = _read(state_dir(repo) / FILE)
    return [
        GeneratedNode(
            key,
            entry["content_hash"],
            tuple((p[0], int(p[1])) for p in entry["patterns"]),
            tuple(entry.get("credited", ())),
            _inputs(entry.get("inputs")),
        )
        for key, entry in sorted(data.items())
    ]


def _inputs(raw: Any) -> GenerationInputs | None:
    if not isinstance(raw, dict):
        return None
    return GenerationInputs(
        contract=str(raw["contract"]),
        source=str(raw["source"]),
        templates=str(raw["templates"]),
        files=tuple(str(f) for f in raw["files"]),
        learning=bool(raw.get("learning", True)),
    )


def owed_feedback(repo: Path, verdicts: Iterable[Any]) -> list[tuple[Feedback, str]]:
    """Feedback owed for ``verdicts`` (objects with node_key, content_hash, passed), with their hashes.

    A verdict counts only for the exact content the node was generated with, and only once.
    """
    data = _read(state_dir(repo) / FILE)
    owed: list[tuple[Feedback, str]] = []
    for verdict in verdicts:
        entry = data.get(verdict.node_key)
        if entry is None or entry["content_hash"] != verdict.content_hash:
            continue
        if verdict.content_hash in entry.get("credited", []):
            continue
        patterns = [(str(p[0]), int(p[1])) for p in entry["patterns"]]
        event = feedback_event(verdict.node_key, verdict.content_hash, patterns)
        feedback = Feedback(verdict.node_key, bool(verdict.passed), tuple(p for p, _ in patterns), event)
        owed.append((feedback, verdict.content_hash))
    return owed


def _mark_credited(repo: Path, given: Sequence[tuple[Feedback, str]]) -> None:
    with _locked(state_dir(repo)) as path:
        data = _read(path)
        for feedback, content_hash in given:
            credited = data[feedback.node_key].setdefault("credited", [])
            if content_hash not in credited:
                credited.append(content_hash)
        atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def apply_feedback(
    repo: Path, verdicts: Sequence[Any], record: RecordOutcome | None = None
) -> list[Feedback]:
    """Give the patterns of generated nodes credit (or blame) for their verdicts, exactly once.

    ``record`` is ``store.record_outcome``; without it the configured store is opened here. The
    store is updated before the verdict is marked as credited: if the store cannot be reached the
    feedback stays owed and the next learn or test session gives it. Given twice (a crash before
    the credit is marked), its event id makes the store count it once.
    """
    owed = owed_feedback(repo, verdicts)
    if not owed:
        return []
    if record is not None:
        for feedback, _ in owed:
            record(feedback.pattern_ids, feedback.passed, event=feedback.event)
    else:
        from nodeforge.config import load_settings
        from nodeforge.storage.factory import open_configured  # the store only when feedback is owed

        with open_configured(load_settings(repo), embedder=None) as store:
            for feedback, _ in owed:
                store.record_outcome(feedback.pattern_ids, feedback.passed, event=feedback.event)
    _mark_credited(repo, owed)
    return [feedback for feedback, _ in owed]
