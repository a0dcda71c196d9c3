"""Extraction cost per file next to the bare ``libcst.parse_module`` of the same file.

    python benchmarks/bench_extract.py [--repeats 7] [--lines 500]

For every source file of ``examples/team_repo``'s nodes and of a ~500-line node
(``repo_factory.write_big_node``) it prints the median over ``--repeats`` runs of

* ``parse``: ``libcst.parse_module`` of the file's text;
* ``extract``: everything extraction does for that file: the parse, metadata resolution
  (``AstLinkProvider``), every extractor, generalization and parameterization of everything the
  file yields, dependency collection and confidence; ``+quality`` adds ``Pattern.quality``
  (``quality.analyze_tree`` on each pattern's tree, which spares the learn gate its re-parse);

and their ratio. The sibling modules a file's dependencies reach (its models) are parsed before the
clock starts: each file's parse is counted once, in its own row, as in a real run. Goals: ratio
<= 2.5 and <= 60 ms for the 500-line handler module. A last row per node times ``mine_node`` as a
whole (test shapes and naming included) against the parse of all its Python files.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import libcst as cst

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nodeforge.learning.extract.build import Mining  # noqa: E402
from nodeforge.learning.extract.context import ContractFacts, NodeContext  # noqa: E402
from nodeforge.learning.extract.conventions import NamingEvidence  # noqa: E402
from nodeforge.learning.extract.miner import is_test_path, mine_file, mine_node  # noqa: E402
from nodeforge.learning.nodes import NodeSource, discover  # noqa: E402
from nodeforge.model import PatternStatus  # noqa: E402
from tests.fixtures.repo_factory import EXAMPLE_REPO, write_big_node  # noqa: E402


def _median_ms(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.process_time()
        action()
        times.append(time.process_time() - started)
    return statistics.median(times) * 1000


def _extract_file(node: NodeSource, rel: str, *, quality: bool = False) -> int:
    contract = ContractFacts.read(node)
    ctx = NodeContext(node=node, contract=contract)
    for other in ctx.python_files():  # siblings parsed beforehand: their parse is in their own row
        if other != rel and not is_test_path(other):
            ctx.parsed(other).links  # noqa: B018
    mining = Mining(ctx, PatternStatus.ACTIVE, "", contract.renames(node.names), score_quality=quality)
    started = time.process_time()
    mine_file(mining, ctx.parsed(rel), [], NamingEvidence(node.names))
    elapsed = time.process_time() - started
    _extract_file.last = elapsed  # type: ignore[attr-defined]
    return len(mining.patterns)


def _timed_extract(node: NodeSource, rel: str, repeats: int, *, quality: bool = False) -> tuple[float, int]:
    times, found = [], 0
    for _ in range(repeats):
        found = _extract_file(node, rel, quality=quality)
        times.append(_extract_file.last)  # type: ignore[attr-defined]
    return statistics.median(times) * 1000, found


def bench(nodes: list[NodeSource], repeats: int) -> list[tuple[str, int, float, float, float, int]]:
    rows = []
    for node in nodes:
        ctx = NodeContext(node=node)
        for rel in ctx.python_files():
            if is_test_path(rel):
                continue
            text = (ctx.base / rel).read_text(encoding="utf-8")
            parse = _median_ms(lambda text=text: cst.parse_module(text), repeats)  # type: ignore[misc]
            extract, found = _timed_extract(node, rel, repeats)
            scored, _ = _timed_extract(node, rel, repeats, quality=True)
            rows.append((f"{node.name}/{rel}", text.count("\n"), parse, extract, scored, found))
        texts = [(ctx.base / rel).read_text(encoding="utf-8") for rel in ctx.python_files()]
        parse_all = _median_ms(lambda texts=texts: [cst.parse_module(t) for t in texts], repeats)  # type: ignore[misc]
        whole = _median_ms(lambda node=node: mine_node(node, score_quality=False), repeats)  # type: ignore[misc]
        scored = _median_ms(lambda node=node: mine_node(node), repeats)  # type: ignore[misc]
        lines = sum(t.count("\n") for t in texts)
        rows.append(
            (f"{node.name} (whole node)", lines, parse_all, whole, scored, len(mine_node(node).patterns))
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--lines", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        big_root = Path(folder)
        write_big_node(big_root, lines=args.lines)
        nodes = discover(EXAMPLE_REPO) + discover(big_root)
        rows = bench(nodes, args.repeats)
    header = (
        f"{'file':<66} {'lines':>5} {'parse':>7} {'extract':>8} {'ratio':>6} "
        f"{'+quality':>8} {'ratio':>6} {'pat':>4}"
    )
    print(header + "\n(ms, medians)")
    for name, lines, parse, extract, scored, found in rows:
        ratio, ratio_q = extract / parse, scored / parse
        print(
            f"{name:<66} {lines:>5} {parse:>7.2f} {extract:>8.2f} {ratio:>6.2f} "
            f"{scored:>8.2f} {ratio_q:>6.2f} {found:>4}"
        )
    files = [row for row in rows if "(whole node)" not in row[0] and row[5]]
    total_parse, total_extract, total_scored = (sum(r[i] for r in files) for i in (2, 3, 4))
    print(
        f"files with patterns: parse {total_parse:.1f} ms, extract {total_extract:.1f} ms "
        f"(ratio {total_extract / total_parse:.2f}), with quality {total_scored:.1f} ms "
        f"(ratio {total_scored / total_parse:.2f})"
    )


if __name__ == "__main__":
    main()
