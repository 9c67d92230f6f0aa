"""An f32 computed through the rounding cell is stored with struct and no
NaN test (its NaNs are quiet, so the conversion is exact): the bits in
memory are the bits of the value, NaNs included."""

from __future__ import annotations

import pytest

from wasmzero import Runtime, RuntimeConfig

wasmtime = pytest.importorskip("wasmtime")

_TEXT = """
(module
  (memory 1)
  (func (export "run") (param $a i32) (param $b i32) (result i32)
    (local $v f32)
    (local.set $v (f32.add (f32.reinterpret_i32 (local.get $a)) (f32.reinterpret_i32 (local.get $b))))
    (f32.store (i32.const 8) (f32.mul (f32.reinterpret_i32 (local.get $a)) (f32.reinterpret_i32 (local.get $b))))
    (f32.store (i32.const 4) (local.get $v))
    ;; the stored bits, against the bits of the value itself
    (i32.or
      (i32.ne (i32.load (i32.const 4)) (i32.reinterpret_f32 (local.get $v)))
      (i32.shl (i32.ne (i32.and (i32.load (i32.const 8)) (i32.const 0x7fc00000)) (i32.const 0x7fc00000))
        (i32.const 1)))))
"""

_VALUES = [
    0,
    0x3F800000,
    0x7F800000,
    0xFF800000,
    0x7FC00000,
    0x7FA00001,
    0xFFC12345,
    0x00000001,
    0x7F7FFFFF,
]


def test_cell_values_stored_exactly() -> None:
    from .oracle import translated

    # the product is stored through the view unrounded: the view rounds it
    assert "MVf[2] = ((_n_f32_from_bits(l0)) * (_n_f32_from_bits(l1)))" in translated(_TEXT)
    wasm = wasmtime.wat2wasm(_TEXT)
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        run = rt.instantiate(wasm).exported_function("run")
        for a in _VALUES:
            for b in _VALUES:
                r = run(a, b)
                assert r & 1 == 0, (hex(a), hex(b))  # stored == reinterpreted
                # a NaN product is quiet (an arithmetic NaN); others: anything
                nan = any((v & 0x7F800000) == 0x7F800000 and v & 0x7FFFFF for v in (a, b))
                if nan:
                    assert r & 2 == 0, (hex(a), hex(b))


_LOAD_TEXT = """
(module
  (memory 1)
  (func (export "run") (param $p i32) (param $bits i32) (result i32)
    (i32.store (i32.const 4) (local.get $bits))
    ;; p + 8 wraps to 4 for p = -4: the unwrapped address is tried first
    (i32.reinterpret_f32 (f32.load (i32.add (local.get $p) (i32.const 8))))))
"""


def test_load_of_a_wrapping_address() -> None:
    wasm = wasmtime.wat2wasm(_LOAD_TEXT)
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        run = rt.instantiate(wasm).exported_function("run")
        for bits in (0x3F800000, 0x7FA00001, 0xFFC12345, 0x7F800000):
            # the signalling NaN 0x7FA00001 keeps its bits (the helper's path)
            signed = bits - (1 << 32) if bits >> 31 else bits
            assert run(-4, bits) == signed
            assert run(-4 & 0xFFFFFFFF, bits) == signed
            assert run(-8, bits) == 0


# f32 accesses through typed views: at constant addresses, through a pointer
# with a checked shadow (its memarg offsets and sums with it, one of them
# wrapping past 2**32), aligned or not; signalling NaN payloads kept.
_VIEW_TEXT = """
(module
  (memory 1)
  (func $copy (param $p i32) (param $bits i32) (result i32)
    (local $q i32)
    (f32.store (i32.const 16) (f32.reinterpret_i32 (local.get $bits)))
    (f32.store offset=4 (local.get $p) (f32.load (i32.const 16)))
    (f32.store (i32.add (local.get $p) (i32.const 8)) (f32.load offset=4 (local.get $p)))
    (local.set $q (i32.add (local.get $p) (i32.const 12)))
    (f32.store (local.get $q) (f32.load (i32.add (local.get $p) (i32.const 8))))
    (i32.xor
      (i32.reinterpret_f32 (f32.load (local.get $q)))
      (i32.reinterpret_f32 (f32.load (i32.add (local.get $p) (i32.const 4))))))
  (func (export "run") (param $p i32) (param $bits i32) (result i32)
    (call $copy (local.get $p) (local.get $bits))))
"""


def test_views_against_wasmtime() -> None:
    from .oracle import translated, wasmtime_export

    wasm = wasmtime.wat2wasm(_VIEW_TEXT)
    expect = wasmtime_export(wasm)
    src = translated(_VIEW_TEXT, 0)
    assert "MVf[4]" in src and "q0 = -1 if l0 & 3 else l0 >> 2" in src
    assert "MVf[q0 + 1]" in src and "MVf[q0 + 3]" in src

    def outcome(fn, *args):  # type: ignore[no-untyped-def]
        try:
            return fn(*args)
        except Exception as e:  # a trap in either runtime
            return type(e).__name__ in ("Trap", "WasmtimeError") and "trap"

    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        run = rt.instantiate(wasm).exported_function("run")
        for p in (0, 4, 32, 33, 34, 65520, 65524, 65532, -4, -8, -12, -16, -13):
            for bits in _VALUES + [0x7FA00001, 0xFF800001]:
                assert outcome(run, p, bits) == outcome(expect, p, bits), (p, hex(bits))
