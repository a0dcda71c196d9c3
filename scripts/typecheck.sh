#!/usr/bin/env bash
# mypy --strict over the package as it is installed: engine/ is `nodeforge`, hooks/ is `nodeforge.hooks`.
# mypy does not run setuptools' editable finder, so lay the package out with symlinks in a temp folder.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
LAYOUT=$(mktemp -d)
trap 'rm -rf "$LAYOUT"' EXIT
mkdir "$LAYOUT/nodeforge"
for entry in "$ROOT"/engine/*; do ln -s "$entry" "$LAYOUT/nodeforge/$(basename "$entry")"; done
ln -s "$ROOT/hooks" "$LAYOUT/nodeforge/hooks"
cd "$LAYOUT"
"$ROOT/.venv/bin/mypy" --config-file "$ROOT/pyproject.toml" --cache-dir "$ROOT/.mypy_cache" -p nodeforge
