"""C++ exceptions lowered through invoke_* (Emscripten's JavaScript
exception runtime) with a C++ program built by Emscripten 3.1.6
(testdata/exceptions.cpp, testdata/build.sh), on both engines: throw and
catch across frames, rethrow, catch by base class, by pointer, catch(...),
destructors run while unwinding, an uncaught exception; and the parts of
the runtime a toolchain would not exercise (bad imports, hostile type
names, a missing export).

The expected outputs are what the program prints under node with the
JavaScript file Emscripten emits beside the .wasm."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from wasmzero import LinkError, ModuleConfig, Runtime, RuntimeConfig, Trap
from wasmzero.imports import emscripten
from wasmzero.imports import wasi_snapshot_preview1 as wasi

DATA = Path(__file__).parent / "testdata"
EXCEPTIONS = (DATA / "exceptions.wasm").read_bytes()
ENGINES = ["compiler", "interpreter", "native"]


def _run(engine: str, *args: str) -> tuple[int, str]:
    out = io.BytesIO()
    with Runtime(RuntimeConfig(engine=engine)) as rt:
        wasi.instantiate(rt)
        compiled = rt.compile_module(EXCEPTIONS)
        emscripten.instantiate_for_module(rt, compiled)
        mod = rt.instantiate_module(compiled, ModuleConfig(args=("exceptions", *args), stdout=out))
        status = emscripten.call_main(mod)
    return status, out.getvalue().decode()


@pytest.mark.parametrize("engine", ENGINES)
def test_throw_and_catch_across_frames(engine: str) -> None:
    # Per round: Derived(3) thrown 5 frames down, caught as const Base&
    # (301); runtime_error caught as std::exception (-4); catch(...) (7);
    # a pointer caught as Base* (6); a catch that throws another type (11);
    # a rethrow caught by the caller (rethrown 5). Destructors: 1049.
    assert _run(engine) == (0, "total 321 rethrown 5 destroyed 1049 depth 5 uncaught 0\n")
    assert _run(engine, "40") == (
        0,
        "total 12840 rethrown 200 destroyed 41960 depth 5 uncaught 0\n",
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_an_uncaught_exception_is_a_clear_trap(engine: str) -> None:
    out = io.BytesIO()
    with Runtime(RuntimeConfig(engine=engine)) as rt:
        wasi.instantiate(rt)
        compiled = rt.compile_module(EXCEPTIONS)
        emscripten.instantiate_for_module(rt, compiled)
        mod = rt.instantiate_module(compiled, ModuleConfig(stdout=out))
        with pytest.raises(
            emscripten.CppException, match=r"uncaught C\+\+ exception of type 7Derived"
        ):
            emscripten.call_main(mod, ["exceptions", "uncaught"])
        assert out.getvalue() == b"about to throw\n"
        # The instance is still usable: the exceptions after it are caught.
        # As under Emscripten's JavaScript runtime, the escaped one stays
        # counted as uncaught (so nested() answers -1, not 11), and the
        # destructors of the 4 frames it left ran (6 more).
        assert emscripten.call_main(mod, ["exceptions", "2"]) == 0
        assert out.getvalue() == (
            b"about to throw\ntotal 618 rethrown 10 destroyed 2104 depth 5 uncaught 1\n"
        )


def test_call_main_takes_the_config_args_or_its_own() -> None:
    assert _run("compiler", "2")[1].startswith("total 642 ")
    out = io.BytesIO()
    with Runtime() as rt:
        wasi.instantiate(rt)
        compiled = rt.compile_module(EXCEPTIONS)
        emscripten.instantiate_for_module(rt, compiled)
        mod = rt.instantiate_module(compiled, ModuleConfig(args=("x", "9"), stdout=out))
        assert emscripten.call_main(mod, ["x", b"2"]) == 0
        assert out.getvalue().startswith(b"total 642 ")


def test_cli_runs_main_of_an_emscripten_program() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "wasmzero", "run", "--no-cache", str(DATA / "exceptions.wasm"), "2"],
        capture_output=True,
        timeout=120,
    )
    assert (r.returncode, r.stdout) == (
        0,
        b"total 642 rethrown 10 destroyed 2098 depth 5 uncaught 0\n",
    )
    r = subprocess.run(
        [sys.executable, "-m", "wasmzero", "run", "--no-cache", str(DATA / "exceptions.wasm")]
        + ["uncaught"],
        capture_output=True,
        timeout=120,
    )
    assert r.returncode != 0 and r.stdout == b"about to throw\n"
    assert b"uncaught C++ exception of type 7Derived" in r.stderr
    assert b"Traceback" not in r.stderr


def _wat(body: str) -> bytes:
    return wasmtime.wat2wasm(f"(module {body})")


# The exports library_exceptions.js calls, trivially: malloc is a bump
# allocator from 1024.
_RUNTIME = """
  (memory (export "memory") 1)
  (global $brk (mut i32) (i32.const 1024))
  (func (export "malloc") (param i32) (result i32) (local $p i32)
    (local.set $p (global.get $brk))
    (global.set $brk (i32.add (global.get $brk) (i32.and (i32.add (local.get 0) (i32.const 15))
      (i32.const -16))))
    (local.get $p))
  (func (export "free") (param i32))
  (func (export "__cxa_can_catch") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "__cxa_is_pointer_type") (param i32) (result i32) (i32.const 0))
  (func (export "setThrew") (param i32 i32))
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_hostile_type_name_is_escaped(engine: str) -> None:
    # type_info at 100: vtable 0, name at 200 holding a newline and an ANSI escape.
    wasm = _wat(
        '(import "env" "__cxa_allocate_exception" (func $alloc (param i32) (result i32)))'
        '(import "env" "__cxa_throw" (func $throw (param i32 i32 i32)))'
        + _RUNTIME
        + '(data (i32.const 100) "\\00\\00\\00\\00\\c8\\00\\00\\00")'
        '(data (i32.const 200) "Evil\\0a\\1b[31m\\00")'
        '(func (export "run") (call $throw (call $alloc (i32.const 4)) (i32.const 100) (i32.const 0)))'
    )
    with Runtime(RuntimeConfig(engine=engine)) as rt:
        compiled = rt.compile_module(wasm)
        emscripten.instantiate_for_module(rt, compiled)
        mod = rt.instantiate_module(compiled)
        with pytest.raises(emscripten.CppException) as e:
            mod.exported_function("run")()
        assert e.value.type_name == "Evil\\n\\x1b[31m"
        assert "\n\x1b" not in str(e.value)


