#!/usr/bin/env bash
# Reproduce docs/quality.md: `nodeforge eval` on OmniNode-ai/omnimarket (5 folds by default).
#
#   scripts/eval_omnimarket.sh                  # every node, 5 folds
#   scripts/eval_omnimarket.sh --limit 20       # a quick run: 20 held-out nodes
#   scripts/eval_omnimarket.sh --json > out.json
#
# NODEFORGE_OMNIMARKET: an omnimarket checkout (a git clone);
# OMNIMARKET_PYTHON: an interpreter with omnimarket's dependencies (docs/quality.md says how to make one).
# The checkout is cloned into a temporary folder first; eval itself works in a scratch clone of that.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SOURCE=${NODEFORGE_OMNIMARKET:?set NODEFORGE_OMNIMARKET to an omnimarket checkout}
PYTHON=${OMNIMARKET_PYTHON:?set OMNIMARKET_PYTHON to an interpreter with the dependencies of omnimarket}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
git clone -q "$SOURCE" "$WORK/omnimarket"
cd "$WORK/omnimarket"
NODEFORGE_EMBEDDINGS=${NODEFORGE_EMBEDDINGS:-0} NODEFORGE_HOME="$WORK/state" \
  "$ROOT/.venv/bin/nodeforge" eval --folds 5 --python "$PYTHON" "$@"
