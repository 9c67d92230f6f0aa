#!/bin/sh
# Rebuild the committed test programs: testdata/*.c -> testdata/*.wasm.
# -s strips debug info (the programs stay small). Needs `pip install ziglang`; the tests themselves only need the .wasm files.
set -e
cd "$(dirname "$0")"
PY=${PY:-python3}
for src in *.c; do
    "$PY" -m ziglang cc --target=wasm32-wasi -O2 -s -o "${src%.c}.wasm" "$src"
    echo "built ${src%.c}.wasm"
done
