"""The Emscripten host module: setjmp/longjmp through invoke_* with a C
program built by Emscripten (testdata/sjlj.c, testdata/build.sh), on both
engines; bad imports and stray longjmps."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from wasmzero import ExitError, LinkError, ModuleConfig, Runtime, RuntimeConfig, Trap
from wasmzero.imports import emscripten
from wasmzero.imports import wasi_snapshot_preview1 as wasi

DATA = Path(__file__).parent / "testdata"
SJLJ = (DATA / "sjlj.wasm").read_bytes()
ENGINES = ["compiler", "interpreter", "native"]


def _run(engine: str, *args: str) -> str:
    out = io.BytesIO()
    with Runtime(RuntimeConfig(engine=engine)) as rt:
        wasi.instantiate(rt)
        compiled = rt.compile_module(SJLJ)
        emscripten.instantiate_for_module(rt, compiled)
        try:
            rt.instantiate_module(compiled, ModuleConfig(args=("sjlj", *args), stdout=out))
        except ExitError as e:
            assert e.exit_code == 0
        # After the jumps the runtime is still usable.
        assert rt.module("env") is not None
    return out.getvalue().decode()


@pytest.mark.parametrize("engine", ENGINES)
def test_setjmp_longjmp_nested_and_across_frames(engine: str) -> None:
    # Each round: an inner jump across 6 frames (41), then an outer one across 4 (40).
    assert _run(engine, "5") == "total 405 calls 50\n"
    assert _run(engine, "200") == "total 16200 calls 2000\n"


def test_functions_are_made_from_the_declared_signatures() -> None:
    with Runtime() as rt:
        compiled = rt.compile_module(SJLJ)
        env = emscripten.instantiate_for_module(rt, compiled)
        defs = env.exported_functions
        wanted = {d.import_[1] for d in compiled.imported_functions if d.import_[0] == "env"}
        assert wanted <= set(defs)
        for name in wanted:
            if name.startswith("invoke_"):
                d = defs[name]
                imp = next(i for i in compiled.imported_functions if i.import_[1] == name)
                assert (d.param_types, d.result_types) == (imp.param_types, imp.result_types)
                assert d.param_names[0] == "index"


def _wat(body: str) -> bytes:
    return wasmtime.wat2wasm(f"(module {body})")


def test_an_invoke_that_cannot_match_is_a_link_error() -> None:
    with Runtime() as rt:
        # invoke_vi calls (i32) -> (): no function of the module has that type.
        bad = rt.compile_module(
            _wat(
                '(import "env" "invoke_vi" (func (param i32 i32))) (func (result i32) i32.const 0)'
            )
        )
        with pytest.raises(LinkError, match="no function of the module has the type"):
            emscripten.instantiate_for_module(rt, bad)
        lying = rt.compile_module(
            _wat('(import "env" "invoke_ii" (func (param i32 i64) (result i32)))')
        )
        with pytest.raises(LinkError, match="its name says"):
            emscripten.instantiate_for_module(rt, lying)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_longjmp_with_no_invoke_frame_is_a_trap(engine: str) -> None:
    wasm = _wat(
        '(import "env" "_emscripten_throw_longjmp" (func $jump))(func (export "run") (call $jump))'
    )
    with Runtime(RuntimeConfig(engine=engine)) as rt:
        compiled = rt.compile_module(wasm)
        emscripten.instantiate_for_module(rt, compiled)
        mod = rt.instantiate_module(compiled)
        with pytest.raises(emscripten.LongjmpUnwind, match="no setjmp to return to"):
            mod.exported_function("run")()


def test_cli_provides_env_for_emscripten_programs() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "wasmzero", "run", "--no-cache", str(DATA / "sjlj.wasm"), "--", "2"],
        capture_output=True,
        timeout=120,
    )
    assert (r.returncode, r.stdout) == (0, b"total 162 calls 20\n"), r.stderr


_TRAMPOLINE = """
  (import "env" "invoke_ii" (func $inv (param i32 i32) (result i32)))
  (import "env" "_emscripten_throw_longjmp" (func $jmp))
  (table 3 funcref) (elem (i32.const 0) $rec $other)
  (global $sp (mut i32) (i32.const 0)) (global $threw (mut i32) (i32.const 0))
  (func $rec (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (call $jmp) (i32.const 7))
      (else (i32.add (i32.const 1)
        (call $inv (i32.const 0) (i32.sub (local.get 0) (i32.const 1)))))))
  (func $other (param i64) (result i32) (i32.const 0))
  (func (export "invoke") (param i32 i32) (result i32) (call $inv (local.get 0) (local.get 1)))
  (func (export "threw") (result i32) (global.get $threw))
  (func (export "stackSave") (result i32) (global.get $sp))
  (func (export "stackRestore") (param i32) (global.set $sp (local.get 0)))
  (func (export "setThrew") (param i32 i32) (global.set $threw (local.get 0)))
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_invoke_checks_the_table_entry_as_call_indirect(engine: str) -> None:
    with Runtime(RuntimeConfig(engine=engine)) as rt:
        compiled = rt.compile_module(_wat(_TRAMPOLINE))
        emscripten.instantiate_for_module(rt, compiled)
        invoke = rt.instantiate_module(compiled).exported_function("invoke")
        for index, kind in (
            (3, "undefined element"),
            (2, "uninitialized element"),
            (1, "indirect call type mismatch"),
        ):
            with pytest.raises(Trap, match=kind):
                invoke(index, 1)


@pytest.mark.parametrize("engine", ENGINES)
def test_deep_recursion_through_invoke_is_a_trap_not_a_crash(engine: str) -> None:
    # $rec calls itself through invoke_ii; at the bottom it longjmps, which
    # the innermost invoke_ii catches (0, plus one per level above it).
    with Runtime(RuntimeConfig(engine=engine)) as rt:
        compiled = rt.compile_module(_wat(_TRAMPOLINE))
        emscripten.instantiate_for_module(rt, compiled)
        mod = rt.instantiate_module(compiled)
        invoke = mod.exported_function("invoke")
        assert invoke(0, 1000) == 1000 and mod.exported_function("threw")() == 1
        with pytest.raises(Trap, match="call stack exhausted"):
            invoke(0, 1_000_000)
        assert invoke(0, 50) == 50  # still usable
