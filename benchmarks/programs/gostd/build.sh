#!/bin/sh
# Builds gostd.wasm (GOOS=wasip1) from main.go with the standard library
# only (no module downloads). The result is about 6.6 MB, so it is not
# checked in: bench_startup.py runs this script on demand (into
# benchmarks/programs/.cache) when a Go toolchain is found.
#
#   sh benchmarks/programs/gostd/build.sh [OUT.wasm]    # GO=/path/to/go to choose
set -eu
here=$(cd "$(dirname "$0")" && pwd)
GO=${GO:-go}
out=${1:-$here/gostd.wasm}
cd "$here"
GOOS=wasip1 GOARCH=wasm GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=mod \
    "$GO" build -trimpath -ldflags="-s -w" -o "$out" .
ls -l "$out"
