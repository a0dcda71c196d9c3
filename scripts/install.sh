#!/usr/bin/env bash
# Create .venv and install nodeforge with its embeddings and test extras.
# The CPU build of torch goes in first: an unpinned torch would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
.venv/bin/python -m pip install -q "torch==2.13.0" 2>&1 | grep -v "is ignored" || true
.venv/bin/python -m pip install -q -e ".[embeddings,test]" 2>&1 | grep -v "is ignored" || true
.venv/bin/python -c "import nodeforge, libcst, qdrant_edge, sentence_transformers" 
echo "installed: $(.venv/bin/nodeforge --help >/dev/null && echo nodeforge) into $(pwd)/.venv"
