"""Fuel (issue 20 part 2): one unit per function entry and per loop header
reached, the same count in both engines; out of fuel is a typed trap; the
meter is readable and refillable; code without fuel is unchanged."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from wasmzero import (
    CompilationCache,
    ExitError,
    ModuleConfig,
    Runtime,
    RuntimeConfig,
    Trap,
    TrapKind,
)
from wasmzero.imports import wasi_snapshot_preview1 as wasi
from wasmzero.internal.engine.compiler.translate import translate_function
from wasmzero.internal.engine.context import ModuleContext
from wasmzero.internal.engine.limits import TranslateOptions

ENGINES = ["compiler", "interpreter"]

PROGRAM = wasmtime.wat2wasm(
    """(module
      (memory 1)
      ;; a counted loop (the compiler turns it into a Python `for`)
      (func $count (export "count") (param i32) (result i32) (local i32)
        (loop $l
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
        (local.get 1))
      ;; nested loops, the inner one left by br_table and entered again
      (func (export "nested") (param i32 i32) (result i32) (local i32 i32 i32)
        (loop $o
          (local.set 3 (i32.const 0))
          (block $out
            (loop $i
              (local.set 4 (i32.add (local.get 4) (local.get 3)))
              (local.set 3 (i32.add (local.get 3) (i32.const 1)))
              (br_table $i $out (i32.ge_u (local.get 3) (local.get 1)))))
          (local.set 2 (i32.add (local.get 2) (i32.const 1)))
          (br_if $o (i32.lt_u (local.get 2) (local.get 0))))
        (local.get 4))
      ;; recursion: one unit per call, plus a loop that runs once (no branch back)
      (func $fib (export "fib") (param i32) (result i32)
        (loop $once)
        (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
          (then (local.get 0))
          (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                         (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
      (func (export "spin") (loop $l (br $l)))
      (func (export "calls") (param i32) (result i32)
        (loop $l
          (drop (call $count (i32.const 3)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br_if $l (local.get 0)))
        (i32.const 7)))"""
)


def _fib_calls(n: int) -> int:
    return 1 if n < 2 else 1 + _fib_calls(n - 1) + _fib_calls(n - 2)


# (export, args, result, units): units counted by hand from the rules.
CASES = [
    ("count", (10,), 10, 1 + 10),
    ("count", (0,), 1, 1 + 1),
    ("nested", (3, 4), 18, 1 + 3 + 3 * 4),
    ("fib", (10,), 55, 2 * _fib_calls(10)),
    ("calls", (5,), 7, 1 + 5 + 5 * (1 + 3)),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("name", "args", "result", "units"), CASES)
def test_fuel_counts_function_entries_and_loop_iterations(
    engine: str, name: str, args: tuple, result: int, units: int
) -> None:
    with Runtime(RuntimeConfig(engine=engine, fuel=10**6)) as rt:
        mod = rt.instantiate(PROGRAM)
        assert mod.exported_function(name)(*args) == result
        assert mod.fuel.consumed == units
        assert mod.fuel.remaining == 10**6 - units


@pytest.mark.parametrize(("name", "args", "result", "units"), CASES)
def test_fuel_counts_are_the_same_in_both_engines(
    name: str, args: tuple, result: int, units: int
) -> None:
    counts = []
    for engine in ENGINES:
        with Runtime(RuntimeConfig(engine=engine, fuel=10**6)) as rt:
            mod = rt.instantiate(PROGRAM)
            mod.exported_function(name)(*args)
            counts.append(mod.fuel.consumed)
    assert counts[0] == counts[1] == units


@pytest.mark.parametrize("engine", ENGINES)
def test_running_out_of_fuel_traps_and_refilling_continues(engine: str) -> None:
    with Runtime(RuntimeConfig(engine=engine, fuel=1000)) as rt:
        mod = rt.instantiate(PROGRAM)
        with pytest.raises(Trap) as e:
            mod.exported_function("spin")()
        assert e.value.kind is TrapKind.OUT_OF_FUEL
        assert mod.fuel.remaining == 0
        with pytest.raises(Trap) as e:
            mod.exported_function("count")(1)
        assert e.value.kind is TrapKind.OUT_OF_FUEL
        mod.fuel.set(11)  # exactly enough for count(10)
        assert mod.exported_function("count")(10) == 10
        assert mod.fuel.remaining == 0
        mod.fuel.add(5)
        assert mod.fuel.remaining == 5
        with pytest.raises(Trap) as e:
            mod.exported_function("count")(10)  # needs 11
        assert e.value.kind is TrapKind.OUT_OF_FUEL


@pytest.mark.parametrize("engine", ENGINES)
def test_fuel_stops_recursion_without_end(engine: str) -> None:
    wasm = wasmtime.wat2wasm('(module (func $r (export "r") (call $r)))')
    with Runtime(RuntimeConfig(engine=engine, fuel=100)) as rt:
        mod = rt.instantiate(wasm)
        with pytest.raises(Trap) as e:
            mod.exported_function("r")()
        assert e.value.kind is TrapKind.OUT_OF_FUEL


def test_without_fuel_there_is_no_meter() -> None:
    with Runtime() as rt:
        assert rt.instantiate(PROGRAM).fuel is None


def test_fuel_config_is_checked() -> None:
    for bad in (-1, True, 1.5):
        with pytest.raises(ValueError, match="fuel"):
            RuntimeConfig(fuel=bad)
    with Runtime(RuntimeConfig(fuel=5)) as rt:
        mod = rt.instantiate(PROGRAM)
        with pytest.raises(ValueError, match="fuel"):
            mod.fuel.set(-2)


def test_translated_code_charges_only_with_fuel() -> None:
    from wasmzero.internal.binary.decoder import decode_module

    module = decode_module(PROGRAM)
    plain = ModuleContext.of(module)
    fuel = ModuleContext.of(module, TranslateOptions(fuel=True))
    for index in range(len(module.codes)):
        without = translate_function(plain, index)
        with_fuel = translate_function(fuel, index)
        assert "_FU" not in without
        assert with_fuel != without
        assert with_fuel.count("_FU[0] -= 1") >= 1


def test_the_cache_key_says_whether_code_charges_fuel() -> None:
    cache = CompilationCache()
    with Runtime(RuntimeConfig(compilation_cache=cache, fuel=100)) as rt:
        fueled = rt.compile_module(PROGRAM)
    with Runtime(RuntimeConfig(compilation_cache=cache)) as rt:
        plain = rt.compile_module(PROGRAM)
        mod = rt.instantiate_module(plain)
        # the plain runtime does not reuse the fuel-charging code
        assert plain._code is not fueled._code
        assert mod.exported_function("spin") is not None
        assert mod.exported_function("count")(3) == 3


def test_cli_run_fuel_stops_an_endless_loop(tmp_path) -> None:
    path = tmp_path / "loop.wasm"
    path.write_bytes(wasmtime.wat2wasm('(module (func (export "_start") (loop $l (br $l))))'))
    out = subprocess.run(
        [sys.executable, "-m", "wasmzero", "run", "--fuel", "1000", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "out of fuel" in out.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "wasmzero", "run", "--fuel", "-3", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "invalid fuel" in bad.stderr


@pytest.mark.parametrize("engine", ENGINES)
def test_fuel_code_round_trips_through_a_disk_cache(engine: str, tmp_path) -> None:
    for _ in range(2):  # the second runtime reads the translations back
        cache = CompilationCache(tmp_path)
        with Runtime(RuntimeConfig(engine=engine, compilation_cache=cache, fuel=100)) as rt:
            mod = rt.instantiate(PROGRAM)
            assert mod.exported_function("count")(10) == 10
            assert mod.fuel.consumed == 11
            with pytest.raises(Trap) as e:
                mod.exported_function("spin")()
            assert e.value.kind is TrapKind.OUT_OF_FUEL
    cache = CompilationCache(tmp_path)
    with Runtime(RuntimeConfig(engine=engine, compilation_cache=cache)) as rt:
        mod = rt.instantiate(PROGRAM)  # no fuel: its own entry, no charges
        assert mod.fuel is None
        assert mod.exported_function("count")(10) == 10


@pytest.mark.parametrize("engine", ENGINES)
def test_each_instance_has_its_own_meter(engine: str) -> None:
    with Runtime(RuntimeConfig(engine=engine, fuel=100)) as rt:
        a = rt.instantiate(PROGRAM)
        b = rt.instantiate(PROGRAM)
        a.exported_function("count")(20)
        assert a.fuel.consumed == 21
        assert b.fuel.consumed == 0


def _run_wasi(wasm: bytes, engine: str, args: list[str]) -> tuple[int, bytes]:
    """Run a WASI command with fuel: (units consumed, its stdout)."""
    with Runtime(RuntimeConfig(engine=engine, fuel=10**12)) as rt:
        wasi.instantiate(rt)
        out = io.BytesIO()
        config = ModuleConfig(stdout=out, args=args, start_functions=())
        mod = rt.instantiate(wasm, config)
        try:
            mod.exported_function("_start")()
        except ExitError as e:
            assert e.exit_code == 0
        return mod.fuel.consumed, out.getvalue()


def test_a_c_program_uses_the_same_fuel_in_both_engines() -> None:
    # Its strlen loop is one the compiler turns into bytearray.find without
    # fuel: with fuel it stays a loop, charged per iteration.
    wasm = (Path(__file__).parent.parent / "examples" / "hello.wasm").read_bytes()
    results = [_run_wasi(wasm, engine, ["hello", "1", "2", "39"]) for engine in ENGINES]
    assert results[0] == results[1]
    assert results[0][0] > 0 and results[0][1]


CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "wasm"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/bench")
@pytest.mark.parametrize(
    ("name", "arg"),
    [("fib", "18"), ("sieve", "5000"), ("strings", "300"), ("vm", "50"), ("sha256", "4")],
)
def test_corpus_programs_use_the_same_fuel_in_both_engines(name: str, arg: str) -> None:
    wasm = (CORPUS / f"{name}.wasm").read_bytes()
    results = [_run_wasi(wasm, engine, [name, arg]) for engine in ENGINES]
    assert results[0] == results[1]
    assert results[0][0] > 0 and results[0][1]
