#!/bin/sh
# Rebuild the SIMD benchmark (needs: pip install ziglang).
set -e
cd "$(dirname "$0")"
PY=${PY:-python3}
"$PY" -m ziglang cc --target=wasm32-wasi -O2 -s -msimd128 -o vecloop_simd.wasm vecloop.c
"$PY" -m ziglang cc --target=wasm32-wasi -O2 -s -fno-vectorize -fno-slp-vectorize -o vecloop_scalar.wasm vecloop.c
