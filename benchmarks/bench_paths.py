"""WASI path resolution cost: path_open + fd_close and path_filestat_get on
a path three directories deep, called from wasm in a loop (the sandbox's
descriptor walk opens each directory on the way).

    python benchmarks/bench_paths.py [-n 20000]

Needs wasmtime (for wat2wasm): ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import wasmtime

from wasmzero import ModuleConfig, Mount, Runtime
from wasmzero.imports import wasi_snapshot_preview1 as wasi

WAT = """
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get"
    (func $stat (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "a/b/c/file.txt")
  (func (export "opens") (param $n i32)
    (loop $l
      (drop (call $open (i32.const 3) (i32.const 1) (i32.const 16) (i32.const 14)
        (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 100)))
      (drop (call $close (i32.load (i32.const 100))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "stats") (param $n i32)
    (loop $l
      (drop (call $stat (i32.const 3) (i32.const 1) (i32.const 16) (i32.const 14)
        (i32.const 200)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=20000)
    n = ap.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "a" / "b" / "c"
        d.mkdir(parents=True)
        (d / "file.txt").write_bytes(b"x")
        with Runtime() as rt:
            wasi.instantiate(rt)
            mod = rt.instantiate(
                wasmtime.wat2wasm(WAT),
                ModuleConfig(mounts=(Mount(tmp, "/"),), start_functions=()),
            )
            for name in ("opens", "stats"):
                fn = mod.exported_function(name)
                fn(100)
                t = time.perf_counter()
                fn(n)
                us = (time.perf_counter() - t) / n * 1e6
                print(f"{name}: {us:.1f} us per call")


if __name__ == "__main__":
    main()
