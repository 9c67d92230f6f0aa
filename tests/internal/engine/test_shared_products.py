"""A statement that rotates one local several times (sha256's sigma
functions) multiplies it by ``2**bits + 1`` once, in a walrus the other
rotations read; where Python might skip or reorder part of the statement
(a conditional expression, a comparison) each rotation keeps its own
product. Exact against wasmtime."""

from __future__ import annotations

import pytest

from .oracle import agree, translated

wasmtime = pytest.importorskip("wasmtime")

_TEXT = """
(module
  (memory 1)
  (func (export "run") (param $x i32) (param $y i64) (result i64)
    (local $s i32)
    (local $r i64)
    ;; Sigma1 of x, into a local
    (local.set $s
      (i32.xor (i32.xor (i32.rotr (local.get $x) (i32.const 6))
                        (i32.rotr (local.get $x) (i32.const 11)))
               (i32.rotr (local.get $x) (i32.const 25))))
    ;; sigma0 of x, stored
    (i32.store (i32.const 16)
      (i32.add (i32.xor (i32.rotr (local.get $x) (i32.const 7))
                        (i32.rotr (local.get $x) (i32.const 18)))
               (i32.shr_u (local.get $x) (i32.const 3))))
    ;; 64-bit rotations of y
    (local.set $r
      (i64.xor (i64.rotl (local.get $y) (i64.const 5)) (i64.rotl (local.get $y) (i64.const 17))))
    ;; a select (a conditional expression)
    (i64.add
      (i64.add (local.get $r) (local.get $r))
      (i64.extend_i32_u
        (i32.add
          (i32.add (i32.xor (local.get $s) (i32.shl (local.get $s) (i32.const 1)))
                   (i32.load (i32.const 16)))
          (select (i32.rotl (local.get $x) (i32.const 3))
                  (i32.rotl (local.get $x) (i32.const 9))
                  (i32.lt_u (i32.rotl (local.get $x) (i32.const 1)) (i32.const 77))))))))
"""

_XS = [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0x9E3779B9, 0x12345678, -1]
_YS = [0, 1, 2**32 + 5, 2**63, -1, 0x123456789ABCDEF]


def test_against_wasmtime() -> None:
    agree(_TEXT, [(x, y) for x in _XS for y in _YS])


def test_forms() -> None:
    src = translated(_TEXT)
    # Sigma1 and sigma0: one product each; the i64 pair: one
    assert src.count(":= l0 * 4294967297)") == 2
    assert src.count(":= l1 * 18446744073709551617)") == 1
    # the select's three rotations keep their own products
    assert src.count("(l0 * 4294967297)") == 3
