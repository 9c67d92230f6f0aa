"""A store of ``load(a) op x`` back to ``a`` (f64 add, sub, mul) is an
augmented assignment, the view indexed once: ``MVd[i] -= x``. With the load
on the right of a commutative op only a pure ``x`` may move after it.
Results against wasmtime (NaNs compared as NaNs: which input NaN an add
returns is left open by wasm)."""

from __future__ import annotations

import math
import struct

import pytest

from wasmzero import Runtime, RuntimeConfig

from .oracle import translated

wasmtime = pytest.importorskip("wasmtime")

_TEXT = """
(module
  (memory 1)
  (func $set (param $i i32) (param $v f64)
    (f64.store (i32.shl (local.get $i) (i32.const 3)) (local.get $v)))
  (func (export "run") (param $p i32) (param $q i32) (param $x f64) (param $k i32) (result f64)
    (local.set $p (i32.and (local.get $p) (i32.const 0xFFF8)))
    (local.set $q (i32.and (local.get $q) (i32.const 0xFFF8)))
    (call $set (i32.const 0) (local.get $x))
    (call $set (i32.const 1) (f64.const 2.5))
    (call $set (i32.const 2) (f64.const -0.0))
    (call $set (i32.const 3) (f64.const nan:0x12345))
    ;; (in a loop: the accesses' alignment is tracked there)
    (loop $once
    ;; load(a) - x, x + load(a), load(a) * load(b)
    (f64.store (local.get $p) (f64.sub (f64.load (local.get $p)) (local.get $x)))
    (f64.store offset=8 (local.get $p)
      (f64.add (local.get $x) (f64.load offset=8 (local.get $p))))
    (f64.store offset=16 (local.get $p)
      (f64.mul (f64.load offset=16 (local.get $p)) (f64.load offset=24 (local.get $q))))
    ;; x - load(a): not in place; another address: not in place
    (f64.store offset=24 (local.get $p) (f64.sub (local.get $x) (f64.load offset=24 (local.get $p))))
    (f64.store offset=32 (local.get $p) (f64.add (f64.load offset=8 (local.get $p)) (local.get $x)))
    ;; an x that may trap, with the load on the right: stays in order
    (f64.store offset=40 (local.get $p)
      (f64.add (f64.load (local.get $k)) (f64.load offset=40 (local.get $p)))))
    (f64.add
      (f64.add (f64.load (local.get $p)) (f64.load offset=8 (local.get $p)))
      (f64.add (f64.load offset=16 (local.get $p))
        (f64.add (f64.load offset=24 (local.get $p)) (f64.load offset=32 (local.get $p))))))
  (func (export "mem") (param $i i32) (result i64)
    (i64.load (i32.shl (local.get $i) (i32.const 3)))))
"""


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, int) and isinstance(b, int):
        fa, fb = (struct.unpack("<d", struct.pack("<Q", v & (2**64 - 1)))[0] for v in (a, b))
        if math.isnan(fa):
            return math.isnan(fb)
    return a == b


def test_in_place_stores_against_wasmtime() -> None:
    wasm = wasmtime.wat2wasm(_TEXT)
    store = wasmtime.Store()
    exports = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), []).exports(store)

    def want_run(*args: object) -> object:
        return exports["run"](store, *args)

    def want_mem(i: int) -> object:
        return exports["mem"](store, i)

    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        inst = rt.instantiate(wasm)
        run, mem = inst.exported_function("run"), inst.exported_function("mem")
        for p in (0, 8, 64, 65528):
            for q in (0, 8, 40):
                for x in (1.5, -0.0, math.inf, math.nan):
                    for k in (0, 70000):
                        try:
                            want = want_run(p, q, x, k)
                        except wasmtime.Trap:
                            want = "trap"
                        try:
                            got = run(p, q, x, k)
                        except Exception:  # noqa: BLE001 - a trap
                            got = "trap"
                        assert _same(got, want), (p, q, x, k, got, want)
                        for i in range(16):
                            assert _same(mem(i), want_mem(i)), (p, q, x, k, i)
                        for i in range(p // 8, p // 8 + 6):
                            if i < 8192:
                                assert _same(mem(i), want_mem(i)), (p, q, x, k, i)


def test_forms() -> None:
    src = translated(_TEXT, 1)
    assert src.count("-= ") == 1 and src.count("+= ") == 1 and src.count("*= ") == 1, src
