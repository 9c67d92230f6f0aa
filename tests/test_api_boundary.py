"""The embedding API's edges (issue 21): values crossing into wasm are
checked and wrapped, a closed runtime refuses work, instances are named from
the name section, host function types say what to write, raw host functions
are checked at the boundary, and wrappers are made once."""

from __future__ import annotations

import pytest
import wasmtime

from wasmzero import ExitError, Runtime, i32

ENGINES = ["compiler", "interpreter", "native"]


def wat(text: str) -> bytes:
    return wasmtime.wat2wasm(text)


GLOBALS = wat(
    """(module $named
      (import "host" "g" (global $g i32))
      (import "host" "h" (global $h i64))
      (import "host" "call" (func $call (result i32)))
      (func (export "g") (result i32) (global.get $g))
      (func (export "h") (result i64) (global.get $h))
      (func (export "via_call") (result i32) (call $call))
      (global (export "mg") (mut i32) (i32.const 0))
      (table (export "t") 2 funcref)
      (elem (i32.const 0) func $f)
      (func $f (export "f") (result i32) (i32.const 7)))"""
)


def _host(rt: Runtime, g: object = -1, result: object = 5, raw_result: object = None):  # noqa: ANN202
    b = rt.host_module("host").global_("g", "i32", g).global_("h", "i64", -2)
    if raw_result is None:

        def call() -> i32:
            return result  # type: ignore[return-value]

        b.function("call", call)
    else:
        b.function("call", lambda stack: raw_result, [], ["i32"], raw=True)
    return b.instantiate()


@pytest.mark.parametrize("engine", ["compiler", "interpreter", "native"])
def test_host_values_are_checked_and_wrapped(engine: str) -> None:
    from wasmzero import RuntimeConfig

    with Runtime(RuntimeConfig(engine=engine)) as rt:
        _host(rt)
        mod = rt.instantiate(GLOBALS)
        assert mod.exported_function("g")() == -1  # not -4294967297
        assert mod.exported_function("h")() == -2
        assert mod.exported_global("mg").get_raw() == 0
        mg = mod.exported_global("mg")
        mg.value = -1
        assert mg.get_raw() == 0xFFFFFFFF and mg.value == -1
        with pytest.raises(TypeError, match="global 'mg'.*out of range"):
            mg.value = 1 << 32
        with pytest.raises(TypeError, match="global 'mg'"):
            mg.value = "3"
        mg.set_raw(5)
        assert mg.value == 5
        with pytest.raises(TypeError, match="global 'mg'.*raw i32"):
            mg.set_raw(-1)


def test_host_global_out_of_range_is_refused() -> None:
    with Runtime() as rt:
        with pytest.raises(TypeError, match="global 'g'.*out of range"):
            _host(rt, g=1 << 40)


@pytest.mark.parametrize("engine", ENGINES)
def test_host_results_are_checked(engine: str) -> None:
    from wasmzero import RuntimeConfig

    for bad, match in ((1 << 33, "out of range"), ("x", "expected an int")):
        with Runtime(RuntimeConfig(engine=engine)) as rt:
            _host(rt, result=bad)
            mod = rt.instantiate(GLOBALS)
            with pytest.raises(TypeError, match=f"host function call.*{match}"):
                mod.exported_function("via_call")()
    with Runtime(RuntimeConfig(engine=engine)) as rt:
        _host(rt, result=-3)
        assert rt.instantiate(GLOBALS).exported_function("via_call")() == -3


@pytest.mark.parametrize(
    "raw_result, match",
    [([], "returned 0 results"), ([1, 2], "returned 2 results"), ([-1], "raw i32"), (7, "")],
)
def test_raw_host_results_are_checked(raw_result: object, match: str) -> None:
    with Runtime() as rt:
        _host(rt, raw_result=raw_result)
        mod = rt.instantiate(GLOBALS)
        with pytest.raises(TypeError, match=f"raw host function <lambda> must return.*{match}"):
            mod.exported_function("via_call")()
    with Runtime() as rt:
        _host(rt, raw_result=[9])
        assert rt.instantiate(GLOBALS).exported_function("via_call")() == 9


def test_closed_runtime_refuses_work() -> None:
    rt = Runtime()
    _host(rt)
    compiled = rt.compile_module(GLOBALS)
    mod = rt.instantiate_module(compiled)
    rt.close(exit_code=3)
    assert rt.is_closed
    for action in (
        lambda: rt.compile_module(GLOBALS),
        lambda: rt.instantiate_module(compiled),
        lambda: rt.host_module("other"),
    ):
        with pytest.raises(ExitError, match=r"runtime closed with exit_code\(3\)") as e:
            action()
        assert e.value.exit_code == 3
    with pytest.raises(ExitError):
        mod.exported_function("f")()
    rt.close()  # closing again does nothing


def test_instance_named_from_the_name_section() -> None:
    with Runtime() as rt:
        _host(rt)
        compiled = rt.compile_module(GLOBALS)
        assert rt.instantiate_module(compiled).name == "named"
        from wasmzero import ModuleConfig

        assert rt.instantiate_module(compiled, ModuleConfig(name="mine")).name == "mine"


def test_python_int_annotation_says_what_to_write() -> None:
    def f(a: int) -> int:
        return a

    with Runtime() as rt, pytest.raises(TypeError, match=r"'int' in f: use wasmzero.i32.*i64"):
        rt.host_module("env").function("f", f)


def test_float_annotation_is_f64() -> None:
    def half(x: float) -> float:
        return x / 2

    with Runtime() as rt:
        rt.host_module("env").function("half", half).instantiate()
        mod = rt.instantiate(
            wat(
                """(module (import "env" "half" (func $h (param f64) (result f64)))
                (func (export "run") (param f64) (result f64) (call $h (local.get 0))))"""
            )
        )
        assert mod.exported_function("run")(3.0) == 1.5
        assert rt.module("env").exported_functions["half"].param_types == ("f64",)


def test_wrappers_are_made_once() -> None:
    with Runtime() as rt:
        _host(rt)
        mod = rt.instantiate(GLOBALS)
        assert mod.exported_function("f") is mod.exported_function("f")
        t = mod.exported_table("t")
        assert t.get(0) is t.get(0)
        assert t.get(0) is mod.exported_function("f")
        assert t.get(0)() == 7


TRAPS = wat(
    """(module $traps
      (func $inner (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
      (func $middle (export "middle") (param i32) (result i32) (call $inner (local.get 0)))
      (func (export "outer") (param i32) (result i32) (call $middle (local.get 0)))
      (func (export "unreachable") (unreachable))
      (memory 1)
      (func (export "oob") (result i32) (i32.load (i32.const 70000))))"""
)


def test_traps_carry_the_same_wasm_stack_in_both_engines() -> None:
    from wasmzero import RuntimeConfig, Trap

    stacks = {}
    for engine in ENGINES:
        with Runtime(RuntimeConfig(engine=engine)) as rt:
            mod = rt.instantiate(TRAPS)
            got = []
            for name, args in (("outer", (0,)), ("unreachable", ()), ("oob", ())):
                with pytest.raises(Trap) as e:
                    mod.exported_function(name)(*args)
                got.append((e.value.kind, e.value.wasm_stack))
            stacks[engine] = got
    assert stacks["interpreter"] == stacks["compiler"]
    assert stacks["compiler"][0][1] == ["traps.inner", "traps.middle", "traps.$2"]
