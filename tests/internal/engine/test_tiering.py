"""Tiering (engine/tiering.py) and on-stack replacement (engine/osr.py):
results, traps and their wasm stack traces, and fuel are the same whatever
the threshold: 0 (translate at once), small values (interpreted, then
translated at a call or, inside a running loop, by on-stack replacement),
and None (translate nothing)."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wasmzero import ExitError, ModuleConfig, Runtime, RuntimeConfig, Trap
from wasmzero.imports import wasi_snapshot_preview1 as wasi

from .test_control_fuzz import _INPUTS, _Gen

wasmtime = pytest.importorskip("wasmtime")

THRESHOLDS = [0, 1, 2, 5, 50, None]

LOOPS = """(module
 (memory 1)
 (func $sum (export "sum") (param $n i32) (result i64) (local $i i32) (local $acc i64)
  (block $out
   (loop $l
    (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $l)))
  (local.get $acc))
 (func (export "early") (param $n i32) (result i32) (local $i i32)
  (loop $l
    (if (i32.eq (local.get $i) (i32.const 77))
      (then (return (i32.mul (local.get $i) (i32.const 2)))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
  (i32.const -1))
 (func (export "nested") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $c i32)
  (loop $outer
    (local.set $j (i32.const 0))
    (loop $inner
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $outer (i32.eq (local.get $c) (i32.const 333)))
      (br_if $inner (i32.lt_u (local.get $j) (i32.const 10))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
  (local.get $c))
 (func (export "values") (param $n i32) (result i64 i32) (local $i i32)
  (i64.const 7)
  (i32.const 5)
  (block (param i32) (result i32)
   (loop (param i32) (result i32)
     (i32.add (i32.const 1))
     (local.set $i (i32.add (local.get $i) (i32.const 1)))
     (br_if 1 (i32.eq (local.get $i) (i32.const 500)))
     (br_if 0 (i32.lt_u (local.get $i) (local.get $n)))))
  (i32.const 1000) (i32.add)
  (local.set $i)
  (i64.add (i64.const 1))
  (local.get $i)
  (return))
 (func (export "fill") (param $n i32) (result i32) (local $i i32) (local $s i32)
  (loop $w
    (i32.store8 (local.get $i) (local.get $i))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $w (i32.lt_u (local.get $i) (local.get $n))))
  (local.set $i (i32.const 0))
  (loop $r
    (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $i))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $r (i32.lt_u (local.get $i) (local.get $n))))
  (local.get $s))
 (func $oob (param i32) (result i32) (i32.load (local.get 0)))
 (func (export "trap") (param $n i32) (result i32) (local $i i32) (local $s i32)
  (loop $l
    (local.set $s (i32.add (local.get $s) (call $oob (i32.mul (local.get $i) (i32.const 4)))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
  (local.get $s))
)"""

CALLS = [
    ("sum", (100_000,)),
    ("sum", (3,)),
    ("early", (100,)),
    ("early", (50,)),
    ("nested", (50,)),
    ("nested", (5,)),
    ("values", (300,)),
    ("values", (900,)),
    ("fill", (5000,)),
]


def _results(threshold: int | None) -> tuple[list, str, object]:
    rt = Runtime(RuntimeConfig(engine="compiler", tier_threshold=threshold))
    compiled = rt.compile_module(wasmtime.wat2wasm(LOOPS))
    mod = rt.instantiate_module(compiled)
    out = [mod.exported_function(name)(*args) for name, args in CALLS]
    with pytest.raises(Trap) as e:
        mod.exported_function("trap")(20_000)
    return out, str(e.value), compiled._code


def test_results_traps_and_traces_are_the_same_at_every_threshold() -> None:
    expected, trap, _ = _results(0)
    for threshold in THRESHOLDS[1:]:
        assert _results(threshold)[:2] == (expected, trap), threshold


def test_loops_entered_once_are_translated_by_on_stack_replacement() -> None:
    _, _, code = _results(5)
    # Each loop above is hot within one call: entered from the interpreter.
    assert code.loops and all(v is not None for v in code.loops.values())
    assert code.translations > 0


def test_translate_nothing_and_translate_at_once() -> None:
    _, _, nothing = _results(None)
    assert nothing.translations == 0 and not nothing.loops
    _, _, at_once = _results(0)
    assert at_once.translations == 7 and not at_once.loops  # every function called


def test_a_function_is_translated_after_threshold_calls() -> None:
    wat = '(module (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))'
    rt = Runtime(RuntimeConfig(engine="compiler", tier_threshold=3))
    compiled = rt.compile_module(wasmtime.wat2wasm(wat))
    f = rt.instantiate_module(compiled).exported_function("f")
    seen = []
    for k in range(6):
        assert f(k) == k + 1
        seen.append(compiled._code.translations)
    assert seen == [0, 0, 0, 1, 1, 1]


def test_threshold_is_checked() -> None:
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="tier_threshold"):
            RuntimeConfig(engine="compiler", tier_threshold=bad)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([1, 2, 4]))
def test_random_control_flow_is_the_same_tiered(seed: int, threshold: int) -> None:
    """Random nests of block/loop/if/br/br_if/br_table/return: every exit
    from a loop entered by on-stack replacement goes where it should."""
    wasm = wasmtime.wat2wasm(_Gen(random.Random(seed), 5).module())
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        base = rt.instantiate(wasm).exported_function("f")
        expected = [base(*args) for args in _INPUTS]
    with Runtime(RuntimeConfig(engine="compiler", tier_threshold=threshold)) as rt:
        f = rt.instantiate(wasm).exported_function("f")
        assert [f(*args) for args in _INPUTS] == expected


def _wasi_run(wasm: bytes, args: list[str], **config: object) -> tuple[bytes, int | None]:
    with Runtime(RuntimeConfig(**{"engine": "compiler", **config})) as rt:  # type: ignore[arg-type]
        wasi.instantiate(rt)
        out = io.BytesIO()
        mod = rt.instantiate(wasm, ModuleConfig(stdout=out, args=args, start_functions=()))
        try:
            mod.exported_function("_start")()
        except ExitError as e:
            assert e.exit_code == 0
        return out.getvalue(), mod.fuel.consumed if mod.fuel else None


HELLO = Path(__file__).resolve().parents[3] / "examples" / "hello.wasm"


@pytest.mark.parametrize("threshold", [1, 20, None])
def test_a_c_program_runs_the_same_tiered_with_the_same_fuel(threshold: int | None) -> None:
    wasm = HELLO.read_bytes()
    args = ["hello", "1", "2", "39"]
    expected = _wasi_run(wasm, args, fuel=10**12, tier_threshold=0)
    assert expected[0] and expected[1]
    assert _wasi_run(wasm, args, fuel=10**12, tier_threshold=threshold) == expected
    assert _wasi_run(wasm, args, fuel=10**12, engine="interpreter") == expected


@pytest.mark.parametrize("threshold", [None, 1, 2], ids=["translate-nothing", "1", "2"])
@pytest.mark.parametrize("suite", ["v1", "v2"])
def test_the_spec_suite_passes_at_every_threshold(suite: str, threshold: int | None) -> None:
    """The whole suite on the compiler engine with tiering forced: None
    interprets everything (the interpreter's code with the compiler
    engine's plumbing), 1 and 2 translate after one or two calls or loop
    iterations (on-stack replacement in the middle of loops); 0, translate
    at once, is the plain compiler engine run of tests/test_spectest.py."""
    from tests.spectest.runner import SPECTEST, run_suite

    if not (SPECTEST / suite).is_dir():
        pytest.skip("the spec suite is not here")
    total = run_suite(suite, "compiler", out=io.StringIO(), options={"tier_threshold": threshold})
    assert total.failed == 0, total.failures[:10]
    assert total.passed > 10_000
