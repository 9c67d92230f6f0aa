"""Ranges of locals (Translator.note_range and join_end): a local set from
a value with a known range (a bit count, a shift right, a remainder, a mask)
keeps it until the next set or a join of control flow that may bring
another value, so arithmetic on it skips wraps and masks. Random programs
that set such locals in ifs and blocks left by branches compute what wasmtime
computes."""

from __future__ import annotations

import random

import pytest

from wasmzero import Runtime, RuntimeConfig

wasmtime = pytest.importorskip("wasmtime")

from tests.internal.engine.oracle import translated, wasmtime_export  # noqa: E402

_EDGES = [0, 1, 2, 31, 32, 33, 63, 64, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF]


class _Gen:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.blocks: list[str] = []
        self.nblocks = 0

    def local(self) -> str:
        return f"$a{self.rng.randrange(4)}"

    def any_value(self) -> str:
        r = self.rng.random()
        if r < 0.4:
            return f"(local.get {self.local()})"
        if r < 0.7:
            return f"(local.get $p{self.rng.randrange(3)})"
        return f"(i32.const {self.rng.choice(_EDGES)})"

    def small(self) -> str:
        """A value whose range the translator knows."""
        v = self.any_value()
        k = self.rng.randrange(6)
        if k == 0:
            return f"(i32.clz {v})"
        if k == 1:
            return f"(i32.shr_u {v} (i32.const {self.rng.choice([1, 4, 16, 27, 31])}))"
        if k == 2:
            return f"(i32.rem_u {v} (i32.const {self.rng.choice([3, 32, 100, 65536])}))"
        if k == 3:
            return f"(i32.and {v} (i32.const {self.rng.choice([15, 31, 255, 65535])}))"
        if k == 4:
            return f"(i32.popcnt {v})"
        return f"(i32.sub (i32.const 32) (i32.clz {v}))"

    def use(self) -> str:
        """Arithmetic that a range lets skip its wrap or mask."""
        a, b = f"(local.get {self.local()})", f"(local.get {self.local()})"
        k = self.rng.randrange(7)
        if k == 0:
            return f"(i32.add {a} {b})"
        if k == 1:
            return f"(i32.sub (i32.const {self.rng.choice([32, 40, 100])}) {a})"
        if k == 2:
            return f"(i32.shl (i32.const 1) {a})"
        if k == 3:
            return f"(i32.and {a} (i32.const {self.rng.choice([31, 63, 65535])}))"
        if k == 4:
            return f"(i32.mul {a} {b})"
        if k == 5:
            return f"(i32.wrap_i64 (i64.shl (i64.const 1) (i64.and (i64.extend_i32_u {a}) (i64.const 65535))))"
        return f"(i32.add {a} (i32.const {self.rng.choice([1, 4096, 0x7FFFFFFF])}))"

    def cond(self) -> str:
        return f"(i32.lt_u {self.any_value()} {self.any_value()})"

    def stmts(self, depth: int) -> list[str]:
        out = []
        for _ in range(self.rng.randrange(1, 5)):
            r = self.rng.random()
            if r < 0.3:
                out.append(f"(local.set {self.local()} {self.small()})")
            elif r < 0.45:
                out.append(f"(local.set {self.local()} {self.use()})")
            elif r < 0.55:
                out.append(f"(local.set {self.local()} {self.any_value()})")
            elif r < 0.7:
                out.append(
                    f"(local.set $h (i32.add (i32.mul (local.get $h) (i32.const 31)) {self.use()}))"
                )
            elif r < 0.8 and self.blocks:
                label = self.rng.choice(self.blocks)
                out.append(f"(br_if {label} {self.cond()})")
            elif depth < 3 and r < 0.9:
                t = " ".join(self.stmts(depth + 1))
                e = " ".join(self.stmts(depth + 1)) if self.rng.random() < 0.6 else ""
                out.append(f"(if {self.cond()} (then {t}) (else {e}))")
            elif depth < 3:
                self.nblocks += 1
                label = f"$b{self.nblocks}"
                self.blocks.append(label)
                body = " ".join(self.stmts(depth + 1))
                self.blocks.pop()
                out.append(f"(block {label} {body})")
        return out

    def module(self) -> str:
        body = " ".join(self.stmts(0))
        return f"""
(module
  (func (export "run") (param $p0 i32) (param $p1 i32) (param $p2 i32) (result i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $h i32)
    {body}
    (i32.xor (local.get $h)
      (i32.add (local.get $a0) (i32.mul (local.get $a1) (i32.add (local.get $a2) (local.get $a3)))))))
"""


def _check(seed: int) -> None:
    rng = random.Random(seed)
    text = _Gen(rng).module()
    wasm = wasmtime.wat2wasm(text)
    want_run = wasmtime_export(wasm)
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        got_run = rt.instantiate(wasm).exported_function("run")
        for _ in range(8):
            args = [
                rng.choice(_EDGES) if rng.random() < 0.5 else rng.randrange(2**32) for _ in range(3)
            ]
            signed = [a - 2**32 if a >= 2**31 else a for a in args]
            want = want_run(*signed) & 0xFFFFFFFF
            assert got_run(*args) & 0xFFFFFFFF == want, (text, args)


@pytest.mark.parametrize("chunk", range(4))
def test_random_programs_with_ranged_locals(chunk: int) -> None:
    for seed in range(chunk * 25, chunk * 25 + 25):
        _check(seed)


def test_ranges_drop_wraps() -> None:
    text = """
(module
  (func (export "run") (param $p i32) (result i32) (local $n i32)
    (local.set $n (i32.clz (local.get $p)))
    (block $b (br_if $b (i32.eqz (local.get $p))) (local.set $p (i32.const 7)))
    (i32.add (i32.sub (i32.const 32) (local.get $n)) (i32.shl (i32.const 1) (local.get $n)))))
"""
    src = translated(text)
    assert "(32 - l1)" in src and "4294967296" not in src, src


@pytest.mark.parametrize("bits", [32, 64])
def test_sign_mask_and(bits: int) -> None:
    """``(x >>s (bits - 1)) & y`` is ``y`` where ``x`` is negative, else 0."""
    t = f"i{bits}"
    text = f"""
(module
  (func (export "run") (param $x {t}) (param $y {t}) (result {t})
    ({t}.xor (local.get $x)
      ({t}.and ({t}.shr_s (local.get $x) ({t}.const {bits - 1})) ({t}.shr_s (local.get $y) ({t}.const 3)))))
  (func (export "run2") (param $x {t}) (param $y {t}) (result {t})
    ({t}.and (local.get $y) ({t}.shr_s (local.get $x) ({t}.const {2 * bits - 1})))))
"""
    wasm = wasmtime.wat2wasm(text)
    m = (1 << bits) - 1
    values = [0, 1, 5, m >> 1, (m >> 1) + 1, m - 1, m, 0x1234567890ABCDEF & m]
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        mod = rt.instantiate(wasm)
        for name in ("run", "run2"):
            got_f, want_f = mod.exported_function(name), wasmtime_export(wasm, name)
            for x in values:
                for y in values:
                    sx, sy = (v - (1 << bits) if v >> (bits - 1) else v for v in (x, y))
                    assert got_f(x, y) & m == want_f(sx, sy) & m, (name, x, y)
