"""Jump threading (internal/engine/compiler/passes/tails.py): branches out of loops
to a block followed by a short tail run a copy of the tail. The exits of a
strcmp loop become returns; tails that fall through the ends of enclosing
blocks, take conditional branches, call, continue an outer loop or carry
values compute what wasmtime computes."""

from __future__ import annotations

import pytest

from wasmzero import Runtime, RuntimeConfig

wasmtime = pytest.importorskip("wasmtime")

from tests.internal.engine.oracle import translated, wasmtime_export  # noqa: E402

_STRCMP = """
(module
  (memory (export "mem") 1)
  (data (i32.const 100) "abcdef\\00abcxef\\00abc\\00")
  (func (export "run") (param $a i32) (param $b i32) (result i32)
    (local $r i32) (local $x i32) (local $y i32) (local $i i32)
    (block $done
      (loop $l
        (local.set $x (i32.load8_u (i32.add (local.get $a) (local.get $i))))
        (local.set $y (i32.load8_u (i32.add (local.get $b) (local.get $i))))
        (br_if $done (i32.ne (local.get $x) (local.get $y)))
        (br_if $done (i32.eqz (local.get $x)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.sub (local.get $x) (local.get $y))))
"""

# A tail that falls through two block ends, branches conditionally, calls,
# and continues the outer loop; branches to it from several depths.
_NESTED = """
(module
  (global $g (mut i32) (i32.const 0))
  (func $bump (param i32) (result i32) (global.set $g (i32.add (global.get $g) (local.get 0))) (global.get $g))
  (func (export "run") (param $n i32) (param $m i32) (result i32)
    (local $i i32) (local $s i32)
    (global.set $g (i32.const 0))
    (loop $outer
      (block $b1
        (block $b2
          (loop $inner
            (br_if $b2 (i32.gt_u (local.get $i) (local.get $m)))
            (local.set $i (i32.add (local.get $i) (i32.const 3)))
            (br_if $b1 (i32.eq (i32.and (local.get $i) (i32.const 7)) (i32.const 5)))
            (br_if $inner (i32.lt_u (local.get $i) (i32.const 1000)))))
        (local.set $s (i32.add (local.get $s) (i32.const 100))))
      (local.set $s (i32.add (local.get $s) (call $bump (local.get $i))))
      (br_if $outer (i32.lt_u (local.get $s) (local.get $n))))
    (local.get $s)))
"""

# The tail carries a value to the function's end (a block with a result
# around it is not threaded; the function's results are).
_VALUES = """
(module
  (func (export "run") (param $n i32) (param $m i32) (result i32)
    (local $i i32)
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (local.get $m)))
        (br $l)))
    (i32.mul (local.get $i) (i32.const 3))))
"""


def _agree(text: str, args: list[tuple[int, int]]) -> None:
    wasm = wasmtime.wat2wasm(text)
    want = wasmtime_export(wasm)
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        got = rt.instantiate(wasm).exported_function("run")
        for a, b in args:
            assert got(a, b) == want(a, b), (text, a, b)


def test_loop_exits_become_returns() -> None:
    src = translated(_STRCMP)
    assert "L = " not in src and src.count("return") >= 2, src
    _agree(_STRCMP, [(100, 107), (100, 100), (100, 114), (114, 100), (107, 114)])


def test_tails_through_block_ends_with_calls_and_branches() -> None:
    src = translated(_NESTED)
    assert src.count("f0(l2)") >= 2, src  # the tail copied to the exit from the inner loop
    _agree(_NESTED, [(1, 0), (7000, 3), (13, 900), (0, 499), (25000, 250), (3, 4000)])


def test_tails_carrying_values() -> None:
    _agree(_VALUES, [(10, 3), (0, 1), (7, 7), (100, 9)])
