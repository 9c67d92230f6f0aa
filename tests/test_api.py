"""The embedding API: runtime, compiled modules, definitions, module config,
host modules, functions, memory, globals, tables and the compilation cache."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import wasmtime

from wasmzero import (
    CompilationCache,
    ExitError,
    InstantiationError,
    LinkError,
    Module,
    ModuleConfig,
    Runtime,
    RuntimeConfig,
    Trap,
    TrapKind,
    f64,
    i32,
    i64,
)

ROOT = Path(__file__).resolve().parent.parent


def wat(text: str) -> bytes:
    return wasmtime.wat2wasm(text)


ADD = wat(
    """
(module $calc
  (import "env" "abort" (func $abort (param $code i32)))
  (import "env" "mem" (memory 1 2))
  (func $add (export "add") (export "plus") (param $a i32) (param $b i32) (result i32)
    (i32.add (local.get $a) (local.get $b)))
  (func (export "pair") (param i64) (result i64 i64)
    (local.get 0) (i64.const 1) (i64.add) (local.get 0))
  (func (export "fail") (call $abort (i32.const 7)))
  (@custom "meta" "hello"))
"""
)


def env(rt: Runtime, abort=None) -> Module:
    def default_abort(code: i32) -> None:
        raise RuntimeError(f"abort {code}")

    return (
        rt.host_module("env")
        .function("abort", abort or default_abort)
        .memory("mem", 1, 2)
        .instantiate()
    )


# -- runtime and instances -------------------------------------------------------


def test_context_manager_closes_everything() -> None:
    with Runtime() as rt:
        env(rt)
        mod = rt.instantiate(ADD, ModuleConfig(name="calc"))
        add = mod.exported_function("add")
        assert add(1, 2) == 3
    assert mod.is_closed
    with pytest.raises(ExitError) as e:
        add(1, 2)
    assert e.value.exit_code == 0


def test_names_are_unique_and_anonymous_instances_repeat() -> None:
    with Runtime() as rt:
        env(rt)
        compiled = rt.compile_module(ADD)
        rt.instantiate_module(compiled, ModuleConfig(name="x"))
        with pytest.raises(InstantiationError, match="already been instantiated"):
            rt.instantiate_module(compiled, ModuleConfig(name="x"))
        mods = [rt.instantiate_module(compiled, ModuleConfig()) for _ in range(3)]
        # Unnamed instances take the name section's module name (as wazero's
        # do), or "" without one; they are not registered for imports.
        assert all(m.name == (compiled.name or "") for m in mods)
        assert all(m._inst.name == "" for m in mods)
        assert rt.module("x") is not None and rt.module("nope") is None


def test_close_with_exit_code_frees_the_name() -> None:
    with Runtime() as rt:
        env(rt)
        compiled = rt.compile_module(ADD)
        mod = rt.instantiate_module(compiled, ModuleConfig(name="x"))
        mod.close(3)
        assert mod.is_closed and mod.exit_code == 3
        with pytest.raises(ExitError) as e:
            mod.exported_function("add")(1, 2)
        assert e.value.exit_code == 3
        rt.instantiate_module(compiled, ModuleConfig(name="x"))  # the name is free again


def test_runtime_close_with_exit_code() -> None:
    rt = Runtime()
    env(rt)
    mod = rt.instantiate(ADD)
    rt.close(2)
    assert mod.exit_code == 2


def test_missing_import_is_a_link_error_naming_it() -> None:
    with Runtime() as rt, pytest.raises(LinkError) as e:
        rt.instantiate(ADD)
    assert e.value.module == "env" and e.value.name == "abort"


# -- definitions -------------------------------------------------------------------


def test_compiled_module_definitions() -> None:
    with Runtime() as rt:
        compiled = rt.compile_module(ADD)
        assert compiled.name == "calc"
        (imp,) = compiled.imported_functions
        assert imp.import_ == ("env", "abort")
        assert imp.debug_name == "env.abort"
        assert imp.param_types == ("i32",)
        exports = compiled.exported_functions
        assert list(exports) == ["add", "plus", "pair", "fail"]
        add = exports["add"]
        assert add is exports["plus"]
        assert add.export_names == ("add", "plus")
        assert add.index == 1 and add.import_ is None
        assert add.name == "add" and add.debug_name == "calc.add"
        assert add.param_names == ("a", "b") and add.result_types == ("i32",)
        assert exports["pair"].result_types == ("i64", "i64")
        assert exports["pair"].debug_name == "calc.$2"
        (mem,) = compiled.imported_memories
        assert (mem.min_pages, mem.max_pages, mem.import_) == (1, 2, ("env", "mem"))
        assert compiled.exported_memories == {}


def test_custom_sections_are_kept_only_when_asked() -> None:
    with Runtime() as rt:
        assert rt.compile_module(ADD).custom_sections == {}
    with Runtime(RuntimeConfig(custom_sections=True)) as rt:
        assert rt.compile_module(ADD).custom_sections["meta"] == b"hello"


# -- functions ---------------------------------------------------------------------


def test_function_call_conventions() -> None:
    with Runtime() as rt:
        env(rt)
        mod = rt.instantiate(ADD)
        add = mod.exported_function("add")
        assert add(-1, 0) == -1  # signed result
        assert add(0xFFFFFFFF, 2) == 1  # unsigned argument accepted
        assert mod.exported_function("pair")(5) == (6, 5)
        assert add.call_with_stack([0xFFFFFFFF, 0]) == [0xFFFFFFFF]
        with pytest.raises(TypeError, match=r"\(i32, i32\)"):
            add(1)
        with pytest.raises(TypeError):
            add(1, "x")
        with pytest.raises(TypeError):
            add(1, 1 << 40)
        assert add.definition.name == "add"
        assert mod.exported_function("nope") is None


# -- host modules ------------------------------------------------------------------


def test_host_exception_propagates_and_runtime_stays_usable() -> None:
    with Runtime() as rt:
        env(rt)
        mod = rt.instantiate(ADD)
        with pytest.raises(RuntimeError, match="abort 7"):
            mod.exported_function("fail")()
        assert mod.exported_function("add")(2, 2) == 4


def test_host_function_types_names_and_multiple_results() -> None:
    def divmod_(a: i64, b: i64) -> tuple[i64, i64]:
        return a // b, a % b

    def scale(x: f64) -> f64:
        return x * 2

    code = wat(
        """