def test_the_exports_it_needs_are_missing_is_a_clear_trap() -> None:
    wasm = _wat(
        '(import "env" "__cxa_allocate_exception" (func $alloc (param i32) (result i32)))'
        '(memory 1) (func (export "run") (drop (call $alloc (i32.const 4))))'
    )
    with Runtime() as rt:
        compiled = rt.compile_module(wasm)
        emscripten.instantiate_for_module(rt, compiled)
        mod = rt.instantiate_module(compiled)
        with pytest.raises(Trap, match="does not export malloc, free, __cxa_can_catch"):
            mod.exported_function("run")()


@pytest.mark.parametrize("engine", ENGINES)
def test_rethrow_and_end_catch_without_a_catch_trap(engine: str) -> None:
    wasm = _wat(
        '(import "env" "__cxa_rethrow" (func $rethrow))'
        '(import "env" "__cxa_end_catch" (func $end))'
        + _RUNTIME
        + '(func (export "rethrow") (call $rethrow)) (func (export "end") (call $end))'
    )
    with Runtime(RuntimeConfig(engine=engine)) as rt:
        compiled = rt.compile_module(wasm)
        emscripten.instantiate_for_module(rt, compiled)
        mod = rt.instantiate_module(compiled)
        with pytest.raises(Trap, match="no exception to rethrow"):
            mod.exported_function("rethrow")()
        with pytest.raises(Trap, match="outside a catch"):
            mod.exported_function("end")()


def test_a_bad_find_matching_catch_is_a_link_error() -> None:
    with Runtime() as rt:
        for decl in (
            "(param i32) (result i32)",  # _4 takes two types
            "(param f64 i32) (result i32)",
            "(param i32 i32)",
        ):
            bad = rt.compile_module(
                _wat(f'(import "env" "__cxa_find_matching_catch_4" (func {decl}))')
            )
            with pytest.raises(LinkError, match="not an Emscripten catch-clause matcher"):
                emscripten.instantiate_for_module(rt, bad)


