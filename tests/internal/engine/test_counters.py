"""Loop counters with a known range (internal/engine/compiler/passes/counters.py):
``base + i`` with ``i`` counting from a "negative" start up to zero is
computed without a wrap test. The pattern must hold exactly; near misses
keep the test, and all of them compute what wasmtime computes."""

from __future__ import annotations

import random

import pytest

from wasmzero import Runtime, RuntimeConfig, Trap
from wasmzero.internal.binary.decoder import decode_module
from wasmzero.internal.engine.compiler.passes.counters import counter_ranges, guarded_ranges
from wasmzero.internal.engine.compiler.passes.structure import KIND_LOOP, analyse

wasmtime = pytest.importorskip("wasmtime")

from tests.internal.engine.oracle import wasmtime_export  # noqa: E402


def _loop(start: int, step: int, extra: str = "", tail: str = "") -> str:
    """Sum the bytes at 2048 + i for i from ``start`` (as i32) up to zero."""
    return f"""
(module
  (memory (export "mem") 1)
  (data (i32.const 1000) "\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f\\10")
  (func (export "run") (param $p i32) (result i32)
    (local $i i32) (local $s i32)
    (local.set $i (i32.const {start}))
    (loop $l
      (local.set $s (i32.add (local.get $s)
        (i32.load8_u (i32.add (local.get $i) (i32.const 1016)))))
      {extra}
      (local.get $i) (i32.const {step}) (i32.add) (local.tee $i) (br_if $l))
    {tail}
    (local.get $s)))
"""


def _agree(text: str, args: tuple[int, ...]) -> None:
    """wasmzero and wasmtime return the same, or both trap."""
    wasm = wasmtime.wat2wasm(text)
    run = wasmtime_export(wasm)
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        mod = rt.instantiate(wasm)
        for p in args:
            try:
                want: object = run(p)
            except wasmtime.Trap:
                want = "trap"
            try:
                got: object = mod.exported_function("run")(p)
            except Trap:
                got = "trap"
            assert got == want, (text, p)


def _ranges(text: str) -> dict[int, tuple[int, int]]:
    code = decode_module(wasmtime.wat2wasm(text)).codes[0]
    types = {i: (0, 0) for i, ins in enumerate(code.body) if ins[0] in (0x02, 0x03, 0x04)}
    nodes, _ = analyse(code.body, types)
    loops = [(n.start, n.end, len(n.sites)) for n in nodes.values() if n.kind == KIND_LOOP]
    return counter_ranges(code.body, loops)


def test_counter_pattern_and_near_misses() -> None:
    assert set(_ranges(_loop(-16, 1)).values()) == {(2**32 - 16, 2**32 - 1)}
    assert set(_ranges(_loop(-16, 4)).values()) == {(2**32 - 16, 2**32 - 4)}
    # the step does not divide the distance to zero: it could step over it
    assert _ranges(_loop(-15, 4)) == {}
    # another set of the counter in the body
    assert _ranges(_loop(-16, 1, "(local.set $i (local.get $p))")) == {}
    # another way back to the loop
    assert _ranges(_loop(-16, 1, "(br_if $l (local.get $p))")) == {}
    assert _ranges(_loop(-16, 1, "(block (br_table 0 1 (local.get $p)))")) == {}
    # a branch out of the loop is fine
    assert _ranges(_loop(-16, 1, "(block (br_table 0 (local.get $p)))")) != {}


@pytest.mark.parametrize(
    "start,step,extra",
    [
        (-16, 1, ""),
        (-16, 4, ""),
        (-15, 4, ""),
        (-16, 1, "(local.set $i (i32.add (local.get $i) (local.get $p)))"),
        (-16, 1, "(br_if $l (i32.and (local.get $p) (local.get $s)))"),
        (-8, 2, "(if (local.get $p) (then (local.set $p (i32.sub (local.get $p) (i32.const 1)))))"),
    ],
)
def test_counters_compute_what_wasmtime_does(start: int, step: int, extra: str) -> None:
    _agree(_loop(start, step, extra), (0, 1, 3))


def test_random_counter_loops() -> None:
    r = random.Random(7)
    for _ in range(40):
        step = r.choice([1, 2, 4, 8])
        n = r.randint(1, 40)
        start = -step * n + r.choice([0, 0, 0, 1])
        base = r.choice([1016, 2**32 - 16, 3000])
        text = _loop(start, step).replace("1016", str(base - 2**32 if base >= 2**31 else base))
        _agree(text, (0,))


def _guarded(guard: str, k: int, step: int, back: str) -> str:
    """acc += n - k while n stays above a bound (fib's loop shape)."""
    return f"""
(module
  (func (export "run") (param $n i32) (result i32)
    (local $acc i32) (local $fuel i32)
    (block $out
      {guard}
      (loop $l
        ;; an exit, not a way back: keeps runs that wrap around short
        (local.set $fuel (i32.add (local.get $fuel) (i32.const 1)))
        (br_if $out (i32.gt_u (local.get $fuel) (i32.const 40)))
        (local.set $acc (i32.add (local.get $acc) (i32.add (local.get $n) (i32.const {-k}))))
        (local.set $n (i32.add (local.get $n) (i32.const {-step})))
        (br_if $l {back})))
    (i32.add (local.get $acc) (local.get $n))))
"""


GUARDS = [
    "(br_if $out (i32.lt_u (local.get $n) (i32.const 2)))",
    "(br_if $out (i32.lt_s (local.get $n) (i32.const 3)))",
    "(br_if $out (i32.eqz (local.get $n)))",
    "",  # no guard: n may enter the loop below k
    "(local.set $n (i32.const 0)) (br_if $out (i32.lt_u (local.get $n) (i32.const 2)))",
]
BACKS = [
    "(i32.gt_u (local.get $n) (i32.const 1))",
    "(i32.gt_s (local.get $n) (i32.const 2))",
    "(i32.gt_u (local.get $n) (i32.const 0))",
]


@pytest.mark.parametrize("guard", GUARDS)
@pytest.mark.parametrize("back", BACKS)
@pytest.mark.parametrize("k,step", [(1, 1), (2, 2), (1, 2)])
def test_guarded_loops_agree_with_wasmtime(guard: str, back: str, k: int, step: int) -> None:
    _agree(_guarded(guard, k, step, back), (0, 1, 2, 3, 7, 2**31 + 5, 2**32 - 1))


def test_guarded_loop_reads_have_a_lower_bound() -> None:
    text = _guarded(GUARDS[0], 1, 2, BACKS[0])
    code = decode_module(wasmtime.wat2wasm(text)).codes[0]
    types = {i: (0, 0) for i, ins in enumerate(code.body) if ins[0] in (0x02, 0x03, 0x04)}
    nodes, _ = analyse(code.body, types)
    loops = [(n.start, n.end, len(n.sites)) for n in nodes.values() if n.kind == KIND_LOOP]
    assert set(guarded_ranges(code.body, loops).values()) == {(2, 2**32 - 1)}
    # without the guard, the first iteration may see anything
    code = decode_module(wasmtime.wat2wasm(_guarded("", 1, 2, BACKS[0]))).codes[0]
    nodes, _ = analyse(
        code.body, {i: (0, 0) for i, ins in enumerate(code.body) if ins[0] in (2, 3, 4)}
    )
    loops = [(n.start, n.end, len(n.sites)) for n in nodes.values() if n.kind == KIND_LOOP]
    assert guarded_ranges(code.body, loops) == {}
