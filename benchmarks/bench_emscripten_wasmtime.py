"""Setjmp-heavy Emscripten programs, whole process, on wasmzero (both
engines) and on wasmtime-py with the same ``env`` imports written in Python
(wasmtime_emscripten.py), runs interleaved:

- ``sjlj``: tests/imports/emscripten/testdata/sjlj.wasm (C, standalone),
  each round two setjmps and two longjmps across 4 and 6 frames;
- ``micropython``: the MicroPython build of the tests running a script that
  raises and catches an exception 5 frames down in a loop (MicroPython's
  exceptions are setjmp/longjmp through invoke_*).

    python benchmarks/bench_emscripten_wasmtime.py [--repeat 3] [--rounds 2000]

Each run is ``python this-file --child RUNNER PROGRAM N``: start-up,
compilation and the run. A runner ``wasmzero-ENGINE@SRC`` runs the wasmzero
of another checkout's ``src`` (before/after comparisons).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "tests" / "imports" / "emscripten" / "testdata"
RUNNERS = ("wasmzero-compiler", "wasmzero-interpreter", "wasmtime-py")

SCRIPT = """
def dive(n):
    if n == 0:
        raise ValueError(n)
    return dive(n - 1)
c = 0
for i in range({n}):
    try:
        dive(5)
    except ValueError:
        c += 1
print(c)
"""


def _wasmzero(engine: str, program: str, n: int) -> None:
    from wasmzero import ExitError, ModuleConfig, Runtime, RuntimeConfig
    from wasmzero.imports import emscripten
    from wasmzero.imports import wasi_snapshot_preview1 as wasi

    with Runtime(RuntimeConfig(engine=engine)) as rt:
        if program == "sjlj":
            wasi.instantiate(rt)
            compiled = rt.compile_module((DATA / "sjlj.wasm").read_bytes())
            emscripten.instantiate_for_module(rt, compiled)
            try:
                rt.instantiate_module(
                    compiled, ModuleConfig(args=("sjlj", str(n)), stdout=sys.stdout.buffer)
                )
            except ExitError as e:
                assert e.exit_code == 0
            return
        compiled = rt.compile_module((DATA / "micropython" / "micropython.wasm").read_bytes())
        env = rt.host_module("env")

        def write(caller: Any, stack: list[int]) -> list[int]:
            fd, ptr, size = stack
            sys.stdout.buffer.write(caller.memory.read(ptr, size))
            return []

        env.function("host_write", write, ["i32"] * 3, [], raw=True)
        env.function("host_call", lambda m, s: [0], ["i32"] * 4, ["i32"], raw=True)
        env.function("host_take", lambda m, s: [], ["i32"] * 2, [], raw=True)
        emscripten.export_functions(env, compiled)
        env.instantiate()
        mod = rt.instantiate_module(compiled)
        fn = mod.exported_function
        fn("_initialize")()
        assert fn("mp_sandbox_init")(256 * 1024) == 0
        src = SCRIPT.format(n=n).encode()
        ptr = fn("malloc")(len(src) + 1)
        mod.memory.write(ptr, src + b"\0")
        assert fn("mp_sandbox_exec")(ptr, len(src)) == 0


def _wasmtime(program: str, n: int) -> None:
    import wasmtime
    from wasmtime_emscripten import EmscriptenEnv

    store = wasmtime.Store()
    linker = wasmtime.Linker(store.engine)
    if program == "sjlj":
        linker.define_wasi()
        wasi = wasmtime.WasiConfig()
        wasi.argv = ["sjlj", str(n)]
        wasi.inherit_stdout()
        store.set_wasi(wasi)
        module = wasmtime.Module.from_file(store.engine, str(DATA / "sjlj.wasm"))
        env = EmscriptenEnv(store, linker, module)
        inst = linker.instantiate(store, module)
        env.bind(inst)
        try:
            inst.exports(store)["_start"](store)
        except wasmtime.ExitTrap as e:
            assert e.code == 0
        return
    i32 = wasmtime.ValType.i32()
    memory: list[Any] = []

    def write(caller: Any, fd: int, ptr: int, size: int) -> None:
        sys.stdout.buffer.write(memory[0].read(store, ptr, ptr + size))

    extra = {
        "host_write": (wasmtime.FuncType([i32] * 3, []), write),
        "host_call": (wasmtime.FuncType([i32] * 4, [i32]), lambda c, *a: 0),
        "host_take": (wasmtime.FuncType([i32] * 2, []), lambda c, *a: None),
    }
    path = DATA / "micropython" / "micropython.wasm"
    module = wasmtime.Module.from_file(store.engine, str(path))
    env = EmscriptenEnv(store, linker, module, extra)
    inst = linker.instantiate(store, module)
    env.bind(inst)
    ex = inst.exports(store)
    memory.append(ex["memory"])
    ex["_initialize"](store)
    assert ex["mp_sandbox_init"](store, 256 * 1024) == 0
    src = SCRIPT.format(n=n).encode()
    ptr = ex["malloc"](store, len(src) + 1)
    ex["memory"].write(store, src + b"\0", ptr)
    assert ex["mp_sandbox_exec"](store, ptr, len(src)) == 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2000)
    ap.add_argument("--programs", default="sjlj,micropython")
    ap.add_argument("--runners", default=",".join(RUNNERS))
    ap.add_argument("--child", nargs=3, metavar=("RUNNER", "PROGRAM", "N"))
    args = ap.parse_args()
    if args.child:
        runner, program, n = args.child
        if runner == "wasmtime-py":
            _wasmtime(program, int(n))
        else:
            _wasmzero(runner.split("-")[1], program, int(n))
        sys.stdout.flush()
        return
    runners = args.runners.split(",")
    for program in args.programs.split(","):
        times: dict[str, list[float]] = {r: [] for r in runners}
        outputs: dict[str, bytes] = {}
        for _ in range(args.repeat):
            for runner in runners:  # interleaved
                name, _, src = runner.partition("@")
                env = dict(os.environ, PYTHONPATH=src) if src else os.environ
                cmd = [sys.executable, __file__, "--child", name, program, str(args.rounds)]
                t = time.perf_counter()
                r = subprocess.run(cmd, capture_output=True, env=env, check=True)
                times[runner].append(time.perf_counter() - t)
                outputs[runner] = r.stdout
        if len(set(outputs.values())) != 1:
            raise SystemExit(f"{program}: the runners disagree: {outputs}")
        out = outputs[runners[0]].decode().strip()
        print(f"{program} {args.rounds} rounds (output {out!r}):")
        for runner in runners:
            best = min(times[runner])
            runs = " ".join(f"{t:.2f}" for t in times[runner])
            print(f"  {runner:28} best {best:6.2f} s   runs {runs}")


if __name__ == "__main__":
    main()
