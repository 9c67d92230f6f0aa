"""Known alignment (internal/engine/compiler/passes/align.py): accesses whose
address is known to be aligned index typed memoryviews. A wrong claim would
read or write the wrong bytes, so besides checking that the views are used
where they should be, random programs that mix aligned and unaligned values
in reused locals run against wasmtime."""

from __future__ import annotations

import random
import struct

import pytest

from wasmzero import Runtime, RuntimeConfig, Trap, TrapKind
from wasmzero.internal.binary.decoder import decode_module
from wasmzero.internal.engine.compiler.translate import ModuleContext, translate_function

from .oracle import agree

wasmtime = pytest.importorskip("wasmtime")


def _sources(wasm: bytes) -> dict[int, str]:
    ctx = ModuleContext.of(decode_module(wasm))
    first = ctx.num_imported_funcs
    return {i: translate_function(ctx, i) for i in range(first, len(ctx.func_types))}


REUSE = """
(module
  (memory (export "mem") 1)
  (global $sp (mut i32) (i32.const 4096))
  (global $base (export "base") (mut i32) (i32.const 1024))
  (func (export "sum") (param $n i32) (result f64)
    (local $p i32) (local $acc f64)
    ;; $p counts down first (unaligned values)...
    (local.set $p (i32.const 3))
    (loop $count
      (local.set $acc (f64.add (local.get $acc) (f64.const 1)))
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (br_if $count (local.get $p)))
    ;; ...then walks an array of doubles: aligned
    (local.set $p (i32.const 256))
    (loop $walk
      (local.set $acc (f64.add (local.get $acc) (f64.load offset=8 (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br_if $walk (i32.lt_u (local.get $p) (i32.add (i32.const 256) (i32.shl (local.get $n) (i32.const 3))))))
    (local.get $acc))
  (func (export "param") (param $q i32) (result i64)
    (local $r i64)
    ;; the argument may be anything: no claim on this read
    (local.set $r (i64.load (local.get $q)))
    (local.set $q (i32.const 64))
    (loop $l
      (local.set $r (i64.add (local.get $r) (i64.load (local.get $q))))
      (local.set $q (i32.add (local.get $q) (i32.const 8)))
      (br_if $l (i32.lt_u (local.get $q) (i32.const 96))))
    (local.get $r))
  (func (export "frame") (param $bump i32) (result i32)
    (local $fp i32) (local $i i32)
    ;; a stack frame below $sp, which another function may misalign
    (local.set $fp (i32.sub (global.get $sp) (i32.const 64)))
    (loop $l
      (i32.store (i32.add (local.get $fp) (i32.shl (local.get $i) (i32.const 2))) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 4))))
    (global.set $sp (i32.add (global.get $sp) (local.get $bump)))
    (i32.load offset=4 (local.get $fp)))
  (func (export "host_base") (result i64)
    (local $p i32) (local $r i64)
    ;; an exported global: the host may set it to anything
    (local.set $p (global.get $base))
    (loop $l
      (local.set $r (i64.add (local.get $r) (i64.load (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br_if $l (i32.lt_u (local.get $p) (i32.add (global.get $base) (i32.const 16)))))
    (local.get $r))
  (func (export "wrap") (param $p i32) (result f64)
    (local $q i32) (local $r f64)
    (local.set $p (i32.and (local.get $p) (i32.const -8)))
    (loop $l
      (local.set $q (i32.add (local.get $q) (i32.const 8)))
      ;; finally 0xFFFFFFF8 + 16, which wraps around to 8
      (local.set $r (f64.load (i32.add (local.get $p) (local.get $q))))
      (br_if $l (i32.lt_u (local.get $q) (i32.const 16))))
    (local.get $r)))
"""


def test_views_for_known_alignment() -> None:
    sum_, param, frame, host_base, wrap = _sources(wasmtime.wat2wasm(REUSE)).values()
    # a local reused: a counter, then a pointer into an array of doubles
    assert "MVd[(l1 + 8) >> 3]" in sum_
    # a parameter: its argument may be anything; the values set later not
    assert "_ldQ(M, l0)" in param and "MVQ[l0 >> 3]" in param
    # the stack pointer is moved by an argument: no claim on it
    assert "_stI(M" in frame and "MV" not in frame
    # an exported global: the host may set it to anything
    assert "_ldQ(M, l0)" in host_base
    # masked by -8: aligned (the sum may wrap around)
    assert "MVd[" in wrap


