"""SIMD: the same C loops built with and without -msimd128 (benchmarks/simd),
run through ``wasmzero run`` as whole processes; median of N runs each.

    python benchmarks/bench_simd.py [--rounds 100] [-n 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent / "simd"


def run(wasm: Path, rounds: int) -> tuple[float, str]:
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "wasmzero", "run", str(wasm), str(rounds)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return time.perf_counter() - t, out.strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("-n", type=int, default=3)
    args = ap.parse_args()
    times: dict[str, list[float]] = {"scalar": [], "simd": []}
    outputs = {}
    for _ in range(args.n):
        for kind in times:
            t, out = run(HERE / f"vecloop_{kind}.wasm", args.rounds)
            times[kind].append(t)
            outputs[kind] = out
    if outputs["scalar"] != outputs["simd"]:
        raise SystemExit(f"outputs differ: {outputs}")
    s, v = statistics.median(times["scalar"]), statistics.median(times["simd"])
    print("| build | wall time (median) |")
    print("|---|---:|")
    print(f"| -O2 (no SIMD) | {s:.2f} s |")
    print(f"| -O2 -msimd128 | {v:.2f} s ({s / v:.2f}x) |")
    print(f"\noutput: {outputs['simd']}")


if __name__ == "__main__":
    main()
