"""The quality analyzer's cost on a ~100-line handler class (ten async operations).

    python benchmarks/bench_quality.py [--repeats 7] [--methods 10]

Prints the median of ``quality.analyze`` (parse included) and of ``libcst.parse_module`` alone.
Goal: well under 100 ms per 100 lines (about 15 ms on a quiet 2-core machine, 9 ms of it the parse).
This was a test once; a wall-clock bound fails on a busy laptop, so it is measured here instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import libcst as cst

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _common import Bench, machine, repeat  # noqa: E402

from nodeforge.learning.quality import analyze  # noqa: E402

METHOD = '''
    async def operation_{i}(self, request: ModelRequest) -> ModelResult:
        """Run operation {i}."""
        if not request.name:
            raise ValueError("name is required")
        try:
            row = await self._store.fetch(request.name)
        except KeyError as exc:
            raise NotFoundError(request.name) from exc
        return ModelResult(id=row.id)
'''


def handler_class(methods: int) -> str:
    body = "".join(METHOD.format(i=i) for i in range(methods))
    return f'class HandlerBig:\n    """Many operations."""\n{body}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per measure (median)")
    parser.add_argument("--methods", type=int, default=10, help="operations in the class (10 lines each)")
    args = parser.parse_args()
    code = handler_class(args.methods)
    bench = Bench("quality analyzer", context={**machine(), "lines": str(code.count("\n"))})
    bench.seconds("parse", repeat(lambda: cst.parse_module(code), args.repeats, warmup=1))
    bench.seconds(
        "analyze (parse included)", repeat(lambda: analyze(code), args.repeats, warmup=1), target="< 100 ms"
    )
    bench.print_table()


if __name__ == "__main__":
    main()
