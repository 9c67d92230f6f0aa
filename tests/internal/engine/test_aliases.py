"""A local set to a sum of locals (``a = p + 56``) is an alias of that sum
until one of them changes or control flow joins: accesses through it index
the view from p's shadow (``MVd[q + 7]``), tried first, with the wrapped
address in the fallback. Exact against wasmtime, including sums that wrap
around 2**32 and aliases made stale by a set, an if arm or a loop."""

from __future__ import annotations

import struct

import pytest

from wasmzero import Runtime, RuntimeConfig

from .oracle import translated, wasmtime_export

wasmtime = pytest.importorskip("wasmtime")

_DATA = "".join(f"\\{b:02x}" for k in range(64) for b in struct.pack("<d", k * 1.5 - 7.25))

_TEXT = f"""
(module
  (memory 1)
  (data (i32.const 0) "{_DATA}")
  (func (export "run") (param $p i32) (param $n i32) (param $c i32) (result f64)
    (local $a i32) (local $s f64) (local $i i32)
    (local.set $p (i32.and (local.get $p) (i32.const -8)))
    (loop $l
      (local.set $a (i32.add (local.get $p) (i32.const 56)))
      ;; p is a shadowed base: accessed directly in the loop (where in range:
      ;; p + 56 may wrap around, these offsets cannot)
      (if (i32.lt_u (local.get $p) (i32.const 60000))
        (then
          (local.set $s (f64.add (local.get $s) (f64.load offset=16 (local.get $p))))
          (local.set $s (f64.add (local.get $s) (f64.load offset=24 (local.get $p))))
          (local.set $s (f64.mul (local.get $s) (f64.load offset=32 (local.get $p))))))
      ;; through the alias
      (local.set $s (f64.add (local.get $s) (f64.load (local.get $a))))
      (f64.store offset=8 (local.get $a) (local.get $s))
      (if (local.get $c)
        (then (local.set $a (i32.add (local.get $a) (i32.const 8)))))
      ;; after the join: a may be p + 64
      (local.set $s (f64.sub (local.get $s) (f64.load (local.get $a))))
      (local.set $a (i32.add (local.get $p) (i32.const 96)))
      ;; a load through the alias pending while p changes (vm's stack ops)
      (local.set $s (f64.add (f64.load offset=8 (local.get $a))
        (f64.convert_i32_u (local.tee $p (i32.add (local.get $p) (i32.const 8))))))
      ;; p changed: a is no longer p + 96 (it is the old p + 96)
      (local.set $s (f64.add (local.get $s) (f64.load (local.get $a))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (f64.add (local.get $s) (f64.load (local.get $a)))))
"""


def _outcome(fn, *args):  # noqa: ANN001, ANN202
    try:
        return struct.pack("<d", fn(*args))
    except Exception:  # noqa: BLE001 - a trap on either side
        return "trap"


def test_against_wasmtime() -> None:
    wasm = wasmtime.wat2wasm(_TEXT)
    expect = wasmtime_export(wasm)
    traps = 0
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        run = rt.instantiate(wasm).exported_function("run")
        for p in (0, 8, 64, 200, -56, -48, -64, -40, -8):
            for c in (0, 1):
                for n in (1, 3):
                    want = _outcome(expect, p, n, c)
                    assert _outcome(run, p, n, c) == want, (p, n, c)
                    traps += want == "trap"
                    if p in (-56, -48) and n == 1:
                        assert want != "trap"  # p + 56 wrapped, then read and written
    assert 0 < traps < 36  # both kinds of outcome are exercised


def test_accesses_use_the_shadow() -> None:
    src = translated(_TEXT)
    # a = p + 56: the load through a indexes from p's shadow
    assert "MVd[(q0 + 7)]" in src
    # the store at a + 8 too
    assert "MVd[(q0 + 8)] = " in src
    # the load at a + 8 (a = p + 96), evaluated before p changes
    assert "t1 = MVd[(q0 + 13)]" in src


