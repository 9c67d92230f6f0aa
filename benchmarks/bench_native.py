"""Compute-only fib(25) in process: the native engine against the compiler
engine and wasmtime-py (when installed). Median of ``-n`` calls after one
warm-up call; compile and instantiate are not timed.

    python benchmarks/bench_native.py [-n 7] [--arg 25]
"""

from __future__ import annotations

import argparse
import statistics
import time

FIB = """(module
 (func $fib (export "fib") (param i32) (result i32)
  (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
   (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                  (call $fib (i32.sub (local.get 0) (i32.const 2))))))))"""


def _time(fn, arg: int, n: int) -> float:
    fn(arg)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=7)
    ap.add_argument("--arg", type=int, default=25)
    args = ap.parse_args()
    import wasmtime

    from wasmzero import Runtime, RuntimeConfig

    data = wasmtime.wat2wasm(FIB)
    rows = {}
    for eng in ("compiler", "native"):
        rt = Runtime(RuntimeConfig(engine=eng))
        rows[eng] = _time(rt.instantiate(data).exported_function("fib"), args.arg, args.n)
    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, data), [])
    fib = inst.exports(store)["fib"]
    rows["wasmtime"] = _time(lambda x: fib(store, x), args.arg, args.n)
    base = rows["native"]
    print(f"fib({args.arg}) compute only, median of {args.n}")
    for name, t in rows.items():
        print(f"  {name:10s} {t * 1e3:9.3f} ms  {t / base:6.2f}x native")


if __name__ == "__main__":
    main()