def test_reused_locals_and_misaligned_values() -> None:
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        mod = rt.instantiate(wasmtime.wat2wasm(REUSE))
        mem = mod.exported_memory("mem")

        for k in range(8):
            mem.write(264 + 8 * k, struct.pack("<d", k + 0.5))
        assert mod.exported_function("sum")(4) == 3 + 0.5 + 1.5 + 2.5 + 3.5
        data = bytes(range(1, 129))
        mem.write(0, data)
        q = struct.unpack_from("<Q", data, 3)[0]
        rest = sum(struct.unpack_from("<4Q", data, 64)) & (2**64 - 1)
        assert mod.exported_function("param")(3) == (q + rest) & (2**64 - 1)
        frame = mod.exported_function("frame")
        assert frame(3) == 1  # $sp moves to 4099
        assert frame(0) == 1  # the frame at 4035: unaligned stores and loads
        assert mem.read(4035, 8) == bytes([0, 0, 0, 0, 1, 0, 0, 0])
        base = mod.exported_global("base")
        base.value = 5
        expect = sum(struct.unpack_from("<2Q", data, 5)) & (2**64 - 1)
        assert mod.exported_function("host_base")() == expect
        mem.write(8, struct.pack("<d", -7.25))
        assert mod.exported_function("wrap")(0xFFFFFFF8) == -7.25
        with pytest.raises(Trap) as info:
            mod.exported_function("wrap")(65536 - 16)
        assert info.value.kind is TrapKind.MEMORY_OUT_OF_BOUNDS


# -- random programs ---------------------------------------------------------

_LOCALS = ("$a", "$x", "$y", "$z")  # $a is the parameter


def _value(r: random.Random) -> str:
    v = r.choice(_LOCALS)
    c = r.random()
    if c < 0.25:
        return f"(i32.const {r.choice([0, 8, 16, 64, 3, 5, 12, 250, 1000])})"
    if c < 0.45:
        return f"(local.get {v})"
    if c < 0.7:
        k = r.choice([1, 2, 4, 8, 16, 24, 7, -8, -1])
        return f"(i32.add (local.get {v}) (i32.const {k}))"
    if c < 0.8:
        return f"(i32.shl (local.get {v}) (i32.const {r.choice([0, 1, 2, 3])}))"
    if c < 0.9:
        return f"(i32.mul (local.get {v}) (i32.const {r.choice([1, 2, 3, 8, 12])}))"
    return f"(i32.and (local.get {v}) (i32.const {r.choice([-8, -4, -2, 255])}))"


def _stmt(r: random.Random, depth: int) -> str:
    c = r.random()
    v = r.choice(_LOCALS)
    addr = f"(local.get {v})"
    if r.random() < 0.3:
        # base + scaled index: a shadow of the base, if it is set outside loops
        w, k = r.choice(_LOCALS), r.choice([2, 3])
        addr = (
            f"(i32.add {addr} (i32.shl (i32.and (local.get {w}) (i32.const 63)) (i32.const {k})))"
        )
    off = r.choice([0, 0, 8, 16, 3, 4])
    if c < 0.3:
        # keep addresses within the first KiB: & 1023 keeps the alignment
        return f"(local.set {v} (i32.and {_value(r)} (i32.const 1023)))"
    if c < 0.45:
        load = r.choice(
            [
                f"(i64.load offset={off} {addr})",
                f"(i64.reinterpret_f64 (f64.load offset={off} {addr}))",
                f"(i64.extend_i32_u (i32.load offset={off} {addr}))",
                f"(i64.extend_i32_u (i32.load16_u offset={off} {addr}))",
                f"(i64.load32_u offset={off} {addr})",
            ]
        )
        return f"(local.set $acc (i64.add (i64.rotl (local.get $acc) (i64.const 7)) {load}))"
    if c < 0.6:
        return r.choice(
            [
                f"(i64.store offset={off} {addr} (local.get $acc))",
                f"(f64.store offset={off} {addr} (f64.reinterpret_i64 (local.get $acc)))",
                f"(i32.store offset={off} {addr} (i32.wrap_i64 (local.get $acc)))",
            ]
        )
    if depth <= 0:
        return f"(local.set {v} (i32.and {_value(r)} (i32.const 1023)))"
    body = " ".join(_stmt(r, depth - 1) for _ in range(r.randint(1, 4)))
    if c < 0.8:
        n = r.randint(1, 3)
        return (
            f"(local.set $n{depth} (i32.const {n})) "
            f"(loop $l{depth} {body} "
            f"(local.set $n{depth} (i32.sub (local.get $n{depth}) (i32.const 1))) "
            f"(br_if $l{depth} (local.get $n{depth})))"
        )
    other = " ".join(_stmt(r, depth - 1) for _ in range(r.randint(0, 3)))
    return f"(if (i32.and (local.get {v}) (i32.const 4)) (then {body}) (else {other}))"


