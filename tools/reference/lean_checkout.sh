#!/usr/bin/env bash
# The device tool sends this checkout's tracked files with every call (≈ 35 MB), which leaves room
# for one ORT bundle part per call. Before a GPU lease, this switches the checkout to a commit that
# holds only what gpu_bench.sh needs there (.gitignore, tools/, examples/, the tokenizer fixture:
# ≈ 3.5 MB), made from a temporary index and never pushed, so two parts travel per call.
# Ignored folders (.bench, .gpu, .gl, .ortb, node_modules) stay. Afterwards: git checkout main.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
git diff --quiet && git diff --cached --quiet || { echo "lean_checkout: commit or stash your changes first" >&2; exit 1; }
idx=$(mktemp -u); trap 'rm -f "$idx"' EXIT
GIT_INDEX_FILE=$idx git read-tree --empty
GIT_INDEX_FILE=$idx git add .gitignore tools examples test/fixtures/tokenizer
tree=$(GIT_INDEX_FILE=$idx git write-tree)
git checkout -q --detach "$(git commit-tree "$tree" -p HEAD -m 'lean checkout for device calls (never pushed)')"
echo "lean checkout: $(git ls-files | wc -l) files; back with: git checkout main"
