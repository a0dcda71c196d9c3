#!/usr/bin/env bash
# The test suite, as CI runs it: install (when missing), lint, types, then pytest on two workers.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -n 1`, `bash scripts/test.sh -k hook`).
set -euo pipefail
cd "$(dirname "$0")/.."
STARTED=$SECONDS

phase() { echo "== $1"; }
installed() {
  [ -x .venv/bin/ruff ] && [ -x .venv/bin/mypy ] \
    && .venv/bin/python -c "import nodeforge, pytest, xdist, hypothesis, pre_commit" 2>/dev/null
}

if installed; then
  phase "install: .venv has nodeforge and the test tools (scripts/install.sh to refresh)"
else
  phase "install: .venv is missing or incomplete, running scripts/install.sh (minutes, once)"
  bash scripts/install.sh
fi
phase "lint: ruff check"
.venv/bin/ruff check engine hooks tests benchmarks
phase "types: mypy --strict (a few minutes on a first run, seconds once cached)"
bash scripts/typecheck.sh
phase "tests: pytest"
.venv/bin/python -m pytest -q -n 2 --durations=10 "$@"
echo "== all green in $((SECONDS - STARTED)) s"
