"""The domain types shared by every stage: frozen dataclasses, no pydantic and no Qdrant types."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class NodeType(enum.StrEnum):
    EFFECT = "effect"
    COMPUTE = "compute"
    REDUCER = "reducer"
    ORCHESTRATOR = "orchestrator"

    @classmethod
    def parse(cls, raw: str) -> NodeType:
        """Accept ``effect``, ``EFFECT``, ``EFFECT_GENERIC``, ``NodeEffect`` and every other
        omnibase_core ``EnumNodeType`` spelling, classified as its ``EnumNodeKind`` is."""
        bare = raw.strip().lower().strip("_").removesuffix("_generic")
        if bare in _SPECIFIC_NODE_TYPES:
            return cls(_SPECIFIC_NODE_TYPES[bare])
        text = bare.removeprefix("node").strip("_")
        for member in cls:
            if text == member.value or text.startswith(member.value + "_"):
                return member
        raise ValueError(
            f"unknown node type {raw!r}; expected one of {', '.join(m.value for m in cls)} "
            f"or an omnibase_core EnumNodeType ({', '.join(sorted(_SPECIFIC_NODE_TYPES))})"
        )

    @property
    def base_class(self) -> str:
        return "Node" + self.value.capitalize()


# omnibase_core's EnumNodeType -> EnumNodeKind table (``enum_node_type._populate_kind_map``), for
# the specific types; ``runtime_host`` hosts nodes and does their I/O, and ``query`` (a read-only
# node that queries a store, not in EnumNodeType) is I/O too, so both are effects here.
# ``unknown`` has no kind in omnibase_core either, and is refused.
_SPECIFIC_NODE_TYPES = {
    "transformer": "compute",
    "aggregator": "compute",
    "function": "compute",
    "model": "compute",
    "plugin": "compute",
    "schema": "compute",
    "service": "compute",
    "node": "compute",
    "tool": "effect",
    "agent": "effect",
    "runtime_host": "effect",
    "query": "effect",
    "gateway": "orchestrator",
    "validator": "orchestrator",
    "workflow": "orchestrator",
}


class PatternKind(enum.StrEnum):
    OPERATION = "operation"  # a handler's implementation of one operation
    ERROR_HANDLING = "error_handling"  # the except clauses a handler uses
    VALIDATION = "validation"  # guard clauses at the top of an operation
    SKELETON = "skeleton"  # class shape per node type
    IMPORTS = "imports"  # imports typical of a node type
    TEST_SHAPE = "test_shape"  # a test of one operation
    NAMING = "naming"  # how a node type's parts are named (handler module/class schemes...)
    WORKFLOW = "workflow"  # orchestration steps, compensation, reducer state transitions
    MODEL = "model"  # a pydantic model class of the node (its input, output, state, events...)
    REGISTRY = "registry"  # how a node wires its handlers and dependencies (registry/ modules)
    SUPPORT = "support"  # a node-local helper module: what handlers call that is not a model
    EXEMPLAR = "exemplar"  # a whole directory node: its files generalized, its contract's features


class PatternStatus(enum.StrEnum):
    ACTIVE = "active"
    UNVERIFIED = "unverified"  # learned with --no-test-gate
    SUPERSEDED = "superseded"
    RETIRED = "retired"
    HELD = "held"  # learned code that needs a person's review before reuse (nodeforge.learning.danger)


@dataclass(frozen=True)
class Provenance:
    """Where a pattern was mined from."""

    path: str  # repo-relative, posix
    symbol: str  # e.g. "HandlerUserCreate.handle"
    start_line: int
    end_line: int
    commit: str  # "" when not learned from a commit
    content_hash: str  # hash of the source node's files
    node_name: str  # e.g. "node_user_effect"


class DependencyKind(enum.StrEnum):
    """What a pattern's dependency is; the values are what stored payloads hold."""

    IMPORT = "import"  # ``code`` is the import statement
    DEFINITION = "definition"  # a class, function or constant of the source node the code uses
    TEST = "test"  # a test module of the source node exercising the code
    FILE = "file"  # a whole file of an exemplar node (``PatternKind.EXEMPLAR``)


@dataclass(frozen=True)
class Dependency:
    """Something the pattern's code needs from outside its own text, generalized like the code.

    ``kind`` says what it is (``DependencyKind``). ``name`` is the (generalized) name it binds,
    so composition can deduplicate. ``origin`` is the node-relative module path it belongs in,
    generalized (``models/model___entity___input.py``); ``""`` means the pattern's own module.
    """

    kind: DependencyKind
    name: str
    code: str
    origin: str = ""


@dataclass(frozen=True)
class Pattern:
    """A reusable unit mined from a node, generalized so it can be re-instantiated under new names.

    ``code`` holds placeholders (see ``naming.PLACEHOLDERS``) where the source node had its own
    names. ``id`` is deterministic (``ids.pattern_id``): the same generalized code for the same
    slot is the same pattern, and learning it again from another node raises ``support``.
    """

    id: str
    kind: PatternKind
    node_type: NodeType
    slot: str  # e.g. "effect:create", "effect:handler_error_handling", "effect:test:create"
    operation: str  # "" when not tied to one operation
    code: str
    code_hash: str
    provenance: Provenance
    dependencies: tuple[Dependency, ...] = ()
    parameters: tuple[tuple[str, str], ...] = ()  # specific literals recorded as (placeholder, value)
    identifiers: tuple[str, ...] = ()  # split identifiers/keywords, for the sparse vector and search
    summary: str = ""  # docstring or one-line description
    confidence: float = 0.0
    quality: float = 0.0
    support: int = 1
    source_nodes: tuple[str, ...] = ()
    usage_count: int = 0
    success_count: int = 0
    failure_count: int = 0
    version: int = 1
    status: PatternStatus = PatternStatus.ACTIVE
    supersedes: str = ""  # id of the previous version for the same slot and source symbol
    learned_at: str = ""  # ISO-8601 UTC
    extra: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class ScoredPattern:
    pattern: Pattern
    similarity: float  # the store's fused score, in [0, 1] after normalisation
    score: float  # similarity x quality x success, what ranking sorts by


@dataclass(frozen=True)
class PatternQuery:
    """What ``PatternStore.query`` looks for: text for the vectors, exact filters for the rest."""

    text: str
    node_type: NodeType | None = None
    slot: str | None = None
    kind: PatternKind | None = None
    statuses: tuple[PatternStatus, ...] = (PatternStatus.ACTIVE, PatternStatus.UNVERIFIED)
    limit: int = 5
    # Ranking, not a filter: patterns of another node type rank lower (``storage.rank.TYPE_MISMATCH``),
    # so without the ``node_type`` filter the new node's own type still comes first.
    prefer_node_type: NodeType | None = None
