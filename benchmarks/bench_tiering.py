"""Tiering thresholds: whole-process `wasmzero run --no-cache` (the cold
path, where translation is paid) and cached runs of the shared corpus, at
its smallest sizes and its usual sizes, for several `--tier-threshold`
values (interleaved, medians).

    python benchmarks/bench_tiering.py [-n 3] [--thresholds 0,10,100,1000,none]
        [--programs PATH.wasm:ARGS ...]

Prints a Markdown table: seconds per (program, threshold), and each
threshold's geometric mean relative to 0 (translate at first call).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "wasm"
SMALL = ["fib:1", "fib:15", "sieve:2000", "sha256:1", "strings:200", "vm:10", "nbody:100"]
USUAL = ["fib:27", "sieve:500000", "sha256:64", "strings:12000", "vm:1000", "nbody:15000"]


def _run(wasm: Path, args: list[str], threshold: str, cache: str | None) -> float:
    cmd = [sys.executable, "-m", "wasmzero", "run", "--tier-threshold", threshold]
    cmd += ["--cache-dir", cache] if cache else ["--no-cache"]
    t = time.perf_counter()
    r = subprocess.run([*cmd, str(wasm), *args], capture_output=True)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"{wasm.name} {args} failed: {r.stderr.decode()[-500:]}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("--thresholds", default="0,10,100,1000,none")
    ap.add_argument("--set", choices=("small", "usual", "both"), default="both")
    ap.add_argument("--cached", action="store_true", help="time cached runs (after one fill)")
    ap.add_argument("--programs", nargs="*", help="PATH.wasm:ARG,ARG instead of the corpus")
    a = ap.parse_args()
    thresholds = a.thresholds.split(",")
    progs: list[tuple[str, Path, list[str]]] = []
    if a.programs:
        for spec in a.programs:
            path, _, args = spec.partition(":")
            progs.append((Path(path).name, Path(path), args.split(",") if args else []))
    else:
        chosen = {"small": SMALL, "usual": USUAL, "both": SMALL + USUAL}[a.set]
        for spec in chosen:
            name, _, arg = spec.partition(":")
            progs.append((f"{name} {arg}", CORPUS / f"{name}.wasm", [arg]))
    times: dict[tuple[str, str], list[float]] = {}
    caches = {t: tempfile.mkdtemp(prefix=f"tier{t}-") for t in thresholds} if a.cached else {}
    try:
        if a.cached:  # fill each threshold's cache once
            for _label, wasm, args in progs:
                for t in thresholds:
                    _run(wasm, args, t, caches[t])
        for _ in range(a.n):
            for label, wasm, args in progs:
                for t in thresholds:
                    dt = _run(wasm, args, t, caches.get(t))
                    times.setdefault((label, t), []).append(dt)
    finally:
        for d in caches.values():
            shutil.rmtree(d, ignore_errors=True)
    print(
        f"| program ({'cached' if a.cached else '--no-cache'}) | " + " | ".join(thresholds) + " |"
    )
    print("|---" * (len(thresholds) + 1) + "|")
    ratios: dict[str, list[float]] = {t: [] for t in thresholds}
    for label, _, _ in progs:
        med = {t: statistics.median(times[(label, t)]) for t in thresholds}
        for t in thresholds:
            ratios[t].append(med[t] / med[thresholds[0]])
        print(f"| {label} | " + " | ".join(f"{med[t]:.3f}" for t in thresholds) + " |")
    geo = {t: math.exp(statistics.fmean(math.log(r) for r in ratios[t])) for t in thresholds}
    print(
        f"| geomean vs {thresholds[0]} | " + " | ".join(f"{geo[t]:.2f}x" for t in thresholds) + " |"
    )
    print(f"\n(CPython {sys.version.split()[0]}, {os.cpu_count()} CPUs, n={a.n}, medians)")


if __name__ == "__main__":
    main()
