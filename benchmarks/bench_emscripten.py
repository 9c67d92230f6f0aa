"""What Emscripten's setjmp/longjmp protocol costs: a plain wasm call, the
same call through an ``invoke_*`` import, and a longjmp caught by an
``invoke_*``, per iteration of a wasm loop (in process, both engines, and
wasmtime-py with the same imports written in Python: wasmtime_emscripten.py);
and a round of C++ throws (exceptions.wasm of the tests, wasmzero only).

    python benchmarks/bench_emscripten.py [-n 20000] [--repeat 5]

Each figure is the best of ``--repeat`` timings (the machine is shared).
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path
from typing import Any

import wasmtime
from wasmtime_emscripten import EmscriptenEnv

from wasmzero import ModuleConfig, Runtime, RuntimeConfig
from wasmzero.imports import emscripten
from wasmzero.imports import wasi_snapshot_preview1 as wasi

DATA = Path(__file__).resolve().parent.parent / "tests" / "imports" / "emscripten" / "testdata"

WAT = """(module
  (import "env" "invoke_ii" (func $inv (param i32 i32) (result i32)))
  (import "env" "_emscripten_throw_longjmp" (func $jmp))
  (table (export "__indirect_function_table") 2 funcref) (elem (i32.const 0) $id $thrower)
  (global $sp (mut i32) (i32.const 0)) (global $threw (mut i32) (i32.const 0))
  (func $id (param i32) (result i32) (local.get 0))
  (func $thrower (param i32) (result i32) (call $jmp) (i32.const 0))
  (func (export "stackSave") (result i32) (global.get $sp))
  (func (export "stackRestore") (param i32) (global.set $sp (local.get 0)))
  (func (export "setThrew") (param i32 i32) (global.set $threw (local.get 0)))
  (func (export "direct") (param $n i32) (result i32) (local $s i32)
    (loop $l (local.set $s (i32.add (local.get $s) (call $id (local.get $n))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))) (local.get $s))
  (func (export "invoke") (param $n i32) (result i32) (local $s i32)
    (loop $l (local.set $s (i32.add (local.get $s) (call $inv (i32.const 0) (local.get $n))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))) (local.get $s))
  (func (export "longjmp") (param $n i32) (result i32) (local $s i32)
    (loop $l (local.set $s (i32.add (local.get $s) (call $inv (i32.const 1) (local.get $n))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))) (global.get $threw)))"""


def _cxx_round(engine: str, repeat: int) -> float:
    """One round of tests/imports/emscripten/testdata/exceptions.wasm (eight
    C++ throws caught 1 to 6 frames up, their destructors), from the time of
    a run of 201 rounds less that of a run of 1, best of ``repeat``."""
    wasm = (DATA / "exceptions.wasm").read_bytes()

    def run(rounds: int) -> float:
        with Runtime(RuntimeConfig(engine=engine)) as rt:
            wasi.instantiate(rt)
            compiled = rt.compile_module(wasm)
            emscripten.instantiate_for_module(rt, compiled)
            mod = rt.instantiate_module(compiled, ModuleConfig(stdout=io.BytesIO()))
            t = time.perf_counter()
            emscripten.call_main(mod, ["exceptions", str(rounds)])
            return time.perf_counter() - t

    return min(run(201) - run(1) for _ in range(repeat)) / 200 * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--runners", default="compiler,interpreter,wasmtime-py")
    args = ap.parse_args()
    runners = args.runners.split(",")
    n, repeat = args.n, args.repeat

    def best(call: Any) -> float:
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            call()
            times.append(time.perf_counter() - t)
        return min(times) / n * 1e6

    wasm = wasmtime.wat2wasm(WAT)
    for engine in [r for r in runners if r != "wasmtime-py"]:
        with Runtime(RuntimeConfig(engine=engine)) as rt:
            compiled = rt.compile_module(wasm)
            emscripten.instantiate_for_module(rt, compiled)
            mod = rt.instantiate_module(compiled)
            row = []
            for name in ("direct", "invoke", "longjmp"):
                fn = mod.exported_function(name)
                fn(10)
                row.append(f"{name} {best(lambda fn=fn: fn(n)):.2f} us")
            row.append(f"C++ round {_cxx_round(engine, repeat):.1f} us")
            print(f"{engine}: " + ", ".join(row))
    if "wasmtime-py" not in runners:
        return
    store = wasmtime.Store()
    linker = wasmtime.Linker(store.engine)
    module = wasmtime.Module(store.engine, wasm)
    env = EmscriptenEnv(store, linker, module)
    inst = linker.instantiate(store, module)
    env.bind(inst)
    row = []
    for name in ("direct", "invoke", "longjmp"):
        fn = inst.exports(store)[name]
        fn(store, 10)
        row.append(f"{name} {best(lambda fn=fn: fn(store, n)):.2f} us")
    print("wasmtime-py: " + ", ".join(row))


if __name__ == "__main__":
    main()
