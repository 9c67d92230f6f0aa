"""An f32 computed through the rounding cell is stored with struct and no
NaN test (its NaNs are quiet, so the conversion is exact): the bits in
memory are the bits of the value, NaNs included."""

from __future__ import annotations

import pytest

from wasmzero import Runtime

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
    wasm = wasmtime.wat2wasm(_TEXT)
    with Runtime() as rt:
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
    with Runtime() as rt:
        run = rt.instantiate(wasm).exported_function("run")
        for bits in (0x3F800000, 0x7FA00001, 0xFFC12345, 0x7F800000):
            # the signalling NaN 0x7FA00001 keeps its bits (the helper's path)
            signed = bits - (1 << 32) if bits >> 31 else bits
            assert run(-4, bits) == signed
            assert run(-4 & 0xFFFFFFFF, bits) == signed
            assert run(-8, bits) == 0