(module
  (import "m" "divmod" (func $d (param i64 i64) (result i64 i64)))
  (import "m" "scale" (func $s (param f64) (result f64)))
  (func (export "q") (param i64 i64) (result i64) (call $d (local.get 0) (local.get 1)) drop)
  (func (export "s") (param f64) (result f64) (call $s (local.get 0))))
"""
    )
    with Runtime() as rt:
        host = (
            rt.host_module("m")
            .function("divmod", divmod_, result_names=("q", "r"))
            .function("scale", scale)
            .instantiate()
        )
        d = host.exported_functions["divmod"]
        assert d.param_names == ("a", "b") and d.result_names == ("q", "r")
        assert d.is_host and d.debug_name == "m.divmod"
        mod = rt.instantiate(code)
        assert mod.exported_function("q")(17, 5) == 3
        assert mod.exported_function("s")(1.25) == 2.5


def test_raw_host_function_with_caller() -> None:
    seen = []

    def raw(caller: Module, stack: list) -> list:
        seen.append(caller.memory.read(0, 2))
        return [stack[0] + 1]

    code = wat(
        """
(module
  (import "m" "inc" (func $inc (param i32) (result i32)))
  (memory 1) (data (i32.const 0) "ok")
  (func (export "f") (result i32) (call $inc (i32.const 41))))
"""
    )
    with Runtime() as rt:
        rt.host_module("m").function(
            "inc", raw, params=["i32"], results=["i32"], raw=True
        ).instantiate()
        assert rt.instantiate(code).exported_function("f")() == 42
    assert seen == [b"ok"]


def test_host_function_may_close_its_caller_with_an_exit_code() -> None:
    def stop(caller: Module, code: i32) -> None:
        caller.close(code)
        raise ExitError(code)

    code = wat(
        """