@pytest.mark.parametrize("engine", ENGINES)
def test_memcpy_big_resize_heap_and_abort(engine: str) -> None:
    wasm = _wat(
        '(import "env" "emscripten_memcpy_big" (func $cpy (param i32 i32 i32) (result i32)))'
        '(import "env" "emscripten_resize_heap" (func $resize (param i32) (result i32)))'
        '(import "env" "abort" (func $abort))'
        '(memory (export "memory") 1 4) (data (i32.const 8) "abcdef")'
        '(func (export "cpy") (param i32 i32 i32) (result i32)'
        "  (call $cpy (local.get 0) (local.get 1) (local.get 2)))"
        '(func (export "resize") (param i32) (result i32) (call $resize (local.get 0)))'
        '(func (export "size") (result i32) (memory.size))'
        '(func (export "abort") (call $abort))'
    )
    with Runtime(RuntimeConfig(engine=engine)) as rt:
        compiled = rt.compile_module(wasm)
        emscripten.instantiate_for_module(rt, compiled)
        mod = rt.instantiate_module(compiled)
        fn = mod.exported_function
        assert fn("cpy")(100, 8, 6) == 100
        assert mod.memory.read(100, 6) == b"abcdef"
        with pytest.raises(Trap, match="out of bounds"):
            fn("cpy")(65530, 8, 7)
        assert fn("resize")(65537) == 1 and fn("size")() == 2
        assert fn("resize")(1000) == 1 and fn("size")() == 2
        assert fn("resize")(5 * 65536) == 0 and fn("size")() == 2  # past the maximum
        with pytest.raises(Trap, match=r"called abort\(\)"):
            fn("abort")()


@pytest.mark.parametrize("threshold", [1, 3, None])
def test_exceptions_while_functions_tier_up(threshold: int | None) -> None:
    # The trampolines and the exception runtime call the module's functions
    # (stackSave, malloc, __cxa_can_catch, ...) while they change from lazy
    # stubs to interpreted to translated code.
    out = io.BytesIO()
    with Runtime(RuntimeConfig(tier_threshold=threshold)) as rt:
        wasi.instantiate(rt)
        compiled = rt.compile_module(EXCEPTIONS)
        emscripten.instantiate_for_module(rt, compiled)
        mod = rt.instantiate_module(compiled, ModuleConfig(stdout=out))
        assert emscripten.call_main(mod, ["exceptions", "5"]) == 0
    assert out.getvalue() == b"total 1605 rethrown 25 destroyed 5245 depth 5 uncaught 0\n"


@pytest.mark.parametrize("engine", ENGINES)
def test_hostile_pointers_are_traps(engine: str) -> None:
    wasm = _wat(
        '(import "env" "__cxa_throw" (func $throw (param i32 i32 i32)))'
        '(import "env" "__cxa_begin_catch" (func $begin (param i32) (result i32)))'
        '(import "env" "__cxa_decrement_exception_refcount" (func $dec (param i32)))'
        + _RUNTIME
        + '(func (export "throw") (param i32) (call $throw (local.get 0) (i32.const 0) (i32.const 0)))'
        '(func (export "begin") (param i32) (result i32) (call $begin (local.get 0)))'
        '(func (export "dec") (param i32) (call $dec (local.get 0)))'
    )
    with Runtime(RuntimeConfig(engine=engine)) as rt:
        compiled = rt.compile_module(wasm)
        emscripten.instantiate_for_module(rt, compiled)
        mod = rt.instantiate_module(compiled)
        fn = mod.exported_function
        for name, arg in (("throw", 4), ("throw", 0xFFFFFFF0), ("begin", 0xFFFFFFFE), ("dec", 8)):
            with pytest.raises(Trap, match="out of bounds memory access"):
                fn(name)(arg)
        # A refcount reaching 0 calls the destructor at table index 77: none.
        mod.memory.write(
            2000 - 16, (1).to_bytes(4, "little") + bytes(4) + (77).to_bytes(4, "little")
        )
        with pytest.raises(Trap, match="undefined element"):
            fn("dec")(2000)
