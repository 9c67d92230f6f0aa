"""``width - clz(x)`` is ``x.bit_length()``, and a shift by a count that is
a wrapped value masks the unwrapped one (both exact against wasmtime)."""

from __future__ import annotations

import pytest

from wasmzero import Runtime, RuntimeConfig

from .oracle import translated, wasmtime_export

wasmtime = pytest.importorskip("wasmtime")

_TEXT = """
(module
  (func (export "run") (param $x i32) (param $y i64) (result i64)
    (local $n i32)
    ;; the bit length of x - 1 (malloc's size class)
    (local.set $n (i32.sub (i32.const 32) (i32.clz (i32.sub (local.get $x) (i32.const 1)))))
    (i64.add
      (i64.shl (i64.extend_i32_u (local.get $n)) (i64.const 40))
      (i64.add
        (i64.extend_i32_u
          ;; 1 << (low word of y): the count from y, not its wrap
          (i32.shl (i32.const 1) (i32.wrap_i64 (local.get $y))))
        (i64.shl
          (i64.sub (i64.const 64) (i64.clz (local.get $y)))
          (i64.const 48))))))
"""

_XS = [0, 1, 2, 3, 4, 5, 255, 256, 257, 0x7FFFFFFF, 0x80000000, 0x80000001, -1]
_YS = [0, 1, 31, 32, 33, 63, 64, 2**32 + 5, 2**63, -1, 0x123456789ABCDEF]


def _agree(text: str, xs: list[int], ys: list[int]) -> None:
    """``run(x, y)`` of ``text`` equals wasmtime's for every pair."""
    wasm = wasmtime.wat2wasm(text)
    expect = wasmtime_export(wasm)
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        run = rt.instantiate(wasm).exported_function("run")
        for x in xs:
            for y in ys:
                assert run(x, y) == expect(x, y), (x, y)


def test_against_wasmtime() -> None:
    _agree(_TEXT, _XS, _YS)


def test_forms() -> None:
    src = translated(_TEXT)
    assert "(32 - (32 -" not in src and "(64 - (64 -" not in src
    assert src.count(".bit_length()") == 2
    assert "(l1 & 31)" in src  # the count masked once, from the i64


_EXTEND = """
(module
  (func (export "run") (param $x i32) (param $y i32) (result i64)
    ;; an extended i32 is below 2**32: shifted by 5, or times another, no wrap
    (i64.xor
      (i64.or (i64.shl (i64.extend_i32_u (local.get $x)) (i64.const 5)) (i64.const 4))
      (i64.mul (i64.extend_i32_u (local.get $x)) (i64.extend_i32_u (local.get $y))))))
"""


def test_extended_values_need_no_wrap() -> None:
    _agree(_EXTEND, _XS, _XS)
    assert "0xFFFFFFFFFFFFFFFF" not in translated(_EXTEND)
