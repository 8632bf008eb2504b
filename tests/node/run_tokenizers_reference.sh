#!/usr/bin/env bash
# Runs the HF tokenizers comparison; exits 77 (skipped) when node or the npm packages are
# missing (scripts/setup installs them).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DATA="${CHOSEI_TEST_DATA:-$HERE/../../../shared/data}"
if ! command -v node >/dev/null || [ ! -d "$HERE/node_modules/tokenizers" ]; then
  echo "node or npm package 'tokenizers' missing (run scripts/setup); skipped"
  exit 77
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
node "$HERE/tokenizers_reference.mjs" "$1" "$DATA" "$WORK"
