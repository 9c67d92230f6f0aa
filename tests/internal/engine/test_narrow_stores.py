"""Narrow stores (store8, store16, i64.store32) mask the value unless it is
known to fit (a byte or half loaded, a value masked or compared); a sum
masked for the store needs no wrap of its own. The bytes written are
wasmtime's for values that fit, wrap and overflow the width."""

from __future__ import annotations

import pytest

from wasmzero import Runtime, RuntimeConfig

from .oracle import translated, wasmtime_export

wasmtime = pytest.importorskip("wasmtime")

_TEXT = """
(module
  (memory 1)
  (func (export "run") (param $a i32) (param $b i64) (result i64)
    (local $c i32)
    (i32.store8 (i32.const 100) (local.get $a))
    ;; a byte loaded, stored again: fits
    (i32.store8 (i32.const 0) (i32.load8_u (i32.const 100)))
    ;; a byte loaded through a local, plus one: may overflow the byte
    (local.set $c (i32.load8_u (i32.const 100)))
    (i32.store8 (i32.const 1) (i32.add (local.get $c) (i32.const 1)))
    ;; a sum that wraps at 2**32
    (i32.store8 (i32.const 2) (i32.add (local.get $a) (i32.const 0xFFFFFF80)))
    (i32.store16 (i32.const 4) (i32.add (local.get $a) (local.get $a)))
    (i32.store16 (i32.const 6) (i32.load16_u (i32.const 4)))
    (i32.store8 (i32.const 3) (i32.and (local.get $a) (i32.const 0x7F)))
    (i64.store8 (i32.const 8) (i64.add (local.get $b) (i64.const 3)))
    (i64.store16 (i32.const 9) (i64.load8_u (i32.const 8)))
    (i64.store32 (i32.const 11) (i64.sub (local.get $b) (i64.const 5)))
    (i64.store32 (i32.const 15) (i64.load32_u (i32.const 11)))
    (i64.xor (i64.load (i32.const 0))
      (i64.shl (i64.load (i32.const 8)) (i64.const 1)))))
"""

_ARGS = [
    (0, 0),
    (1, 2),
    (0x7F, 0xFF),
    (0x80, -1),
    (0xFF, 0x7FFFFFFFFFFFFFFF),
    (-1, -(2**63)),
    (0x12345678, 0x123456789ABCDEF0),
    (0xFFFF, 4),
    (-129, 5),
]


def test_bytes_written_match_wasmtime() -> None:
    wasm = wasmtime.wat2wasm(_TEXT)
    expect = wasmtime_export(wasm)
    for engine in ("compiler", "interpreter"):
        with Runtime(RuntimeConfig(engine=engine)) as rt:
            run = rt.instantiate(wasm).exported_function("run")
            for a, b in _ARGS:
                assert run(a, b) == expect(a, b), (engine, a, b)


def test_values_that_fit_are_stored_without_mask() -> None:
    src = translated(_TEXT)
    assert "M[0] = M[100]" in src
    assert "_stH(M, 6, MVH[2])" in src
    assert "_stI(M, 15, _ldI(M, 11)[0])" in src
    assert "(l2 + 1)) & 0xff" in src  # the byte plus one: masked
    # a wrapping sum is masked once, without its own wrap
    assert "% 4294967296)) & 0xff" not in src
