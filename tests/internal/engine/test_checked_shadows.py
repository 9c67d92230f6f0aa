"""A local that several accesses address directly (a struct pointer) gets a
checked shadow, ``q = -1 if l & 3 else l >> 2``: the accesses index a typed
view where ``q >= 0`` and call ``struct`` otherwise. Exact against wasmtime
for aligned and unaligned pointers, and out of bounds."""

from __future__ import annotations

import pytest

from .oracle import agree, translated

wasmtime = pytest.importorskip("wasmtime")

_TEXT = """
(module
  (memory 1)
  (func $node (param $p i32) (param $v i32) (result i64)
    ;; three stores through p, then three loads (one of 8 bytes)
    (i32.store offset=8 (local.get $p) (local.get $v))
    (i32.store offset=4 (local.get $p) (i32.mul (local.get $v) (i32.const 3)))
    (i32.store (local.get $p) (i32.xor (local.get $v) (i32.const -1)))
    (i64.add
      (i64.extend_i32_u
        (i32.add (i32.load (local.get $p)) (i32.load offset=4 (local.get $p))))
      (i64.add (i64.load (local.get $p)) (i64.extend_i32_u (i32.load offset=8 (local.get $p))))))
  (func (export "run") (param $p i32) (param $v i32) (result i64)
    (call $node (local.get $p) (local.get $v))))
"""

_PS = [0, 4, 8, 1, 2, 3, 5, 65520, 65521, 65524, 65525, 65532, 65536, 2**31, -4]
_VS = [0, 1, 0x7FFFFFFF, 0x80000000, -1, 0x12345678]


def test_against_wasmtime() -> None:
    agree(_TEXT, [(p, v) for p in _PS for v in _VS])


def test_forms() -> None:
    src = translated(_TEXT, 0)
    assert "q0 = -1 if l0 & 3 else l0 >> 2" in src
    assert src.count("if q0 >= 0") == 6  # the 4-byte accesses; not the i64 load
    assert "MVI[q0 + 2] = l1" in src


# A pointer stepped through a loop (its shadow stepped with it), from
# aligned and unaligned starts, and from near 2**32, where the sum wraps to
# the start of memory.
_STEP = """
(module
  (memory 1)
  (func (export "run") (param $p i32) (param $n i32) (result i32)
    (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (i32.store offset=4 (local.get $p) (local.get $n))
        (local.set $s (i32.add (local.get $s)
          (i32.add (i32.load (local.get $p)) (i32.load offset=4 (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $s)))
"""


def test_stepped_pointer() -> None:
    assert "q0 = q0 + 2 if q0 >= 0 and l0 >= 8 else" in translated(_STEP)
    ps = (0, 4, 1, 2, 64, 65520, 65528, -8, -16, -12, -7)
    agree(_STEP, [(p, n) for p in ps for n in (0, 1, 2, 3, 10)])