(module
  (import "m" "stop" (func $stop (param i32)))
  (func (export "run") (call $stop (i32.const 9)) unreachable))
"""
    )
    with Runtime() as rt:
        rt.host_module("m").function("stop", stop).instantiate()
        mod = rt.instantiate(code)
        with pytest.raises(ExitError) as e:
            mod.exported_function("run")()
        assert e.value.exit_code == 9 and mod.is_closed


# -- module config -----------------------------------------------------------------


def test_module_config_rejects_bad_values_at_instantiation() -> None:
    with Runtime() as rt:
        env(rt)
        compiled = rt.compile_module(ADD)
        with pytest.raises(ValueError, match="NUL"):
            rt.instantiate_module(compiled, ModuleConfig(args=("a\0b",)))
        with pytest.raises(ValueError, match="environment key"):
            rt.instantiate_module(compiled, ModuleConfig(env={"A=B": "c"}))


def test_module_config_defaults_are_sandboxed_and_switchable() -> None:
    from wasmzero.internal.sys import SysContext

    s = SysContext(ModuleConfig(env={"B": "2", "A": "1"}, stdout=io.BytesIO()))
    assert s.environ == [b"B=2", b"A=1"]  # order kept
    assert s.walltime() == 1640995200_001_000_000
    assert s.nanotime() == 1_000_000 and s.nanotime() == 2_000_000
    assert s.random(4) == SysContext(ModuleConfig()).random(4)  # deterministic
    real = SysContext(ModuleConfig().with_sys())
    assert abs(real.walltime() / 1e9 - __import__("time").time()) < 60
    assert real.random(16) != real.random(16)


# -- memory, globals, tables -------------------------------------------------------

STATE = wat(
    """
(module
  (memory (export "mem") 1 3)
  (global (export "g") (mut i64) (i64.const -5))
  (global (export "k") f64 (f64.const 1.5))
  (table (export "t") 2 funcref)
  (func $f (export "f") (result i32) (i32.const 11))
  (elem (i32.const 0) $f))
"""
)


def test_memory_access() -> None:
    with Runtime() as rt:
        mod = rt.instantiate(STATE)
        mem = mod.exported_memory("mem")
        assert mem is mod.memory or mem.size == mod.memory.size
        assert (mem.size, mem.pages) == (65536, 1)
        mem.write_u32(4, 0xDEADBEEF)
        assert mem.read_u32(4) == 0xDEADBEEF and mem.read_i32(4) == -559038737
        assert mem.read(4, 4) == bytes.fromhex("efbeadde")
        mem.write_i64(8, -2)
        assert mem.read_u64(8) == 2**64 - 2
        mem.write_f32(16, 0.5)
        assert mem.read_f32(16) == 0.5 and mem.read_u16(18) == 0x3F00 and mem.read_u8(19) == 0x3F
        with pytest.raises(IndexError):
            mem.read_u32(65534)
        with pytest.raises(IndexError):
            mem.write(65535, b"ab")
        with pytest.raises(ValueError):
            mem.write_u8(0, 256)
        with mem.view() as v:
            assert v[4] == 0xEF
            assert mem.grow(1) == -1  # a live view pins the size
        assert mem.grow(2) == 1 and mem.pages == 3
        assert mem.grow(1) == -1  # beyond the declared max


def test_globals_and_tables() -> None:
    with Runtime() as rt:
        mod = rt.instantiate(STATE)
        g = mod.exported_global("g")
        assert (g.type, g.mutable, g.value) == ("i64", True, -5)
        g.value = 7
        assert g.value == 7 and g.get_raw() == 7
        k = mod.exported_global("k")
        assert k.value == 1.5
        with pytest.raises(AttributeError):
            k.value = 2.0
        t = mod.exported_table("t")
        assert t.size == 2 and t.elem_type == "funcref"
        f = t.get(0)
        assert f() == 11 and t.get(1) is None
        t.set(1, f)
        assert t.get(1)() == 11
        assert t.grow(3) == 2 and t.size == 5
        with pytest.raises(IndexError):
            t.get(5)
        with pytest.raises(TypeError):
            t.set(0, 42)


# -- traps -------------------------------------------------------------------------


def test_trap_has_stack_trace_and_runtime_stays_usable() -> None:
    code = wat(
        """
