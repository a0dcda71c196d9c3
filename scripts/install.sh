#!/usr/bin/env bash
# Create .venv and install nodeforge with its embeddings, test and dev extras, one line per step.
#
# torch goes in first, pinned to torch==2.13.0: the CPU build is ~200 MB, while an unpinned or
# plain-PyPI torch on Linux is the CUDA build (several GB, ~47 nvidia packages). On Linux the CPU
# build comes from PyTorch's CPU index (https://download.pytorch.org/whl/cpu) when it can be reached;
# otherwise from pip's configured index, and the script says so: on a machine whose mirror serves CPU
# wheels (as ours does) that is the CPU build; on plain PyPI it would be the CUDA one.
# TORCH_INDEX=URL chooses the index; TORCH_INDEX= (empty) forces pip's configured index.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
CPU_INDEX=https://download.pytorch.org/whl/cpu
if [ -z "${TORCH_INDEX+set}" ]; then
  TORCH_INDEX=
  if [ "$(uname -s)" = Linux ] && "$PYTHON" -c "import urllib.request as u; u.urlopen('$CPU_INDEX/torch/', timeout=5)" 2>/dev/null; then
    TORCH_INDEX=$CPU_INDEX
  fi
fi
TORCH_ARGS=()
[ -n "$TORCH_INDEX" ] && TORCH_ARGS=(--index-url "$TORCH_INDEX")
TORCH_BUILD='import torch; print(torch.__version__, f"(CUDA {torch.version.cuda})" if torch.version.cuda else "(CPU build)")'
STARTED=$SECONDS
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

# pip_step LABEL ARGS...: a header line, pip's "Collecting NAME" lines as progress, a closing line
# with the time; on failure, the end of pip's own log and pip's exit status.
pip_step() {
  local label=$1 started=$SECONDS status
  shift
  echo "install: $label"
  set +e
  .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off "$@" 2>&1 \
    | tee "$LOG" | { grep --line-buffered '^Collecting ' | sed -u 's/^Collecting /  collecting /'; true; }
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -ne 0 ]; then
    echo "install: $label failed (pip exit $status); pip's last lines:" >&2
    tail -25 "$LOG" >&2
    exit "$status"
  fi
  echo "install: $label: done in $((SECONDS - started)) s"
}

if [ -x .venv/bin/python ]; then
  echo "install: reusing .venv ($(.venv/bin/python --version))"
else
  echo "install: creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
pip_step "pip itself" --upgrade pip
pip_step "torch 2.13.0 from ${TORCH_INDEX:-the configured index} (the largest download)" \
  "${TORCH_ARGS[@]}" "torch==2.13.0"
echo "install: torch $(.venv/bin/python -c "$TORCH_BUILD")"
pip_step "nodeforge and its extras (embeddings, test, dev)" -e ".[embeddings,test,dev]"
.venv/bin/python -c "import nodeforge, libcst, qdrant_edge, sentence_transformers"
echo "install: $(.venv/bin/nodeforge --version) installed into $(pwd)/.venv in $((SECONDS - STARTED)) s"
