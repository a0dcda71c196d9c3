"""``nodeforge update``: bring a generated node forward when the patterns or templates it came from moved on.

For each file the node owns (those generation wrote, by its provenance), the difference between
the node **as generated** (its pristine files, ``generation.pristine``) and **as it would be
generated now** (the same contract rendered against today's store and templates) is merged into
the file as it is on disk (``generation.threeway``, git's merge). All changes land together or not
at all (``writer.rewrite_node``); then the provenance records the new patterns and the new pristine
files, so the node's next verdict credits the patterns it now carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nodeforge.config import Settings
from nodeforge.errors import InputError
from nodeforge.generation.contract import load_contract
from nodeforge.generation.generate import (
    GenerateOptions,
    Rendered,
    diff_against_disk,
    record_node,
    render_node,
)
from nodeforge.generation.pristine import load_pristine
from nodeforge.generation.provenance import GeneratedNode, GenerationInputs, generated_nodes
from nodeforge.generation.threeway import FileStatus, FileUpdate, update_file
from nodeforge.gitrepo import git
from nodeforge.storage.protocol import PatternStore
from nodeforge.writer import rewrite_node


@dataclass(frozen=True)
class UpdateOptions:
    dry_run: bool = False
    diff: bool = False
    allow_dirty: bool = False


@dataclass
class NodeUpdate:
    node: str  # the node's key: its folder, repo-relative
    files: list[FileUpdate] = field(default_factory=list)
    old_patterns: list[str] = field(default_factory=list)  # id@vN as generated
    new_patterns: list[str] = field(default_factory=list)  # id@vN as generated now
    templates_changed: bool = False
    notes: list[str] = field(default_factory=list)
    diff: str = ""
    written: bool = False

    @property
    def conflicts(self) -> list[str]:
        return [f.path for f in self.files if f.status is FileStatus.CONFLICT]

    @property
    def changes(self) -> dict[str, str | None]:
        """Node-relative path -> new text, or None for a file to remove."""
        changed: dict[str, str | None] = {f.path: f.text for f in self.files if f.status.writes}
        changed.update({f.path: None for f in self.files if f.status is FileStatus.REMOVED})
        return changed


def generated_record(repo: Path, node_dir: Path) -> GeneratedNode:
    """The provenance of the generated node in ``node_dir``; an ``InputError`` when it has none."""
    resolved = node_dir.resolve()
    if not resolved.is_relative_to(repo) and not node_dir.is_absolute():
        resolved = (repo / node_dir).resolve()  # ``--repo`` elsewhere: the folder as the repository names it
    if not resolved.is_relative_to(repo):
        raise InputError(f"{node_dir} is not inside the repository {repo}")
    key = resolved.relative_to(repo).as_posix()
    for record in generated_nodes(repo):
        if record.key == key:
            return record
    raise InputError(f"{key}: nodeforge has no record of generating it (only generated nodes can be updated)")


def updatable(repo: Path) -> list[GeneratedNode]:
    """Every generated node of the repository that is still there and can be merged, for ``--all``
    (``outdated`` names the others)."""
    return [
        r
        for r in generated_nodes(repo)
        if r.inputs is not None and (repo / r.key).is_dir() and load_pristine(repo, r.key) is not None
    ]


def refuse_dirty(repo: Path, records: list[GeneratedNode]) -> None:
    """Refuse to write into a node with uncommitted changes: the update could not be told from them,
    nor undone with git. Ignored files (``__pycache__`` in most repositories) do not count."""
    dirty = []
    for record in records:
        status = git(repo, "status", "--porcelain", "--untracked-files=all", "--", record.key)
        dirty += [line[3:] for line in status.splitlines() if line]
    if dirty:
        shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
        raise InputError(f"uncommitted changes in {shown}: commit or stash them first, or pass --allow-dirty")


def update_node(
    repo: Path,
    record: GeneratedNode,
    settings: Settings,
    store: PatternStore | None,
    options: UpdateOptions,
) -> NodeUpdate:
    """Merge what generation would change now into ``record``'s node; write it unless ``dry_run``."""
    inputs, base = _base(repo, record)
    target = (repo / record.key).resolve()
    report = NodeUpdate(record.key, old_patterns=[f"{i}@v{v}" for i, v in record.patterns])
    rendered = _regenerate(repo, target, inputs, settings, store, report)
    report.new_patterns = [f"{u.id}@v{u.version}" for u in rendered.used]
    report.templates_changed = rendered.templates != inputs.templates
    report.files = _merge_files(repo, target, base, rendered.files)
    report.notes += [f"{f.path}: {f.note}" for f in report.files if f.note]
    changes = report.changes
    if options.diff:
        report.diff = diff_against_disk(target, changes)
    moved = changes or report.templates_changed or report.old_patterns != report.new_patterns
    moved = moved or base != rendered.files
    if options.dry_run or not moved:
        return report
    if changes:
        rewrite_node(target, changes)
        report.written = True
    new_inputs = GenerationInputs(
        contract=inputs.contract,
        source=inputs.source,
        templates=rendered.templates,
        files=tuple(sorted(rendered.files)),
        learning=inputs.learning,
    )
    # The new base is what generation gives now, never the merged files: the next update merges
    # the next change of generation, not the hand edits again.
    record_node(repo, target, rendered.used, store if inputs.learning else None, new_inputs, rendered.files)
    return report


def _base(repo: Path, record: GeneratedNode) -> tuple[GenerationInputs, dict[str, str]]:
    base = load_pristine(repo, record.key)
    if record.inputs is None or base is None:
        raise InputError(
            f"{record.key} was generated before nodeforge kept what updating needs (its pristine files): "
            "nothing to merge from. To track it, commit, `generate --force` it, and re-apply your edits"
        )
    return record.inputs, base


def _regenerate(
    repo: Path,
    target: Path,
    inputs: GenerationInputs,
    settings: Settings,
    store: PatternStore | None,
    report: NodeUpdate,
) -> Rendered:
    """The node as generation would write it now, from the same contract under the same name."""
    contract_file = Path(inputs.contract) if Path(inputs.contract).is_absolute() else repo / inputs.contract
    if not contract_file.is_file():
        # The node keeps a copy of its contract; generating from it gives the same node.
        report.notes.append(f"{inputs.contract} is gone: generating from the node's own contract.yaml")
        contract_file = target / "contract.yaml"
    contract = load_contract(contract_file)
    options = GenerateOptions(out=target.parent, learning=inputs.learning)
    used_store = store if inputs.learning else None
    rendered = render_node(
        repo, contract, inputs.source, settings, options, used_store, contract_file=contract_file
    )
    if rendered.target != target:
        raise InputError(
            f"{contract_file} now names the node {rendered.target.name}, not {target.name}: "
            "generate the renamed node instead"
        )
    return rendered


def _merge_files(repo: Path, target: Path, base: dict[str, str], now: dict[str, str]) -> list[FileUpdate]:
    """Each file the node owns, merged. Files generation never wrote are not looked at."""
    updates = []
    for rel in sorted(base.keys() | now.keys()):
        ours = _read(target / rel)
        name = f"{target.name}/{rel}"
        updates.append(update_file(rel, base.get(rel), ours, now.get(rel), name=name, cwd=repo))
    return updates


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (IsADirectoryError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: generated as a text file, now {error.__class__.__name__}") from None
