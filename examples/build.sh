#!/bin/sh
# Rebuild the example WASI programs (needs: pip install ziglang).
set -e
cd "$(dirname "$0")"
PY=${PY:-python3}
for src in *.c; do
    "$PY" -m ziglang cc --target=wasm32-wasi -O2 -s -o "${src%.c}.wasm" "$src"
done
