"""The native engine: results and traps match the compiler engine, and the
no-executable-memory path falls back with one warning. Native code runs in a
subprocess so that a crash is reported as a failure, not a dead test run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

wasmtime = pytest.importorskip("wasmtime")

WAT = """(module
 (func $fib (export "fib") (param i32) (result i32)
  (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
   (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                  (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
 (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
 (func (export "rem_s64") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
 (func (export "sum") (param i64) (result i64) (local i64)
   (block (loop (br_if 1 (i64.eqz (local.get 0)))
     (local.set 1 (i64.add (local.get 1) (local.get 0)))
     (local.set 0 (i64.sub (local.get 0) (i64.const 1))) (br 0)))
   (local.get 1))
 (func (export "bits") (param i32 i64) (result i32 i64 i32)
   (i32.clz (local.get 0)) (i64.popcnt (local.get 1)) (i32.ctz (local.get 0)))
 (func (export "sel") (param i32) (result i64)
   (block $b (result i64)
     (br_table 0 1 (i64.const 5) (local.get 0)) (drop) (i64.const 9)))
 (func (export "trap") unreachable)
 (func $r (export "rec") (call $r))
 (func (export "f") (param f64) (result f64) (local.get 0))
)"""

SCRIPT = """
import json, sys, warnings
import wasmtime
from wasmzero import Runtime, RuntimeConfig, Trap
b = wasmtime.wat2wasm(sys.argv[1])
out = {}
for eng in ("compiler", "native"):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        rt = Runtime(RuntimeConfig(engine=eng))
        m = rt.instantiate(b)
    res = []
    calls = [("fib", (20,)), ("div_s", (7, 0)), ("div_s", (0x80000000, 0xFFFFFFFF)),
             ("div_s", (0xFFFFFFF9, 2)), ("rem_s64", (1 << 63, (1 << 64) - 1)),
             ("rem_s64", (-7 % (1 << 64), 2)), ("sum", (100000,)), ("bits", (0, 0xFF)),
             ("bits", (0x100, 1 << 63)), ("sel", (0,)), ("sel", (1,)), ("sel", (7,)),
             ("trap", ()), ("rec", ()), ("f", (1.5,))]
    for name, args in calls:
        try:
            res.append(repr(m.exported_function(name)(*args)))
        except Trap as e:
            res.append(e.kind.name)
    out[eng] = {"results": res, "warnings": [str(x.message) for x in w]}
print(json.dumps(out))
"""


def run(env_extra: dict[str, str] | None = None) -> dict:
    env = dict(os.environ)
    env.update(env_extra or {})
    p = subprocess.run(
        [sys.executable, "-c", SCRIPT, WAT], capture_output=True, text=True, env=env, timeout=120
    )
    assert p.returncode == 0, f"native run crashed (rc={p.returncode}): {p.stderr[-2000:]}"
    import json

    return json.loads(p.stdout)


def test_native_matches_compiler() -> None:
    out = run()
    assert out["native"]["results"] == out["compiler"]["results"]
    assert out["native"]["warnings"] == []
    r = out["native"]["results"]
    assert r[0] == "6765"
    assert r[1:3] == ["INTEGER_DIVIDE_BY_ZERO", "INTEGER_OVERFLOW"]
    assert r[12:14] == ["UNREACHABLE", "CALL_STACK_EXHAUSTED"]


def test_no_executable_memory_falls_back_with_a_warning() -> None:
    out = run({"WASMZERO_NATIVE_DISABLE": "1"})
    assert out["native"]["results"] == out["compiler"]["results"]
    assert len(out["native"]["warnings"]) == 1
    assert "native engine unavailable" in out["native"]["warnings"][0]


def test_fallback_count() -> None:
    from wasmzero.internal.binary.decoder import decode_module
    from wasmzero.internal.engine.native import compile as nc

    module = decode_module(wasmtime.wat2wasm(WAT))
    native = nc.native_candidates(module)
    # Every function but the f64 one compiles natively (compiling runs nothing).
    assert len(module.codes) - len(native) == 1
    code, entry, offsets = nc.ModuleCompiler(module, native).compile()
    assert set(offsets) == native
    assert all(0 <= off < len(code) for off in offsets.values())
