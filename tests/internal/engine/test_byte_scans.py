"""A loop looking for a zero byte (C's strlen: ``p = s + i; i++; while
(*p)``) runs as one ``bytearray.find``, its locals left as the loop leaves
them; with no zero byte before the end of memory the loop itself runs and
traps where wasm does. Against wasmtime, addresses that wrap included."""

from __future__ import annotations

import pytest

from wasmzero import Runtime, RuntimeConfig

from .oracle import translated

wasmtime = pytest.importorskip("wasmtime")


def _text(k: int) -> str:
    return f"""
(module
  (memory 1)
  (data (i32.const 100) "hello\\00world, a longer one\\00\\01\\02")
  (func (export "fill")
    (memory.fill (i32.const 60000) (i32.const 7) (i32.const 5536)))
  (func (export "run") (param $s i32) (param $i i32) (result i32)
    (local $p i32) (local $j i32)
    (loop $l
      (local.set $p (i32.add (local.get $s) (local.get $i)))
      (local.set $i (local.tee $j (i32.add (local.get $i) (i32.const 1))))
      (br_if $l (i32.load8_u offset={k} (local.get $p))))
    (i32.add (i32.mul (local.get $p) (i32.const 65599))
      (i32.add (i32.mul (local.get $i) (i32.const 31)) (local.get $j)))))
"""


@pytest.mark.parametrize("k", [0, 2])
def test_scans_against_wasmtime(k: int) -> None:
    text = _text(k)
    assert "M.find(0, " in translated(text)
    wasm = wasmtime.wat2wasm(text)
    store = wasmtime.Store()
    exports = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), []).exports(store)
    exports["fill"](store)
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        inst = rt.instantiate(wasm)
        inst.exported_function("fill")()
        run = inst.exported_function("run")
        for s in (100, 106, 0, 60000, 65530, 2**32 - 5, 2**32 - 200):
            for i in (0, 3, 5, 2**32 - 1, 100):
                args = [v - 2**32 if v >= 2**31 else v for v in (s, i)]
                try:
                    want = exports["run"](store, *args)
                except wasmtime.Trap:
                    want = "trap"
                try:
                    got = run(*args)
                except Exception:  # noqa: BLE001 - a trap
                    got = "trap"
                assert got == want, (k, s, i)
