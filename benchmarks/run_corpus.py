"""The shared WASI corpus (../shared/bench) under wasmzero and, when they are
installed (``pip install -e '.[bench]'``), its peers: wasmtime (the
reference, also the output check), pwasm in ``mode="compile"`` and pwasm's
default mode. Every run is a whole process; runtimes are interleaved; the
table shows medians, ratios and peak memory (the shared runner's output),
and a JSON file keeps every time.

Sizes are raised from the shared defaults (calibrated for pwasm's default
mode) so that wasmzero runs each program for about 1-3 s.

    python benchmarks/run_corpus.py [-n 5] [--bench fib,vm] [--json FILE] [--native]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench"

SIZES = {
    "fib": 34,
    "sieve": 5000000,
    "hash64": 128,
    "sha256": 640,
    "nbody": 90000,
    "matmul_f32": 100,
    "malloc_trees": 13,
    "strings": 30000,
    "vm": 16000,
    "fileio": 16,
}

# Cold: no cache, every process decodes, validates and translates.
WASMZERO = "wasmzero={python} -m wasmzero run --no-cache --mount {data}:/data {wasm} {args}"
# The native engine (issue 25), cold: its machine code is made in each process.
WASMZERO_NATIVE = (
    "wasmzero-native={python} -m wasmzero run --no-cache --engine native --mount {data}:/data "
    "{wasm} {args}"
)
# Warm: the command line's default behaviour after a first run (a cache
# filled beforehand, untimed, like the shared runner's pwasm-cached).
WASMZERO_CACHED = (
    "wasmzero-cached={python} -m wasmzero run --cache-dir %s --mount {data}:/data {wasm} {args}"
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=3, help="runs per benchmark and runtime")
    ap.add_argument("--bench", help="comma-separated subset")
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results-corpus.json"))
    ap.add_argument("--no-peers", action="store_true", help="wasmzero (and wasmtime) only")
    ap.add_argument("--no-cached", action="store_true", help="skip the warm-cache row")
    ap.add_argument("--native", action="store_true", help="add wasmzero --engine native (cold)")
    args = ap.parse_args()
    if not (BENCH / "run.py").exists():
        print(f"the shared corpus is not at {BENCH}", file=sys.stderr)
        return 1
    peers = []
    if importlib.util.find_spec("wasmtime"):
        peers.append("wasmtime")
    if not args.no_peers and importlib.util.find_spec("pwasm"):
        peers.append("pwasm-compile")
    cmd = [sys.executable, str(BENCH / "run.py"), "-n", str(args.n), "--json", args.json]
    cmd += ["--runtimes", ",".join(peers) if peers else "none", "--runtime", WASMZERO]
    if args.native:
        cmd += ["--runtime", WASMZERO_NATIVE]
    if not args.no_cached:
        cache = tempfile.mkdtemp(prefix="wasmzero-bench-cache-")
        for wasm in sorted((BENCH / "wasm").glob("*.wasm")):
            subprocess.run(
                [sys.executable, "-m", "wasmzero", "compile", "--cache-dir", cache, str(wasm)],
                check=True,
                capture_output=True,
            )
        cmd += ["--runtime", WASMZERO_CACHED % cache]
    for name, size in SIZES.items():
        cmd += ["--size", f"{name}={size}"]
    if args.bench:
        cmd += ["--bench", args.bench]
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main())
