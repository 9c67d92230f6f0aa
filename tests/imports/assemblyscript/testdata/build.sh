#!/usr/bin/env bash
# Rebuilds program.wasm with AssemblyScript (npm `assemblyscript`); the built
# .wasm is committed so the tests need no compiler.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm install --silent assemblyscript@0.27 >/dev/null)
"$tmp/node_modules/.bin/asc" program.ts -o program.wasm --optimize --runtime stub
