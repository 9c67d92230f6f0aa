"""What function listeners cost: fib(20) (21,891 calls) with no listener
factory, with a factory that returns None, with an empty listener on every
function, and with the logging listener writing to /dev/null; in process,
interleaved.

    python benchmarks/bench_listeners.py [-n 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import wasmtime

from wasmzero import Runtime, RuntimeConfig
from wasmzero.experimental import FunctionListener
from wasmzero.experimental.logging import LoggingListenerFactory

FIB = wasmtime.wat2wasm(
    """(module (func $fib (export "fib") (param i32) (result i32)
      (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
        (then (local.get 0))
        (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                       (call $fib (i32.sub (local.get 0) (i32.const 2))))))))"""
)
CALLS = 21891  # calls of fib made by fib(20)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=5)
    # Listeners run as the compiler engine runs code (the native engine
    # hands an instance with listeners to it): the baseline is that engine.
    ap.add_argument("--engine", default="compiler")
    opts = ap.parse_args()
    n = opts.n
    devnull = open(os.devnull, "w")  # noqa: SIM115 - kept for the whole run
    setups = {
        "no factory": None,
        "factory -> None": lambda m, d: None,
        "empty listener": lambda m, d: FunctionListener(),
        "logging to /dev/null": LoggingListenerFactory(devnull, wasm=True),
    }
    fns = {}
    for name, factory in setups.items():
        rt = Runtime(RuntimeConfig(engine=opts.engine, listener_factory=factory))
        fns[name] = rt.instantiate(FIB).exported_function("fib")
        fns[name](5)
    times: dict[str, list[float]] = {k: [] for k in setups}
    for _ in range(n):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn(20)
            times[name].append(time.perf_counter() - t)
    base = statistics.median(times["no factory"])
    for name, ts in times.items():
        m = statistics.median(ts)
        print(
            f"{name}: {m * 1e3:.1f} ms ({m / base:.2f}x), {(m - base) / CALLS * 1e6:.2f} us per call"
        )


if __name__ == "__main__":
    main()