(module $m
  (func $inner (i32.div_u (i32.const 1) (i32.const 0)) drop)
  (func $outer (export "outer") (call $inner))
  (func (export "ok") (result i32) (i32.const 1)))
"""
    )
    with Runtime() as rt:
        mod = rt.instantiate(code)
        with pytest.raises(Trap) as e:
            mod.exported_function("outer")()
        assert e.value.kind is TrapKind.INTEGER_DIVIDE_BY_ZERO
        assert e.value.wasm_stack == ["m.inner", "m.outer"]
        assert "wasm stack trace:\n\tm.inner\n\tm.outer" in str(e.value)
        assert mod.exported_function("ok")() == 1


# -- compilation cache -------------------------------------------------------------


def test_memory_cache_is_shared_between_runtimes() -> None:
    cache = CompilationCache()
    config = RuntimeConfig(engine="compiler", compilation_cache=cache)
    with Runtime(config) as a, Runtime(config) as b:
        ca = a.compile_module(STATE)
        a.instantiate_module(ca).exported_function("f")()
        cb = b.compile_module(STATE)
        b.instantiate_module(cb).exported_function("f")()
        assert ca._code is cb._code
        assert ca._code.translations == 1


SECOND_PROCESS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from wasmzero import CompilationCache, Runtime, RuntimeConfig
    cache = CompilationCache(directory=sys.argv[1])
    with Runtime(RuntimeConfig(engine="compiler", compilation_cache=cache)) as rt:
        compiled = rt.compile_module(Path(sys.argv[2]).read_bytes())
        print(rt.instantiate_module(compiled).exported_function("f")(), compiled._code.translations)
    """
)


def test_disk_cache_second_process_translates_nothing(tmp_path: Path) -> None:
    wasm = tmp_path / "m.wasm"
    wasm.write_bytes(STATE)
    cache_dir = tmp_path / "cache"

    def run() -> str:
        out = subprocess.run(
            [sys.executable, "-c", SECOND_PROCESS, str(cache_dir), str(wasm)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.split()

    assert run() == ["11", "1"]  # first process translates
    assert run() == ["11", "0"]  # second reuses
    assert os.stat(cache_dir).st_mode & 0o777 == 0o700
    (entry,) = cache_dir.iterdir()
    for damage in (entry.read_bytes()[:40], b"garbage", entry.read_bytes()[:-1] + b"\0"):
        entry.write_bytes(damage)
        assert run() == ["11", "1"]  # ignored and replaced
    assert run() == ["11", "0"]


def test_huge_declared_table_fails_cleanly() -> None:
    with Runtime() as rt:
        with pytest.raises(InstantiationError, match="table minimum"):
            rt.instantiate(wat("(module (table 4294967295 funcref))"))
        # the runtime stays usable
        assert rt.instantiate(wat("(module (table 1 funcref))")) is not None


def test_configs_are_read_only_and_replace_derives_variants() -> None:
    cfg = ModuleConfig(name="a", args=["p", "x"], env={"K": "V"})
    assert cfg.args == ("p", "x") and cfg.env == (("K", "V"),)
    other = cfg.replace(name="b")
    assert (other.name, other.args, cfg.name) == ("b", ("p", "x"), "a")
    assert other != cfg and cfg.replace(name="b") == other
    with pytest.raises(AttributeError):
        cfg.name = "c"  # type: ignore[misc]
    with pytest.raises(TypeError):
        cfg.replace(nmae="typo")
    with pytest.raises(ValueError):
        RuntimeConfig().replace(memory_limit_pages=70000)
    assert "name='a'" in repr(cfg)
