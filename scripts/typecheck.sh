#!/usr/bin/env bash
# mypy --strict over the checkout as it is: engine/nodeforge is the `nodeforge` package (mypy_path in
# pyproject.toml), and hooks/ (installed as `nodeforge.hooks`) is checked by file.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/mypy --config-file pyproject.toml engine/nodeforge hooks
