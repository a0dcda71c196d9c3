"""The means of an eval run, side by side (learned, copy-nearest-node baseline, templates only)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from nodeforge.cli.evaluation.scores import CandidateEval, EvalReport, NodeEval

COLUMNS = ("learned", "baseline", "template")
Score = Callable[[NodeEval, CandidateEval | None], float | None]


@dataclass(frozen=True)
class Row:
    metric: str
    values: dict[str, float | None]  # column -> mean, None where it does not apply
    counts: dict[str, int]  # column -> how many nodes the mean is over


def _mean(values: Sequence[float | None]) -> tuple[float | None, int]:
    present = [v for v in values if v is not None]
    return (sum(present) / len(present) if present else None), len(present)


def _flag(value: bool) -> float:
    return 1.0 if value else 0.0


def _runtime(test: Callable[[CandidateEval], float | None]) -> Score:
    def score(node: NodeEval, candidate: CandidateEval | None) -> float | None:
        if candidate is None or candidate.checks is None:
            return None if node.error or candidate is None else 0.0
        return test(candidate)

    return score


def _real(ratio: bool) -> Score:
    """Real tests, over the nodes whose real tests pass on the real code (else they measure nothing)."""

    def score(node: NodeEval, candidate: CandidateEval | None) -> float | None:
        if not node.reference_ok or candidate is None or candidate.checks is None:
            return None
        checks = candidate.checks
        if ratio:
            return checks.real_passed / node.reference_total
        return _flag(checks.real_ok)

    return score


def _similarity(attribute: str) -> Score:
    def score(node: NodeEval, candidate: CandidateEval | None) -> float | None:
        value: float | None = getattr(candidate.similarity, attribute) if candidate is not None else None
        return value

    return score


def _declared(node: NodeEval, candidate: CandidateEval | None) -> float | None:
    if candidate is None or candidate.handlers is None:
        return None
    return _flag(candidate.handlers.complete)


def _undefined(node: NodeEval, candidate: CandidateEval | None) -> float | None:
    if candidate is None or candidate.undefined_names is None:
        return None
    return _flag(candidate.undefined_names > 0)


METRICS: tuple[tuple[str, Score, tuple[str, ...]], ...] = (
    ("imports", _runtime(lambda c: _flag(c.checks is not None and c.checks.imports)), COLUMNS[:2]),
    ("imports and own tests pass", _runtime(lambda c: _flag(c.checks is not None and c.checks.generated_ok)),
     COLUMNS[:2]),
    ("real tests all pass (of nodes passing them)", _real(ratio=False), COLUMNS[:2]),
    ("real tests passed, fraction", _real(ratio=True), COLUMNS[:2]),
    ("handler AST overlap", _similarity("handler_ast"), COLUMNS),
    ("handler identifier Jaccard", _similarity("handler_identifiers"), COLUMNS),
    ("node.py AST overlap", _similarity("node_ast"), COLUMNS),
    ("node.py identifier Jaccard", _similarity("node_identifiers"), COLUMNS),
    ("layout F1", _similarity("layout_f1"), COLUMNS),
    ("has an undefined name (ruff F821)", _undefined, COLUMNS),
    ("every declared handler generated", _declared, COLUMNS),
)  # fmt: skip


def rows(report: EvalReport) -> list[Row]:
    nodes = [n for n in report.nodes if not n.error]
    table = [
        Row("contract accepted", {"learned": _mean([_flag(n.contract_accepted) for n in report.nodes])[0]},
            {"learned": len(report.nodes)}),
    ]  # fmt: skip
    for metric, score, columns in METRICS:
        values, counts = {}, {}
        for column in columns:
            values[column], counts[column] = _mean([score(n, getattr(n, column)) for n in nodes])
        table.append(Row(metric, values, counts))
    retrieved = sum(n.retrieval_total for n in nodes)
    structure = sum(n.structure_total for n in nodes)
    table.append(
        Row(
            "top-5 retrieved of the right node type",
            {
                "learned": sum(n.retrieval_right for n in nodes) / retrieved if retrieved else None,
                "baseline": sum(n.structure_right for n in nodes) / structure if structure else None,
            },
            {"learned": retrieved, "baseline": structure},
        )
    )
    return table


def to_json(report: EvalReport) -> dict[str, object]:
    return {
        "summary": {row.metric: {"means": row.values, "counts": row.counts} for row in rows(report)},
        "errors": sum(bool(n.error) for n in report.nodes),
        "report": report,
    }


def print_table(report: EvalReport, console: Console) -> None:
    errors = [n for n in report.nodes if n.error]
    title = (
        f"nodeforge eval: {len(report.nodes)} node(s), {report.folds} folds (seed {report.seed}), "
        f"~{report.training_nodes} training nodes per fold, {report.seconds:.0f} s"
    )
    table = Table(title=title)
    table.add_column("metric")
    for label in ("learned", "copy nearest node", "templates only"):
        table.add_column(label, justify="right")
    for row in rows(report):
        cells = [
            "-" if row.values.get(c) is None else f"{row.values[c]:.2f} (n={row.counts[c]})" for c in COLUMNS
        ]
        table.add_row(row.metric, *cells)
    console.print(table)
    console.print(f"commit {report.commit[:12]} of {report.repo}; interpreter {report.python}")
    console.print(f"{report.learning}; templates only: static scores only")
    refused = [n for n in report.nodes if not n.contract_accepted and not n.error]
    for node in refused:
        console.print(f"contract refused: {node.key}: {node.detail}", markup=False)
    console.print(f"errors: {len(errors)}")
    for node in errors:
        console.print(f"  {node.key}: {node.error}", markup=False)
