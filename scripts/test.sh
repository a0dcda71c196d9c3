#!/usr/bin/env bash
# The test suite, as CI runs it: lint, types, then pytest on two workers.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check engine hooks tests benchmarks
bash scripts/typecheck.sh
.venv/bin/python -m pytest -q -n 2 --durations=10 "$@"
