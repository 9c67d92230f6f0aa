"""A loop that copies bytes forward (memcpy written as a loop) runs as one
slice assignment where both ranges are in memory and a forward copy is a
move; otherwise the loop itself runs: overlapping ranges with the
destination after the source repeat a pattern, an out-of-bounds byte traps
after the bytes before it were copied. Memory and results exact against
wasmtime."""

from __future__ import annotations

from functools import partial

import pytest

from wasmzero import Runtime, RuntimeConfig, Trap

from .oracle import translated

wasmtime = pytest.importorskip("wasmtime")

_TEXT = """
(module
  (memory 1)
  ;; copy n bytes from s to d, counting i from 0 (a do-while: n > 0)
  (func $copy (param $d i32) (param $s i32) (param $n i32)
    (local $i i32)
    (if (i32.eqz (local.get $n)) (then (return)))
    (loop $l
      (i32.store8 offset=1 (i32.add (local.get $d) (local.get $i))
        (i32.load8_u offset=2 (i32.add (local.get $s) (local.get $i))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n)))))
  ;; a static copy: 40 bytes from 100 to 300
  (func $fixed
    (local $i i32) (local $d i32) (local $s i32)
    (local.set $d (i32.const 300))
    (local.set $s (i32.const 100))
    (loop $l
      (i32.store8 (i32.add (local.get $d) (local.get $i))
        (i32.load8_u (i32.add (local.get $s) (local.get $i))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                        (i32.const 40)))))
  (func $fill
    (local $i i32)
    (loop $l
      (i32.store8 (local.get $i) (i32.mul (local.get $i) (i32.const 37)))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                        (i32.const 2048)))))
  (func $sum (result i32)
    (local $i i32) (local $h i32)
    (loop $l
      (local.set $h (i32.add (i32.mul (local.get $h) (i32.const 31))
                             (i32.load8_u (local.get $i))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                        (i32.const 2048))))
    (local.get $h))
  (func (export "run") (param $d i32) (param $s i32) (param $n i32) (result i32)
    (call $fill)
    (call $fixed)
    (call $copy (local.get $d) (local.get $s) (local.get $n))
    (call $sum))
  (func (export "sum") (result i32) (call $sum)))
"""

_CASES = [
    (1000, 0, 64),  # apart
    (0, 1000, 64),
    (500, 520, 100),  # overlapping, destination first: a move
    (520, 500, 100),  # overlapping, destination after: the pattern repeats
    (510, 510, 50),  # onto itself (offsets 1 and 2: one byte apart)
    (10, 10, 3),  # fewer than the range form's minimum
    (65500, 0, 100),  # runs past the end: traps after 35 bytes
    (0, 65500, 100),
    (0xFFFFFFF0, 0, 40),  # the destination wraps to the start of memory
    (100, 0xFFFFFFFF, 8),
    (0, 0, 0),
]


def _outcome(run, total, *args):  # type: ignore[no-untyped-def]
    """``run(*args)`` (or "trap"), and the memory's checksum after it."""
    try:
        r = run(*args)
    except (Trap, wasmtime.Trap):
        r = "trap"
    return r, total()


def test_against_wasmtime() -> None:
    wasm = wasmtime.wat2wasm(_TEXT)
    src = translated(_TEXT, 0)
    assert "M[t" in src and "] = M[t" in src
    assert "M[t" in translated(_TEXT, 1)  # the static copy
    for d, s, n in _CASES:
        store = wasmtime.Store()
        inst = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), [])
        ex = inst.exports(store)
        want = _outcome(partial(ex["run"], store), partial(ex["sum"], store), d, s, n)
        with Runtime(RuntimeConfig(engine="compiler")) as rt:
            m = rt.instantiate(wasm)
            got = _outcome(m.exported_function("run"), m.exported_function("sum"), d, s, n)
        assert got == want, (d, s, n)