class _Gen:
    """Random loops over an aligned base ``p`` (a shadowed local) and
    locals set to sums of it, read and written through, set again in if
    arms and blocks left early."""

    def __init__(self, seed: int) -> None:
        import random

        self.r = random.Random(seed)

    def addr(self) -> str:
        r = self.r
        return r.choice(["$p", "$p", "$a", "$b"])

    def stmt(self, depth: int) -> str:
        r = self.r
        k = r.choice([0, 8, 16, 24, 56, 96, 104])
        x = r.choice(["$a", "$b"])
        y = r.choice(["$p", "$p", "$a", "$b"])
        off = r.choice([0, 8, 16])
        pick = r.randrange(11 if depth < 2 else 8)
        if pick <= 1:
            return f"(local.set {x} (i32.add (local.get {y}) (i32.const {k})))"
        if pick == 2:
            return f"(local.set $p (i32.add (local.get $p) (i32.const {r.choice([8, 16])})))"
        if pick <= 4:
            op = r.choice(["add", "sub", "mul"])
            return (
                f"(local.set $s (f64.{op} (local.get $s)"
                f" (f64.load offset={off} (local.get {self.addr()}))))"
            )
        if pick <= 6:
            return f"(f64.store offset={off} (local.get {self.addr()}) (local.get $s))"
        if pick == 7:
            # a load pending while a local of its address changes
            y = r.choice(["$p", "$a"])
            return (
                f"(local.set $s (f64.add (f64.load offset={off} (local.get {self.addr()}))"
                f" (f64.convert_i32_u (local.tee {y} (i32.add (local.get {y}) (i32.const {k}))))))"
            )
        bit = 1 << r.randrange(4)
        body = " ".join(self.stmt(depth + 1) for _ in range(r.randint(1, 3)))
        if pick == 8:
            other = " ".join(self.stmt(depth + 1) for _ in range(r.randint(0, 2)))
            return f"(if (i32.and (local.get $c) (i32.const {bit})) (then {body}) (else {other}))"
        rest = " ".join(self.stmt(depth + 1) for _ in range(r.randint(1, 2)))
        return f"(block $o {body} (br_if $o (i32.and (local.get $c) (i32.const {bit}))) {rest})"

    def module(self) -> str:
        r = self.r
        head = " ".join(self.stmt(0) for _ in range(r.randint(0, 3)))
        body = " ".join(self.stmt(0) for _ in range(r.randint(6, 14)))
        return f"""
(module
  (memory 1)
  (data (i32.const 0) "{_DATA}")
  (func (export "run") (param $p i32) (param $n i32) (param $c i32) (result f64)
    (local $a i32) (local $b i32) (local $s f64) (local $i i32)
    (local.set $p (i32.and (local.get $p) (i32.const -8)))
    {head}
    (loop $l
      (f64.store offset=8 (local.get $p) (f64.load offset=16 (local.get $p)))
      {body}
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (f64.add (local.get $s) (f64.load (local.get $a))))
)"""


def _check(seed: int) -> None:
    text = _Gen(seed).module()
    wasm = wasmtime.wat2wasm(text)
    expect = wasmtime_export(wasm)
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        run = rt.instantiate(wasm).exported_function("run")
        for p in (0, 64, 400, -56, -104, -16):
            for n in (1, 4):
                for c in (0, 5, 10, 15):
                    want = _outcome(expect, p, n, c)
                    assert _outcome(run, p, n, c) == want, (seed, p, n, c, text)


@pytest.mark.parametrize("chunk", range(4))
def test_random_alias_programs(chunk: int) -> None:
    for seed in range(chunk * 25, chunk * 25 + 25):
        _check(seed)


_NEGATIVE = """
(module
  (memory 1)
  (func (export "run") (param $sp i32) (param $i i32) (result i32)
    (local $a i32) (local $s i32) (local $k i32)
    (local.set $sp (i32.and (local.get $sp) (i32.const -16)))
    (loop $l
      ;; sp + 1120 + (i << 2) - 8, as compilers write it (+ 0xFFFFFFF8)
      (local.set $a (i32.add (i32.add (i32.add (local.get $sp) (i32.const 1120))
        (i32.shl (local.get $i) (i32.const 2))) (i32.const -8)))
      (i32.store (local.get $a) (i32.add (local.get $k) (i32.const 7)))
      (local.set $s (i32.add (local.get $s) (i32.load offset=4 (local.get $a))))
      ;; the same with i32.sub
      (local.set $s (i32.add (local.get $s) (i32.load
        (i32.sub (i32.add (local.get $sp) (i32.const 1124)) (i32.const 4)))))
      (local.set $s (i32.add (local.get $s) (i32.load offset=16 (local.get $sp))))
      ;; a constant below what is subtracted: may go below zero, wraps
      (local.set $s (i32.xor (local.get $s) (i32.load (i32.add (local.get $sp) (i32.const -16)))))
      (br_if $l (i32.ne (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 3))))
    (local.get $s)))
"""


def test_negative_offsets() -> None:
    wasm = wasmtime.wat2wasm(_NEGATIVE)
    expect = wasmtime_export(wasm)
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        run = rt.instantiate(wasm).exported_function("run")
        for sp in (0, 16, 1000, 60000, -1120, -1104, -16, -4096):
            for i in (0, 1, 2, 100, 0x3FFFFFFF, 0x3FFFFEE0):
                want = _int_outcome(expect, sp, i)
                assert _int_outcome(run, sp, i) == want, (sp, i)
    src = translated(_NEGATIVE)
    assert "4294967288" not in src and " - 8) % 4294967296)" in src


def _int_outcome(fn, *args):  # noqa: ANN001, ANN202
    try:
        return fn(*args)
    except Exception:  # noqa: BLE001 - a trap on either side
        return "trap"