def _program(seed: int) -> str:
    r = random.Random(seed)
    body = " ".join(_stmt(r, 3) for _ in range(r.randint(3, 8)))
    data = "".join(f"\\{b:02x}" for b in random.Random(seed).randbytes(1100))
    return f"""
(module
  (memory (export "mem") 1)
  (data (i32.const 0) "{data}")
  (func (export "run") (param $a i32) (result i64)
    (local $x i32) (local $y i32) (local $z i32) (local $n1 i32) (local $n2 i32) (local $n3 i32) (local $acc i64)
    {body}
    (local.get $acc)))
"""


@pytest.mark.parametrize("seed", range(60))
def test_random_programs_agree_with_wasmtime(seed: int) -> None:
    text = _program(seed)
    wasm = wasmtime.wat2wasm(text)
    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), [])
    run = inst.exports(store)["run"]
    mem = inst.exports(store)["mem"]
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        mod = rt.instantiate(wasm)
        for arg in (0, 8, 5, 1016):
            want = run(store, arg) & (2**64 - 1)
            got = mod.exported_function("run")(arg) & (2**64 - 1)
            assert got == want, (seed, arg)
            ours = mod.exported_memory("mem").read(0, 2048)
            assert ours == bytes(mem.read(store, 0, 2048)), (seed, arg)


SHADOWS = """
(module
  (memory (export "mem") 1)
  (global $sp (mut i32) (i32.const 8192))
  (func (export "frame") (result i32)
    (local $fp i32) (local $i i32) (local $s i32)
    (local.set $fp (i32.sub (global.get $sp) (i32.const 64)))
    (loop $fill
      (i32.store offset=8 (i32.add (local.get $fp) (i32.shl (local.get $i) (i32.const 2)))
        (i32.mul (local.get $i) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 8))))
    (loop $sum
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (local.set $s (i32.add (local.get $s)
        (i32.load offset=8 (i32.add (local.get $fp) (i32.shl (local.get $i) (i32.const 2))))))
      (br_if $sum (local.get $i)))
    (local.get $s))
  (func (export "walk") (param $p i32) (param $n i32) (result f64)
    (local $i i32) (local $acc f64)
    (local.set $p (i32.and (local.get $p) (i32.const -8)))
    (loop $l
      (local.set $acc (f64.add (local.get $acc)
        (f64.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))
"""


def test_shadowed_bases() -> None:
    frame, walk = _sources(wasmtime.wat2wasm(SHADOWS)).values()
    assert "q0 = l0 >> 2" in frame and "MVI[(q0 + l1 + 2)]" in frame
    assert "q0 = l0 >> 3" in walk and "MVd[(q0 + l2)]" in walk
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        mod = rt.instantiate(wasmtime.wat2wasm(SHADOWS))
        assert mod.exported_function("frame")() == sum(i * i for i in range(8))
        mem = mod.exported_memory("mem")
        mem.write(8, struct.pack("<3d", 1.5, 2.5, -8.0))
        walk = mod.exported_function("walk")
        assert walk(13, 3) == -4.0  # 13 & -8 = 8
        assert walk(0, 2) == 1.5 and walk(15, 1) == 1.5
        with pytest.raises(Trap) as info:  # 0xFFFFFFF8: out of range
            walk(0xFFFFFFFF, 2)
        assert info.value.kind is TrapKind.MEMORY_OUT_OF_BOUNDS


# A local set to an aligned value in straight-line code keeps its alignment
# until it is set again or control flow joins another value in (a size
# class's slot: i << 2, read in one block and written in the next).
_FACTS = """
(module
  (memory 1)
  (func (export "run") (param $i i32) (param $v i32) (result i32)
    (local $p i32)
    (block $b
      (br_if $b (i32.eqz (i32.load offset=64 (local.tee $p (i32.shl (local.get $i) (i32.const 2)))))))
    (i32.store offset=64 (local.get $p) (local.get $v))
    (if (local.get $v) (then (local.set $p (i32.add (local.get $i) (i32.const 1)))))
    ;; p may be unaligned here: joined
    (i32.add (i32.load (local.get $p)) (i32.load offset=64 (i32.shl (local.get $i) (i32.const 2))))))
"""


def test_alignment_of_straight_line_sets() -> None:
    src = _sources(wasmtime.wat2wasm(_FACTS))[0]
    assert "MVI[(l2 + 64) >> 2] = l1" in src.replace("((l2 + 64))", "(l2 + 64)")
    assert "_ldI(M, l2)" in src
    is_ = (0, 1, 2, 3, 100, 16000, 16367, 16368)
    agree(_FACTS, [(i, v) for i in is_ for v in (0, 1, 7)])
