#!/usr/bin/env bash
# Fetches esbuild-wasm (a 14 MB GOOS=js program published on npm, MIT) for
# tests/imports/gojs/test_esbuild.py into testdata/esbuild-wasm/ (ignored by
# git). The test skips, saying why, when it is absent.
set -euo pipefail
cd "$(dirname "$0")"
VERSION=0.28.2
[ -f esbuild-wasm/esbuild.wasm ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "esbuild-wasm@$VERSION" >/dev/null)
mkdir -p esbuild-wasm
tar xzf "$tmp"/esbuild-wasm-*.tgz -C esbuild-wasm --strip-components=1 package/esbuild.wasm package/LICENSE.md
