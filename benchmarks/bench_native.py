"""The native engine against the compiler engine, pwasm and wasmtime-py:
compute only, in process (fib(25), a counted loop, calls from Python), best
of N interleaved runs. The whole-process corpus comparison is
``run_corpus.py --native``.

    python benchmarks/bench_native.py [-n 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import wasmtime

from wasmzero import Runtime, RuntimeConfig

WAT = """(module
  (import "env" "h" (func $h (param i32) (result i32)))
  {core}
  (func (export "host") (param i32) (result i32) (local i32)
    (loop $l (local.set 1 (call $h (local.get 1)))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get 1)))"""

CORE = """
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "loop") (param i32) (result i32) (local i32)
    (loop $l (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get 1))
  (func (export "nop"))"""


def _wasmzero(engine: str, wasm: bytes) -> dict[str, Any]:
    rt = Runtime(RuntimeConfig(engine=engine))
    rt.host_module("env").function("h", lambda x: x, ["i32"], ["i32"]).instantiate()
    m = rt.instantiate(wasm)
    fib, loop, nop, host = (m.exported_function(n) for n in ("fib", "loop", "nop", "host"))
    fib(2), loop(2), nop(), host(2)  # compiled/translated before timing
    return {"fib(25)": lambda: fib(25), "loop(1e6)": lambda: loop(1_000_000),
            "1e4 nop calls": lambda: [nop() for _ in range(10_000)],
            "1e4 wasm->host calls": lambda: host(10_000)}  # fmt: skip


def _wasmtime(wasm: bytes) -> dict[str, Any]:
    store = wasmtime.Store()
    h = wasmtime.Func(
        store, wasmtime.FuncType([wasmtime.ValType.i32()], [wasmtime.ValType.i32()]), lambda x: x
    )
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), [h])
    ex = inst.exports(store)
    fib, loop, nop, host = ex["fib"], ex["loop"], ex["nop"], ex["host"]
    return {"fib(25)": lambda: fib(store, 25), "loop(1e6)": lambda: loop(store, 1_000_000),
            "1e4 nop calls": lambda: [nop(store) for _ in range(10_000)],
            "1e4 wasm->host calls": lambda: host(store, 10_000)}  # fmt: skip


def _pwasm(wasm: bytes) -> dict[str, Any] | None:
    """pwasm in compile mode, through its Sandbox (the shared runner's way)."""
    try:
        from pwasm.sandbox import Sandbox  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = Path(tempfile.mkdtemp()) / "bench.wasm"
    path.write_bytes(wasm)
    sb = Sandbox(str(path), args=[str(path)], mode="compile")
    sb.call("fib", 2)
    return {"fib(25)": lambda: sb.call("fib", 25), "loop(1e6)": lambda: sb.call("loop", 1_000_000),
            "1e4 nop calls": lambda: [sb.call("nop") for _ in range(10_000)]}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=5)
    n = ap.parse_args().n
    wasm = wasmtime.wat2wasm(WAT.format(core=CORE))
    setups: dict[str, dict[str, Any]] = {
        "compiler": _wasmzero("compiler", wasm),
        "native": _wasmzero("native", wasm),
        "wasmtime-py": _wasmtime(wasm),
    }
    p = _pwasm(wasmtime.wat2wasm(f"(module {CORE})"))  # pwasm: no host module here
    if p is not None:
        setups["pwasm-compile"] = p
    best: dict[tuple[str, str], float] = {}
    for _ in range(n):
        for name, work in setups.items():
            for label, fn in work.items():
                t = time.perf_counter()
                fn()
                dt = time.perf_counter() - t
                key = (name, label)
                best[key] = min(best.get(key, dt), dt)
    labels = list(setups["compiler"])
    print("| | " + " | ".join(setups) + " |")
    print("|---" * (len(setups) + 1) + "|")
    for label in labels:
        cells = [f"{best[(s, label)] * 1e3:.2f} ms" if (s, label) in best else "-" for s in setups]
        print(f"| {label} | " + " | ".join(cells) + " |")
    for label in labels:
        c, nt, wt = (best[(s, label)] for s in ("compiler", "native", "wasmtime-py"))
        print(
            f"{label}: native {c / nt:.1f}x the compiler engine, {nt / wt:.1f}x wasmtime-py's time"
        )


if __name__ == "__main__":
    main()
