"""Precision and recall of pattern detection over the labelled contract corpus.

Usage: python benchmarks/detection_report.py [--corpus DIR] [--threshold 0.7] [--verbose]

The corpus is ``tests/fixtures/contracts/*.yaml`` with ``expected.yaml`` mapping each file to the
catalogue labels (``kind`` or ``kind.subkind``) a reviewer says the contract needs.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from nodeforge.defaults import DETECTION_THRESHOLD
from nodeforge.generation.contract import load_contract
from nodeforge.generation.detect import CATALOGUE, detect

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "contracts"


@dataclass(frozen=True)
class Case:
    file: str
    expected: frozenset[str]
    detected: frozenset[str]


def run_corpus(corpus: Path, threshold: float) -> list[Case]:
    expected = yaml.safe_load((corpus / "expected.yaml").read_text(encoding="utf-8"))
    cases = []
    for file, labels in sorted(expected.items()):
        found = detect(load_contract(corpus / file), threshold=threshold)
        cases.append(Case(file, frozenset(labels), frozenset(d.label for d in found)))
    return cases


def ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 1.0


def report(cases: list[Case]) -> list[str]:
    tp, fp, fn = Counter[str](), Counter[str](), Counter[str]()
    for case in cases:
        for label in case.detected & case.expected:
            tp[label] += 1
        for label in case.detected - case.expected:
            fp[label] += 1
        for label in case.expected - case.detected:
            fn[label] += 1
    lines = [f"{'label':38} {'tp':>3} {'fp':>3} {'fn':>3} {'precision':>9} {'recall':>6}"]
    for label in (spec.label for spec in CATALOGUE):
        t, f, n = tp[label], fp[label], fn[label]
        lines.append(f"{label:38} {t:3} {f:3} {n:3} {ratio(t, t + f):9.2f} {ratio(t, t + n):6.2f}")
    t, f, n = sum(tp.values()), sum(fp.values()), sum(fn.values())
    lines.append(
        f"{'overall (' + str(len(cases)) + ' contracts)':38} {t:3} {f:3} {n:3} "
        f"{ratio(t, t + f):9.2f} {ratio(t, t + n):6.2f}"
    )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--threshold", type=float, default=DETECTION_THRESHOLD)
    parser.add_argument("--verbose", action="store_true", help="list every case that disagrees")
    args = parser.parse_args()
    cases = run_corpus(args.corpus, args.threshold)
    print("\n".join(report(cases)))
    if args.verbose:
        for case in cases:
            if case.detected != case.expected:
                missed = ", ".join(sorted(case.expected - case.detected)) or "-"
                extra = ", ".join(sorted(case.detected - case.expected)) or "-"
                print(f"{case.file}: missed {missed}; unexpected {extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
