#!/usr/bin/env bash
# Rebuilds the test programs with Emscripten (Debian's `emscripten` package,
# 3.1.6). The built .wasm files are committed, so the tests need no compiler.
#
# sjlj.wasm: setjmp/longjmp through invoke_* imports, standalone (_start).
#
# exceptions.wasm: C++ exceptions through invoke_* and the JavaScript
# exception runtime (__cxa_throw, __cxa_find_matching_catch_N, ...). Built
# for JavaScript (no -sSTANDALONE_WASM; the .js file is thrown away): in a
# standalone build Emscripten 3.1.6 links libstandalonewasm, whose weak
# __cxa_throw and __cxa_allocate_exception call abort(), so nothing can be
# thrown. Such a program exports main(argc, argv) (and __wasm_call_ctors)
# instead of _start: emscripten.call_main runs it as the .js file would.
set -euo pipefail
cd "$(dirname "$0")"
emcc -O1 -sSTANDALONE_WASM sjlj.c -o sjlj.wasm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
em++ -O1 -fexceptions -sDISABLE_EXCEPTION_CATCHING=0 -c exceptions.cpp -o "$tmp/exceptions.o"
em++ -O1 -fexceptions -sDISABLE_EXCEPTION_CATCHING=0 "$tmp/exceptions.o" -o "$tmp/exceptions.js"
cp "$tmp/exceptions.wasm" exceptions.wasm
