#!/usr/bin/env bash
# Install nodeforge, then run the whole loop on the shipped example team repository:
# test with the plugin -> commit (the post-commit hook learns) -> generate a new node -> test it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
PROJECT=$(pwd)
export PATH="$PROJECT/.venv/bin:$PATH"
WORK=$(mktemp -d)
trap 'echo "(the demo repository is kept at $WORK/team)"' EXIT
cp -r examples/team_repo "$WORK/team"
cd "$WORK/team"
git init -q -b main
git config user.name "nodeforge demo"; git config user.email "demo@example.invalid"
cat > .pre-commit-config.yaml <<YAML
repos:
- repo: local
  hooks:
  - id: nodeforge-learn
    name: nodeforge learn
    entry: nodeforge-learn-hook
    language: system
    stages: [post-commit]
    always_run: true
    pass_filenames: false
YAML
printf '.nodeforge/\n__pycache__/\n.pytest_cache/\n' > .gitignore
pre-commit install --hook-type post-commit >/dev/null
echo "== 1. the team's tests, with the nodeforge plugin recording verdicts"
python -m pytest -q --nodeforge -p no:cacheprovider | tail -2
echo "== 2. commit: the post-commit hook learns from the nodes whose tests passed"
git add -A && git commit -qm "team nodes"
# The hook answered at once and left the mining to a detached process: wait for its line.
for _ in $(seq 120); do grep -q "nodeforge: learned" .nodeforge/hook.log 2>/dev/null && break; sleep 0.5; done
tail -1 .nodeforge/hook.log
echo "== 3. what was learned (operations; \`nodeforge patterns list\` shows every kind)"
nodeforge patterns list --kind operation
echo "== 4. generate a new node from its contract"
nodeforge generate "$PROJECT/examples/contracts/node_order_effect.yaml" --out src/teamapp/nodes --explain
echo "== 5. the generated node's own tests (their verdict credits the patterns it used)"
python -m pytest -q --nodeforge -p no:cacheprovider src/teamapp/nodes/node_order_effect | tail -2
nodeforge patterns list --kind operation
