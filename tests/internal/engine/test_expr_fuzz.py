"""Differential fuzzing of integer expressions: random trees of i32/i64
operations, translated by wasmzero and run by wasmtime, must agree.

The translator keeps chains of wrapping operations (add, sub, mul, shl,
bitwise, rotations) unwrapped until a consumer needs the exact value; this
explores which consumers see which forms.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wasmzero import Runtime, RuntimeConfig

wasmtime = pytest.importorskip("wasmtime")

_BIN = ["add", "sub", "mul", "shl", "shr_s", "shr_u", "rotl", "rotr", "and", "or", "xor"]
_CMP = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"]
_UN = ["clz", "ctz", "popcnt", "eqz"]


def _expr(r: random.Random, t: str, depth: int) -> str:
    if depth == 0 or r.random() < 0.2:
        if r.random() < 0.5:
            return f"(local.get {0 if t == 'i32' else 1})"
        bits = 32 if t == "i32" else 64
        k = r.choice(
            [
                0,
                1,
                2,
                3,
                31,
                32,
                63,
                (1 << (bits - 1)) - 1,
                1 << (bits - 1),
                -1,
                -2,
                r.getrandbits(bits),
            ]
        )
        k = k & ((1 << bits) - 1)
        if k >= 1 << (bits - 1):
            k -= 1 << bits
        return f"({t}.const {k})"
    c = r.random()
    if c < 0.6:
        op = r.choice(_BIN)
        return f"({t}.{op} {_expr(r, t, depth - 1)} {_expr(r, t, depth - 1)})"
    if c < 0.7:
        cmp = f"({t}.{r.choice(_CMP)} {_expr(r, t, depth - 1)} {_expr(r, t, depth - 1)})"
        return cmp if t == "i32" else f"(i64.extend_i32_u {cmp})"
    if c < 0.8:
        un = r.choice(_UN)
        inner = f"({t}.{un} {_expr(r, t, depth - 1)})"
        return f"(i64.extend_i32_u {inner})" if t == "i64" and un == "eqz" else inner
    if c < 0.9:
        if t == "i32":
            return f"(i32.wrap_i64 {_expr(r, 'i64', depth - 1)})"
        ext = r.choice(["i64.extend_i32_u", "i64.extend_i32_s"])
        return f"({ext} {_expr(r, 'i32', depth - 1)})"
    return (
        f"(select {_expr(r, t, depth - 1)} {_expr(r, t, depth - 1)} "
        f"(i32.wrap_i64 (i64.extend_i32_u {_expr(r, 'i32', depth - 1)})))"
    )


def _module(seed: int) -> str:
    r = random.Random(seed)
    e32 = _expr(r, "i32", 5)
    e64 = _expr(r, "i64", 5)
    return f"""(module
      (memory 1)
      (func (export "f32") (param i32 i64) (result i32) {e32})
      (func (export "f64") (param i32 i64) (result i64) {e64})
      (func (export "m") (param i32 i64) (result i32)
        (i32.store (i32.const 8) {e32})
        (i32.load (i32.const 8))))"""


_ARGS = [
    (0, 0),
    (1, 1),
    (0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF),
    (0x80000000, 0x8000000000000000),
    (0x12345678, 0x0123456789ABCDEF),
    (31, 63),
]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_random_integer_expressions(seed: int) -> None:
    wat = _module(seed)
    wasm = wasmtime.wat2wasm(wat)
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    exports = wasmtime.Instance(store, wasmtime.Module(engine, wasm), []).exports(store)
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        mod = rt.instantiate(wasm)
        for name in ("f32", "f64", "m"):
            ours = mod.exported_function(name)
            theirs = exports[name]
            for a, b in _ARGS:
                sa = a - (1 << 32) if a >= 1 << 31 else a
                sb = b - (1 << 64) if b >= 1 << 63 else b
                assert ours(a, b) == theirs(store, sa, sb), (wat, name, a, b)
