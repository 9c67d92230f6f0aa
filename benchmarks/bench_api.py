"""Micro benchmarks of the embedding API.

- Python -> wasm call of a nullary export (per call)
- host function call from wasm, typed and raw (per call)
- memory read/write from Python (per call)
- instantiating one compiled module 1,000 times (no re-translation)
- compile + instantiate, cold and with the disk cache

    python benchmarks/bench_api.py [--engine compiler|native]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable

import wasmtime  # test dependency: only to assemble the benchmark modules

from wasmzero import CompilationCache, ModuleConfig, Runtime, RuntimeConfig, i32

N = 200_000

_MOD = wasmtime.wat2wasm(
    """(module
      (import "env" "typed" (func $typed (param i32) (result i32)))
      (import "env" "raw" (func $raw (param i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "nop"))
      (func (export "call_typed") (param $n i32)
        (loop $l
          (drop (call $typed (local.get $n)))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
      (func (export "call_raw") (param $n i32)
        (loop $l
          (drop (call $raw (local.get $n)))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
      (func (export "empty_loop") (param $n i32)
        (loop $l
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))"""
)


def per_call(fn: Callable[[], object], n: int) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) / n


def best(fn: Callable[[], float], repeat: int = 5) -> float:
    return min(fn() for _ in range(repeat))


def typed(x: i32) -> i32:
    return x


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="compiler")  # the engine of the tables so far
    engine = ap.parse_args().engine
    rows: list[tuple[str, str]] = []
    with Runtime(RuntimeConfig(engine=engine)) as rt:
        env = rt.host_module("env")
        env.function("typed", typed)
        env.function("raw", lambda stack: stack, ["i32"], ["i32"], raw=True)
        env.instantiate()
        compiled = rt.compile_module(_MOD)
        mod = rt.instantiate_module(compiled)
        nop = mod.exported_function("nop")

        def calls() -> float:
            t = time.perf_counter()
            for _ in range(N):
                nop()
            return (time.perf_counter() - t) / N

        rows.append(("Python -> wasm call, nullary export", f"{best(calls) * 1e6:.3f} µs"))
        loop = mod.exported_function("empty_loop")
        base = best(lambda: per_call(lambda: loop(N), N))
        for name in ("typed", "raw"):
            f = mod.exported_function(f"call_{name}")
            t = best(lambda f=f: per_call(lambda: f(N), N)) - base
            rows.append((f"wasm -> host call ({name})", f"{t * 1e6:.3f} µs"))
        mem = mod.memory
        assert mem is not None

        def mem_rw() -> float:
            t = time.perf_counter()
            for k in range(N):
                mem.write_u32(64, k)
                mem.read_u32(64)
            return (time.perf_counter() - t) / N

        rows.append(("memory write_u32 + read_u32 from Python", f"{best(mem_rw) * 1e6:.3f} µs"))

        def many() -> float:
            t = time.perf_counter()
            for _ in range(1000):
                m = rt.instantiate_module(compiled, ModuleConfig(name=""))
                m.close()
            return time.perf_counter() - t

        rows.append(
            ("instantiate one compiled module 1,000 times", f"{best(many, 3) * 1000:.0f} ms")
        )
        rows.append(("  translations performed", str(compiled._code.translations)))

    with tempfile.TemporaryDirectory() as d:

        def cold(cache: CompilationCache | None) -> float:
            t = time.perf_counter()
            with Runtime(RuntimeConfig(engine=engine, compilation_cache=cache)) as rt2:
                env = rt2.host_module("env")
                env.function("typed", typed)
                env.function("raw", lambda stack: stack, ["i32"], ["i32"], raw=True)
                env.instantiate()
                rt2.instantiate(_MOD).exported_function("nop")()
            return time.perf_counter() - t

        rows.append(
            (
                "compile + instantiate + first call, cold",
                f"{best(lambda: cold(None)) * 1000:.2f} ms",
            )
        )
        cold(CompilationCache(d))
        rows.append(
            (
                "compile + instantiate + first call, disk cache (fresh cache object)",
                f"{best(lambda: cold(CompilationCache(d))) * 1000:.2f} ms",
            )
        )
    print("| benchmark | result |")
    print("|---|---:|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
