"""A static loop that reads consecutive bytes and has no effect outside its
locals (FNV-1a over a buffer, unrolled) runs over an iterator of the bytes,
taken on entry; one that would read past the end of memory traps on entry.
Exact against wasmtime."""

from __future__ import annotations

import pytest

from wasmzero import Runtime, RuntimeConfig, Trap

from .oracle import translated, wasmtime_export

wasmtime = pytest.importorskip("wasmtime")

# fnv4: FNV-1a over the 4096 bytes at 57344 (a constant range: the counter
# runs from -4096 to 0, the addresses counter + 61440 + k), 4 bytes
# per iteration; sum1: all of memory, one byte per iteration, XORing a byte
# it reads twice; past: runs off the end of memory.
_TEXT = """
(module
  (memory 1)
  (func $fill (param $seed i32)
    (local $i i32)
    (loop $l
      (i32.store8 (local.get $i)
        (i32.shr_u (i32.mul (i32.add (local.get $i) (local.get $seed)) (i32.const 0x9E3779B1))
                   (i32.const 24)))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                        (i32.const 65536)))))
  (func $fnv4 (result i64)
    (local $i i32) (local $h i64)
    (local.set $h (i64.const 0xcbf29ce484222325))
    (local.set $i (i32.const -4096))
    (loop $l
      (local.set $h
        (i64.mul
          (i64.xor
            (i64.mul
              (i64.xor
                (i64.mul
                  (i64.xor
                    (i64.mul (i64.xor (local.get $h)
                                      (i64.load8_u (i32.add (local.get $i) (i32.const 61440))))
                             (i64.const 0x100000001b3))
                    (i64.load8_u offset=1 (i32.add (local.get $i) (i32.const 61440))))
                  (i64.const 0x100000001b3))
                (i64.load8_u (i32.add (local.get $i) (i32.const 61442))))
              (i64.const 0x100000001b3))
            (i64.load8_u (i32.add (local.get $i) (i32.const 61443))))
          (i64.const 0x100000001b3)))
      (br_if $l (local.tee $i (i32.add (local.get $i) (i32.const 4)))))
    (local.get $h))
  (func $sum1 (param $end i32) (result i32)
    (local $i i32) (local $s i32)
    (local.set $i (i32.const -65536))
    (loop $l
      (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 31))
        (i32.xor (i32.load8_u (i32.add (local.get $i) (i32.const 65536)))
                 (i32.load8_u (i32.add (local.get $i) (i32.const 65536))))))
      (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $i) (i32.const 65536)))))
      (br_if $l (local.tee $i (i32.add (local.get $i) (i32.const 1)))))
    (local.get $s))
  (func $past (result i32)
    ;; reads 100 bytes from 65500: the last 64 are past the end
    (local $i i32) (local $s i32)
    (local.set $i (i32.const -100))
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load8_u (i32.add (local.get $i) (i32.const 65600)))))
      (br_if $l (local.tee $i (i32.add (local.get $i) (i32.const 1)))))
    (local.get $s))
  (func (export "run") (param $seed i32) (result i64)
    (call $fill (local.get $seed))
    (i64.add (call $fnv4) (i64.extend_i32_u (call $sum1 (i32.const 0)))))
  (func (export "past") (result i32) (call $past)))
"""


def test_against_wasmtime() -> None:
    wasm = wasmtime.wat2wasm(_TEXT)
    assert "_bytes_of(57344, 61440)" in translated(_TEXT, 1)
    assert "_bytes_of(0, 65536)" in translated(_TEXT, 2)
    expect = wasmtime_export(wasm)
    past = wasmtime_export(wasm, "past")
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        inst = rt.instantiate(wasm)
        run = inst.exported_function("run")
        for seed in (0, 1, 12345, 0x7FFFFFFF):
            assert run(seed) == expect(seed), seed
        with pytest.raises(wasmtime.Trap):
            past()
        with pytest.raises(Trap, match="out of bounds"):
            inst.exported_function("past")()
        assert run(7) == expect(7)  # usable after the trap
