"""What an eval run takes (its options) and gives (per node, per candidate, the scores and checks)."""

from __future__ import annotations

from dataclasses import dataclass, field

from nodeforge.cli.evaluation.declared import Declared
from nodeforge.cli.evaluation.similarity import Similarity

LEARNED = "learned"
BASELINE = "baseline"
TEMPLATE = "template"
LEARNING_NOTE = "training nodes learned without the test gate (--no-test-gate): a fresh clone has no verdicts"


@dataclass(frozen=True)
class EvalOptions:
    folds: int = 5
    seed: int = 0
    limit: int | None = None
    python: str = ""
    timeout: float = 600.0  # seconds for each batch subprocess (imports, or one pytest run)
    embed: bool = False
    no_learning: bool = True  # also score template-only generation (static scores only)
    # Generate the learned candidate as `nodeforge generate` does in a git repository: in place,
    # then self-verified in the repository's interpreter (a failing file gets its next candidate).
    verify: bool = True
    jobs: int = 1  # processes mining at once


@dataclass(frozen=True)
class Checks:
    """A candidate dropped in place of the real node, in the repository's interpreter."""

    imports: bool
    generated_passed: int
    generated_total: int
    real_passed: int
    real_total: int
    detail: str  # the first thing that failed, one line

    @property
    def generated_ok(self) -> bool:
        return self.imports and self.generated_total > 0 and self.generated_passed == self.generated_total

    @property
    def real_ok(self) -> bool:
        return self.imports and self.real_total > 0 and self.real_passed == self.real_total


@dataclass
class CandidateEval:
    similarity: Similarity
    checks: Checks | None = None
    undefined_names: int | None = None  # ruff F821 findings; None where ruff is not installed
    verification: str = ""  # what generate's self-verification said (learned, with verify on)
    handlers: Declared | None = None  # the contract's handlers found in it; None: it declares none


@dataclass
class NodeEval:
    key: str
    fold: int
    node_type: str
    contract_accepted: bool = False
    detail: str = ""  # why the contract was refused
    error: str = ""  # what stopped this node's evaluation ("Type: message")
    reference_passed: int = 0  # the real node's real tests, on the real code
    reference_total: int = 0
    learned: CandidateEval | None = None
    baseline: CandidateEval | None = None
    template: CandidateEval | None = None
    baseline_source: str = ""
    retrieval_right: int = 0  # top-5 of generate's queries (no type filter) of the node's type
    retrieval_total: int = 0
    structure_right: int = 0  # the same for the 5 most alike contracts
    structure_total: int = 0

    @property
    def reference_ok(self) -> bool:
        return self.reference_total > 0 and self.reference_passed == self.reference_total


@dataclass
class EvalReport:
    repo: str
    commit: str
    folds: int
    seed: int
    python: str
    learning: str
    training_nodes: int
    nodes: list[NodeEval] = field(default_factory=list)
    batches: dict[str, str] = field(default_factory=dict)  # each batch run's last line, as pytest said it
    seconds: float = 0.0
