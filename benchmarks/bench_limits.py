"""What stopping costs: the corpus programs' compute (fib, sieve) and a
python->wasm call, in a plain runtime, an interruptible one, under a
deadline, and metering fuel (interleaved, in process).

    python benchmarks/bench_limits.py [-n 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import wasmtime
from bench_native import CORE  # the same functions bench_native times

from wasmzero import Runtime, RuntimeConfig

WAT = f"(module {CORE})"  # fib, a counted loop, a nullary export


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=5)
    # Fuel is charged by the compiler engine (the native engine hands an
    # instance with fuel to it): the rows compare on that engine.
    ap.add_argument("--engine", default="compiler")
    opts = ap.parse_args()
    n, engine = opts.n, opts.engine
    wasm = wasmtime.wat2wasm(WAT)
    setups = {
        "plain": (RuntimeConfig(engine=engine), False),
        "interruptible": (RuntimeConfig(engine=engine, interruptible=True), False),
        "deadline": (RuntimeConfig(engine=engine, interruptible=True), True),
        "fuel": (RuntimeConfig(engine=engine, fuel=10**15), False),
    }
    mods = {}
    for name, (cfg, _) in setups.items():
        rt = Runtime(cfg)
        mods[name] = (rt, rt.instantiate(wasm))
    work = {
        "fib(25)": lambda m: m.exported_function("fib")(25),
        "loop(2e6)": lambda m: m.exported_function("loop")(2_000_000),
        "1e5 calls of nop": lambda m: [f() for f in [m.exported_function("nop")] * 100_000],
    }
    for wname, job in work.items():
        times: dict[str, list[float]] = {k: [] for k in setups}
        for _ in range(n):
            for name, (_, use_deadline) in setups.items():
                rt, mod = mods[name]
                t = time.perf_counter()
                if use_deadline:
                    with rt.deadline(3600):
                        job(mod)
                else:
                    job(mod)
                times[name].append(time.perf_counter() - t)
        base = statistics.median(times["plain"])
        row = ", ".join(
            f"{k} {statistics.median(v):.3f} s ({statistics.median(v) / base:.2f}x)"
            for k, v in times.items()
        )
        print(f"{wname}: {row}")


if __name__ == "__main__":
    main()
