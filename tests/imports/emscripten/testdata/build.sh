#!/usr/bin/env bash
# Rebuilds sjlj.wasm with Emscripten (Debian's `emscripten` package, 3.1.6:
# setjmp/longjmp through invoke_* imports). The built .wasm is committed, so
# the tests need no compiler.
set -euo pipefail
cd "$(dirname "$0")"
emcc -O1 -sSTANDALONE_WASM sjlj.c -o sjlj.wasm
