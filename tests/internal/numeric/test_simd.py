"""Tests of the SIMD (v128) instruction semantics (templates + helpers)."""

from __future__ import annotations

import math
import re
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wasmzero.errors import Trap, TrapKind
from wasmzero.internal.numeric.bits import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from wasmzero.internal.numeric.runtime import HELPERS
from wasmzero.internal.numeric.semantics import Sem
from wasmzero.internal.numeric.simd import SHAPES, SIMD_HELPERS, SIMD_REFERENCE, SIMD_SEMANTICS
from wasmzero.internal.wasm.instructions_simd import TABLE

_SAFE_BUILTINS = {"len": len, "int": int, "float": float, "abs": abs, "bool": bool}

_BUILTINS = {"len": len, "int": int, "float": float, "abs": abs, "bool": bool}
NS = dict(HELPERS, **SIMD_HELPERS, __builtins__=_BUILTINS)
ROWS = [line.split() for line in TABLE.strip().splitlines()]
M128 = (1 << 128) - 1
_CACHE: dict[tuple, object] = {}


def fn(name: str, imm=None):
    key = (name, repr(imm))
    f = _CACHE.get(key)
    if f is None:
        expr = SIMD_SEMANTICS[name].expr.format("a", "b", "c", imm=repr(imm))
        f = eval("lambda a, b, c: " + expr, NS)
        _CACHE[key] = f
    return f


def run(name: str, a=None, b=None, c=None, imm=None):
    return fn(name, imm)(a, b, c)


def mem_run(name: str, M: bytearray, a, b=None, imm=None):
    expr = SIMD_SEMANTICS[name].expr.format("a", "b", imm=repr(imm))
    return eval("lambda M, a, b: " + expr, NS)(M, a, b)


def lanes(shape: str, v: int) -> list[int]:
    return SHAPES[shape].u(v)


def slanes(shape: str, v: int) -> list[int]:
    return SHAPES[shape].s(v)


def vec(shape: str, xs) -> int:
    return SHAPES[shape].join(list(xs))


def f32v(xs) -> int:
    return vec("i32x4", [f32_to_bits(x) if isinstance(x, float) else x for x in xs])


def f64v(xs) -> int:
    return vec("i64x2", [f64_to_bits(x) if isinstance(x, float) else x for x in xs])


def f32l(v: int) -> list[float]:
    return [f32_from_bits(b) for b in lanes("i32x4", v)]


def f64l(v: int) -> list[float]:
    return [f64_from_bits(b) for b in lanes("i64x2", v)]


def is_f32_nan(b: int) -> bool:
    return (b & 0x7F800000) == 0x7F800000 and bool(b & 0x7FFFFF)


def is_f64_nan(b: int) -> bool:
    return (b & 0x7FF0000000000000) == 0x7FF0000000000000 and bool(b & 0xFFFFFFFFFFFFF)


# -- coverage and well-formedness -----------------------------------------------------------


def test_every_row_has_an_entry():
    names = {r[1] for r in ROWS}
    missing = sorted(n for n in names if n != "v128.const" and n not in SIMD_SEMANTICS)
    assert missing == []
    assert "v128.const" not in SIMD_SEMANTICS
    assert set(SIMD_SEMANTICS) <= names
    assert all(isinstance(s, Sem) for s in SIMD_SEMANTICS.values())


def test_helpers_are_prefixed_and_all_referenced_names_exist():
    assert all(h.startswith("_v_") for h in SIMD_HELPERS)
    for name, sem in SIMD_SEMANTICS.items():
        for t in (sem.expr, sem.cond or ""):
            for ident in re.findall(r"\b_[nv]_\w+", t):
                assert ident in NS, (name, ident)


@pytest.mark.parametrize("row", [r for r in ROWS if r[1] != "v128.const"], ids=lambda r: r[1])
def test_template_shape_and_smoke(row):
    _, name, imm_kind, sig, _ = row
    params, results = sig.split(":")
    params = [p for p in params.split(",") if p]
    sem = SIMD_SEMANTICS[name]
    used = {int(i) for i in re.findall(r"\{(\d)\}", sem.expr)}
    assert used == set(range(len(params))), name
    assert ("{imm}" in sem.expr) == (imm_kind in ("lane", "shuffle", "memarg_lane")), name
    assert ("M" in re.findall(r"\bM\b", sem.expr)) == imm_kind.startswith("memarg"), name
    assert sem.may_trap == imm_kind.startswith("memarg"), name
    # Evaluate once on some arguments.
    imm = tuple(range(15, -1, -1)) if imm_kind == "shuffle" else 1
    sample = {"v128": 0x0123456789ABCDEF_FEDCBA9876543210, "i32": 0x80000001, "i64": 7}
    sample["f32"], sample["f64"] = -1.5, 2.25
    M = bytearray(range(64))
    if imm_kind.startswith("memarg"):
        args = [3] + [sample[p] for p in params[1:]]
        r = mem_run(name, M, *args, imm=imm)
    else:
        r = run(name, *[sample[p] for p in params], imm=imm)
    if not results:
        assert r is None
    elif results == "v128":
        assert isinstance(r, int) and 0 <= r <= M128
    elif results in ("i32", "i64"):
        assert isinstance(r, int) and 0 <= r < (1 << int(results[1:]))
    else:
        assert isinstance(r, float)


# -- edge cases -----------------------------------------------------------------------------


def test_bitwise():
    a, b, c = 0xF0F0 << 100 | 0x1234, 0xFF00 << 100 | 0xFFFF, (0xAAAA << 100) | 0xFF
    assert run("v128.not", a) == a ^ M128
    assert run("v128.and", a, b) == a & b
    assert run("v128.or", a, b) == a | b
    assert run("v128.xor", a, b) == a ^ b
    assert run("v128.andnot", a, b) == a & (b ^ M128)
    assert run("v128.bitselect", a, b, c) == (a & c) | (b & (c ^ M128))
    assert run("v128.any_true", 0) == 0
    assert run("v128.any_true", 1 << 127) == 1
    assert eval("lambda a: " + SIMD_SEMANTICS["v128.any_true"].cond.format("a"), NS)(1 << 127)


def test_splat_extract_replace():
    assert run("i8x16.splat", 0x1FF) == int("FF" * 16, 16)
    assert run("i16x8.splat", 0x12345) == int("2345" * 8, 16)
    assert run("i32x4.splat", 0xDEADBEEF) == int("DEADBEEF" * 4, 16)
    assert run("i64x2.splat", 0x0102030405060708) == int("0102030405060708" * 2, 16)
    assert lanes("i32x4", run("f32x4.splat", -0.0)) == [0x80000000] * 4
    snan = f32_from_bits(0xFFA00001)
    assert lanes("i32x4", run("f32x4.splat", snan)) == [0xFFA00001] * 4
    assert lanes("i64x2", run("f64x2.splat", 1.0)) == [0x3FF0000000000000] * 2
    v = vec("i8x16", range(0x70, 0x90, 2))
    assert run("i8x16.extract_lane_s", v, imm=8) == 0xFFFFFF80
    assert run("i8x16.extract_lane_u", v, imm=8) == 0x80
    assert run("i8x16.extract_lane_s", v, imm=0) == 0x70
    v = vec("i16x8", [0, 0, 0, 0, 0, 0, 0, 0xFFFF])
    assert run("i16x8.extract_lane_s", v, imm=7) == 0xFFFFFFFF
    assert run("i16x8.extract_lane_u", v, imm=7) == 0xFFFF
    assert run("i32x4.extract_lane", vec("i32x4", [1, 2, 3, 4]), imm=3) == 4
    assert run("i64x2.extract_lane", vec("i64x2", [1, 2**64 - 1]), imm=1) == 2**64 - 1
    assert run("i8x16.replace_lane", M128, 0x100, imm=15) == M128 >> 8
    assert lanes("i16x8", run("i16x8.replace_lane", 0, 0xABCDE, imm=1)) == [0, 0xBCDE] + [0] * 6
    assert lanes("i32x4", run("i32x4.replace_lane", M128, 0, imm=2)) == [M32, M32, 0, M32]
    assert lanes("i64x2", run("i64x2.replace_lane", M128, 5, imm=0)) == [5, 2**64 - 1]
    nan_bits = 0x7F800001  # signalling NaN: bits must survive
    r = run("f32x4.replace_lane", 0, f32_from_bits(nan_bits), imm=3)
    assert lanes("i32x4", r) == [0, 0, 0, nan_bits]
    assert f32_to_bits(run("f32x4.extract_lane", r, imm=3)) == nan_bits
    r = run("f64x2.replace_lane", M128, -2.5, imm=1)
    assert lanes("i64x2", r) == [2**64 - 1, f64_to_bits(-2.5)]
    assert run("f64x2.extract_lane", r, imm=1) == -2.5


M32 = 0xFFFFFFFF


def test_shuffle_swizzle():
    a = vec("i8x16", range(16))
    b = vec("i8x16", range(16, 32))
    idx = tuple(range(31, 15, -1))
    assert lanes("i8x16", run("i8x16.shuffle", a, b, imm=idx)) == list(range(31, 15, -1))
    idx = (0, 16) * 8
    assert lanes("i8x16", run("i8x16.shuffle", a, b, imm=idx)) == [0, 16] * 8
    s = vec("i8x16", [15, 16, 0, 255, 17, 1, 128, 3] + [0] * 8)
    assert lanes("i8x16", run("i8x16.swizzle", b, s)) == [31, 0, 16, 0, 0, 17, 0, 19] + [16] * 8


def test_int_arith_edges():
    assert lanes("i8x16", run("i8x16.abs", vec("i8x16", [0x80, 0xFF, 1] + [0] * 13)))[:3] == [
        0x80,
        1,
        1,
    ]
    assert lanes("i64x2", run("i64x2.abs", vec("i64x2", [1 << 63, 2**64 - 5]))) == [1 << 63, 5]
    assert lanes("i16x8", run("i16x8.neg", vec("i16x8", [1, 0x8000] + [0] * 6)))[:2] == [
        0xFFFF,
        0x8000,
    ]
    assert lanes("i8x16", run("i8x16.popcnt", vec("i8x16", [0xFF, 0x81] + [0] * 14)))[:3] == [
        8,
        2,
        0,
    ]
    assert slanes(
        "i8x16", run("i8x16.add_sat_s", vec("i8x16", [127, 0x80] * 8), vec("i8x16", [1, 0xFF] * 8))
    )[:2] == [127, -128]
    assert (
        lanes("i8x16", run("i8x16.add_sat_u", vec("i8x16", [250] * 16), vec("i8x16", [10] * 16)))[0]
        == 255
    )
    assert (
        lanes("i16x8", run("i16x8.sub_sat_u", vec("i16x8", [5] * 8), vec("i16x8", [10] * 8)))[0]
        == 0
    )
    assert (
        slanes("i16x8", run("i16x8.sub_sat_s", vec("i16x8", [0x8000] * 8), vec("i16x8", [1] * 8)))[
            0
        ]
        == -32768
    )
    assert (
        lanes("i8x16", run("i8x16.avgr_u", vec("i8x16", [255] * 16), vec("i8x16", [254] * 16)))[0]
        == 255
    )
    q = run("i16x8.q15mulr_sat_s", vec("i16x8", [0x8000, 0x4000] * 4), vec("i16x8", [0x8000] * 8))
    assert slanes("i16x8", q)[:2] == [32767, -16384]
    assert (
        slanes("i8x16", run("i8x16.min_s", vec("i8x16", [0x80] * 16), vec("i8x16", [1] * 16)))[0]
        == -128
    )
    assert (
        lanes("i8x16", run("i8x16.min_u", vec("i8x16", [0x80] * 16), vec("i8x16", [1] * 16)))[0]
        == 1
    )
    assert (
        lanes("i32x4", run("i32x4.max_s", vec("i32x4", [M32] * 4), vec("i32x4", [0] * 4)))[0] == 0
    )
    assert (
        lanes("i32x4", run("i32x4.max_u", vec("i32x4", [M32] * 4), vec("i32x4", [0] * 4)))[0] == M32
    )
    assert lanes(
        "i64x2", run("i64x2.mul", vec("i64x2", [2**63, 3]), vec("i64x2", [2, 2**64 - 1]))
    ) == [0, 2**64 - 3]
    # dot: INT16_MIN * INT16_MIN * 2 wraps to INT32_MIN.
    d = run("i32x4.dot_i16x8_s", vec("i16x8", [0x8000] * 8), vec("i16x8", [0x8000] * 8))
    assert lanes("i32x4", d) == [0x80000000] * 4
    d = run(
        "i32x4.dot_i16x8_s",
        vec("i16x8", [1, 2, 3, 4, 0xFFFF, 0, 0, 0]),
        vec("i16x8", [5, 6, 7, 8, 3, 0, 0, 0]),
    )
    assert slanes("i32x4", d) == [17, 53, -3, 0]


def test_shifts_count_modulo_lane_width():
    v = vec("i8x16", [0x81] * 16)
    assert lanes("i8x16", run("i8x16.shl", v, 9))[0] == 0x02
    assert lanes("i8x16", run("i8x16.shr_u", v, 8 + 7))[0] == 0x01
    assert lanes("i8x16", run("i8x16.shr_s", v, 0xFFFFFFFF))[0] == 0xFF
    v = vec("i16x8", [0x8001] * 8)
    assert lanes("i16x8", run("i16x8.shr_s", v, 17))[0] == 0xC000
    assert lanes("i16x8", run("i16x8.shl", v, 16))[0] == 0x8001
    v = vec("i32x4", [0x80000001] * 4)
    assert lanes("i32x4", run("i32x4.shr_s", v, 33))[0] == 0xC0000000
    assert lanes("i32x4", run("i32x4.shr_u", v, 31))[0] == 1
    v = vec("i64x2", [1 << 63, 1])
    assert lanes("i64x2", run("i64x2.shr_s", v, 64 + 63)) == [2**64 - 1, 0]
    assert lanes("i64x2", run("i64x2.shl", v, 65)) == [0, 2]


def test_comparisons():
    a = vec("i8x16", [0x80, 1, 5] + [0] * 13)
    b = vec("i8x16", [1, 0x80, 5] + [0] * 13)
    assert lanes("i8x16", run("i8x16.lt_s", a, b))[:3] == [0xFF, 0, 0]
    assert lanes("i8x16", run("i8x16.lt_u", a, b))[:3] == [0, 0xFF, 0]
    assert lanes("i8x16", run("i8x16.ge_s", a, b))[:3] == [0, 0xFF, 0xFF]
    assert lanes("i8x16", run("i8x16.eq", a, b)) == [0, 0, 0xFF] + [0xFF] * 13
    assert lanes("i8x16", run("i8x16.ne", a, b)) == [0xFF, 0xFF, 0] + [0] * 13
    a, b = vec("i64x2", [1 << 63, 1]), vec("i64x2", [0, 1])
    assert lanes("i64x2", run("i64x2.lt_s", a, b)) == [2**64 - 1, 0]
    assert lanes("i64x2", run("i64x2.le_s", a, b)) == [2**64 - 1, 2**64 - 1]
    a = f32v([math.nan, 1.0, -0.0, 2.0])
    b = f32v([math.nan, 2.0, 0.0, 1.0])
    assert lanes("i32x4", run("f32x4.eq", a, b)) == [0, 0, M32, 0]
    assert lanes("i32x4", run("f32x4.ne", a, b)) == [M32, M32, 0, M32]
    assert lanes("i32x4", run("f32x4.lt", a, b)) == [0, M32, 0, 0]
    assert lanes("i32x4", run("f32x4.ge", a, b)) == [0, 0, M32, M32]
    assert lanes("i64x2", run("f64x2.gt", f64v([math.nan, 3.0]), f64v([1.0, 2.0]))) == [
        0,
        2**64 - 1,
    ]


def test_bitmask_all_true():
    assert run("i8x16.bitmask", vec("i8x16", [0x80, 0x7F] * 8)) == 0x5555
    assert run("i16x8.bitmask", vec("i16x8", [0xFFFF] * 8)) == 0xFF
    assert run("i32x4.bitmask", vec("i32x4", [0, M32, 0, 0x80000000])) == 0b1010
    assert run("i64x2.bitmask", vec("i64x2", [1 << 63, 0])) == 1
    assert run("i8x16.all_true", vec("i8x16", [1] * 16)) == 1
    assert run("i8x16.all_true", vec("i8x16", [1] * 15 + [0])) == 0
    assert run("i64x2.all_true", vec("i64x2", [1, 1 << 63])) == 1
    assert run("i32x4.all_true", vec("i32x4", [1, 1, 0, 1])) == 0
    cond = eval("lambda a: " + SIMD_SEMANTICS["i16x8.all_true"].cond.format("a"), NS)
    assert cond(vec("i16x8", [1] * 8)) and not cond(0)


def test_narrow_extend_extmul_extadd():
    a = vec("i16x8", [0x7FFF, 0x8000, 5, 0xFFFF, 128, 0xFF80, 255, 256])
    r = run("i8x16.narrow_i16x8_s", a, 0)
    assert slanes("i8x16", r)[:8] == [127, -128, 5, -1, 127, -128, 127, 127]
    assert lanes("i8x16", r)[8:] == [0] * 8
    r = run("i8x16.narrow_i16x8_u", 0, a)
    assert lanes("i8x16", r)[8:] == [255, 0, 5, 0, 128, 0, 255, 255]
    r = run("i16x8.narrow_i32x4_s", vec("i32x4", [0x10000, 0x80000000, 1, M32]), 0)
    assert slanes("i16x8", r)[:4] == [32767, -32768, 1, -1]
    r = run("i16x8.narrow_i32x4_u", vec("i32x4", [0x10000, 0x80000000, 1, 65535]), 0)
    assert lanes("i16x8", r)[:4] == [65535, 0, 1, 65535]
    v = vec("i8x16", list(range(0x78, 0x88)))
    assert slanes("i16x8", run("i16x8.extend_low_i8x16_s", v)) == list(range(0x78, 0x80))
    assert slanes("i16x8", run("i16x8.extend_high_i8x16_s", v)) == list(range(-128, -120))
    assert lanes("i16x8", run("i16x8.extend_high_i8x16_u", v)) == list(range(0x80, 0x88))
    v = vec("i32x4", [1, M32, 0x80000000, 7])
    assert lanes("i64x2", run("i64x2.extend_low_i32x4_u", v)) == [1, M32]
    assert lanes("i64x2", run("i64x2.extend_low_i32x4_s", v)) == [1, 2**64 - 1]
    assert slanes("i64x2", run("i64x2.extend_high_i32x4_s", v)) == [-(2**31), 7]
    assert (
        slanes("i32x4", run("i32x4.extend_low_i16x8_s", vec("i16x8", [0x8000] * 8))) == [-32768] * 4
    )
    r = run("i64x2.extmul_high_i32x4_u", v, v)
    assert lanes("i64x2", r) == [2**62, 49]
    r = run("i64x2.extmul_low_i32x4_s", v, v)
    assert lanes("i64x2", r) == [1, 1]
    r = run("i16x8.extmul_low_i8x16_s", vec("i8x16", [0x80] * 16), vec("i8x16", [0x80] * 16))
    assert lanes("i16x8", r) == [0x4000] * 8
    r = run("i32x4.extmul_high_i16x8_u", vec("i16x8", [0xFFFF] * 8), vec("i16x8", [0xFFFF] * 8))
    assert lanes("i32x4", r) == [0xFFFE0001] * 4
    r = run("i16x8.extadd_pairwise_i8x16_s", vec("i8x16", [0x80, 0x80, 1, 0xFF] + [0x7F] * 12))
    assert slanes("i16x8", r)[:3] == [-256, 0, 254]
    r = run("i16x8.extadd_pairwise_i8x16_u", vec("i8x16", [0xFF] * 16))
    assert lanes("i16x8", r) == [510] * 8
    r = run("i32x4.extadd_pairwise_i16x8_s", vec("i16x8", [0x8000] * 8))
    assert slanes("i32x4", r) == [-65536] * 4
    r = run("i32x4.extadd_pairwise_i16x8_u", vec("i16x8", [0xFFFF] * 8))
    assert lanes("i32x4", r) == [0x1FFFE] * 4


SNAN32 = 0x7FA00001
NSNAN32 = 0xFF800123
SNAN64 = 0x7FF0000000000123


def test_float_sign_ops_are_bit_exact():
    v = vec("i32x4", [SNAN32, NSNAN32, 0, 0x80000000])
    assert lanes("i32x4", run("f32x4.neg", v)) == [SNAN32 | 1 << 31, NSNAN32 & M32 >> 1, 1 << 31, 0]
    assert lanes("i32x4", run("f32x4.abs", v)) == [SNAN32, NSNAN32 & 0x7FFFFFFF, 0, 0]
    v = vec("i64x2", [SNAN64, 1 << 63])
    assert lanes("i64x2", run("f64x2.neg", v)) == [SNAN64 | 1 << 63, 0]
    assert lanes("i64x2", run("f64x2.abs", vec("i64x2", [SNAN64 | 1 << 63, 1 << 63]))) == [
        SNAN64,
        0,
    ]


def test_float_arith_nan_and_zeros():
    a = vec("i32x4", [SNAN32, 0x3F800000, 0x80000000, 0])
    b = f32v([1.0, math.nan, 0.0, -0.0])
    for op in ("add", "sub", "mul", "div", "min", "max"):
        r = lanes("i32x4", run(f"f32x4.{op}", a, b))
        assert is_f32_nan(r[0]) and is_f32_nan(r[1]), op
    assert lanes("i32x4", run("f32x4.min", a, b))[2:] == [0x80000000, 0x80000000]
    assert lanes("i32x4", run("f32x4.max", a, b))[2:] == [0, 0]
    r = lanes("i64x2", run("f64x2.min", f64v([0.0, -0.0]), f64v([-0.0, 0.0])))
    assert r == [1 << 63, 1 << 63]
    r = lanes("i64x2", run("f64x2.max", f64v([0.0, -0.0]), f64v([-0.0, 0.0])))
    assert r == [0, 0]
    assert is_f32_nan(lanes("i32x4", run("f32x4.sqrt", f32v([-1.0, 4.0, 0.0, 0.0])))[0])
    assert f32l(run("f32x4.sqrt", f32v([2.0, 4.0, -0.0, math.inf]))) == [
        f32_from_bits(0x3FB504F3),
        2.0,
        -0.0,
        math.inf,
    ]
    assert f32l(run("f32x4.div", f32v([1.0, -1.0, 0.0, 1.0]), f32v([0.0, 0.0, 1.0, 3.0])))[:3] == [
        math.inf,
        -math.inf,
        0.0,
    ]
    assert f32l(run("f32x4.add", f32v([16777216.0] * 4), f32v([1.0] * 4))) == [16777216.0] * 4


def test_pmin_pmax():
    a = vec("i32x4", [SNAN32, f32_to_bits(1.0), 0, 0x80000000])
    b = vec("i32x4", [f32_to_bits(2.0), SNAN32, 0x80000000, 0])
    # pmin = b < a ? b : a (NaN comparisons are false: a is returned unchanged).
    assert lanes("i32x4", run("f32x4.pmin", a, b)) == [SNAN32, f32_to_bits(1.0), 0, 0x80000000]
    assert lanes("i32x4", run("f32x4.pmax", a, b)) == [SNAN32, f32_to_bits(1.0), 0, 0x80000000]
    a = vec("i64x2", [f64_to_bits(1.0), SNAN64])
    b = vec("i64x2", [f64_to_bits(-1.0), f64_to_bits(5.0)])
    assert lanes("i64x2", run("f64x2.pmin", a, b)) == [f64_to_bits(-1.0), SNAN64]
    assert lanes("i64x2", run("f64x2.pmax", a, b)) == [f64_to_bits(1.0), SNAN64]


def test_rounding():
    v = f32v([2.5, -0.5, 1.5, -3.7])
    assert f32l(run("f32x4.nearest", v)) == [2.0, -0.0, 2.0, -4.0]
    assert f32_to_bits(f32l(run("f32x4.nearest", v))[1]) == 0x80000000
    assert f32l(run("f32x4.ceil", v)) == [3.0, -0.0, 2.0, -3.0]
    assert f32l(run("f32x4.floor", v)) == [2.0, -1.0, 1.0, -4.0]
    assert f32l(run("f32x4.trunc", v)) == [2.0, -0.0, 1.0, -3.0]
    assert f64l(run("f64x2.nearest", f64v([0.5, -2.5]))) == [0.0, -2.0]
    assert f64l(run("f64x2.ceil", f64v([-0.5, 1e300]))) == [-0.0, 1e300]
    assert f64l(run("f64x2.floor", f64v([-0.5, 0.5]))) == [-1.0, 0.0]
    assert f64l(run("f64x2.trunc", f64v([-0.5, 2.9]))) == [-0.0, 2.0]
    assert is_f64_nan(lanes("i64x2", run("f64x2.trunc", f64v([SNAN64, 0])))[0])


def test_conversions():
    v = f32v([math.nan, 3e9, -3e9, -1.9])
    assert lanes("i32x4", run("i32x4.trunc_sat_f32x4_s", v)) == [0, 0x7FFFFFFF, 0x80000000, M32]
    assert lanes("i32x4", run("i32x4.trunc_sat_f32x4_u", v)) == [0, 3000000000, 0, 0]
    v = f64v([math.nan, -1e10])
    assert lanes("i32x4", run("i32x4.trunc_sat_f64x2_s_zero", v)) == [0, 0x80000000, 0, 0]
    v = f64v([4294967295.9, -0.9])
    assert lanes("i32x4", run("i32x4.trunc_sat_f64x2_u_zero", v)) == [M32, 0, 0, 0]
    v = vec("i32x4", [M32, 0x80000000, 16777217, 1])
    assert f32l(run("f32x4.convert_i32x4_s", v)) == [-1.0, -2147483648.0, 16777216.0, 1.0]
    assert f32l(run("f32x4.convert_i32x4_u", v)) == [4294967296.0, 2147483648.0, 16777216.0, 1.0]
    assert f64l(run("f64x2.convert_low_i32x4_s", v)) == [-1.0, -2147483648.0]
    assert f64l(run("f64x2.convert_low_i32x4_u", v)) == [4294967295.0, 2147483648.0]
    r = run("f32x4.demote_f64x2_zero", f64v([1e300, 0.1]))
    assert lanes("i32x4", r)[2:] == [0, 0]
    assert f32l(r)[:2] == [math.inf, struct.unpack("<f", struct.pack("<f", 0.1))[0]]
    r = lanes("i32x4", run("f32x4.demote_f64x2_zero", vec("i64x2", [SNAN64, 0])))
    assert is_f32_nan(r[0]) and r[1:] == [0, 0, 0]
    r = run("f64x2.promote_low_f32x4", vec("i32x4", [0x80000000, f32_to_bits(0.1), 1, 2]))
    assert lanes("i64x2", r)[0] == 1 << 63
    assert f64l(r)[1] == float(f32_from_bits(f32_to_bits(0.1)))
    r = lanes("i64x2", run("f64x2.promote_low_f32x4", vec("i32x4", [SNAN32, 0, 0, 0])))
    assert is_f64_nan(r[0]) and r[1] == 0


# -- memory ---------------------------------------------------------------------------------


def oob(name: str, M: bytearray, a, b=None, imm=None) -> None:
    """Out of bounds: a trap, or the struct error that the call boundary turns
    into that trap (the struct-based fast paths)."""
    before = bytes(M)
    with pytest.raises((Trap, struct.error)) as info:
        mem_run(name, M, a, b, imm)
    if isinstance(info.value, Trap):
        assert info.value.kind == TrapKind.MEMORY_OUT_OF_BOUNDS
    assert bytes(M) == before


def test_memory_loads_and_stores():
    M = bytearray(range(32))
    assert mem_run("v128.load", M, 16) == int.from_bytes(bytes(range(16, 32)), "little")
    oob("v128.load", M, 17)
    oob("v128.load", M, 2**32 + 10)
    assert (
        slanes("i16x8", mem_run("v128.load8x8_s", bytearray(b"\x80\x7f" * 4), 0)) == [-128, 127] * 4
    )
    assert (
        lanes("i16x8", mem_run("v128.load8x8_u", bytearray(b"\x80\x7f" * 4), 0)) == [128, 127] * 4
    )
    assert (
        slanes("i32x4", mem_run("v128.load16x4_s", bytearray(b"\x00\x80" * 4), 0)) == [-32768] * 4
    )
    assert lanes("i64x2", mem_run("v128.load32x2_u", bytearray(b"\xff" * 8), 0)) == [M32, M32]
    assert lanes("i64x2", mem_run("v128.load32x2_s", bytearray(b"\xff" * 8), 0)) == [2**64 - 1] * 2
    oob("v128.load8x8_s", M, 25)
    assert mem_run("v128.load8x8_u", M, 24) == vec("i16x8", range(24, 32))
    assert lanes("i8x16", mem_run("v128.load8_splat", M, 31)) == [31] * 16
    assert lanes("i16x8", mem_run("v128.load16_splat", M, 30)) == [0x1F1E] * 8
    assert lanes("i32x4", mem_run("v128.load32_splat", M, 0)) == [0x03020100] * 4
    assert lanes("i64x2", mem_run("v128.load64_splat", M, 24)) == [0x1F1E1D1C1B1A1918] * 2
    oob("v128.load8_splat", M, 32)
    oob("v128.load64_splat", M, 25)
    assert mem_run("v128.load32_zero", M, 4) == 0x07060504
    assert mem_run("v128.load64_zero", M, 8) == 0x0F0E0D0C0B0A0908
    oob("v128.load32_zero", M, 29)
    oob("v128.load64_zero", M, 25)
    v = vec("i8x16", range(100, 116))
    assert lanes("i8x16", mem_run("v128.load8_lane", M, 5, v, imm=15)) == list(range(100, 115)) + [
        5
    ]
    assert lanes("i16x8", mem_run("v128.load16_lane", M, 0, M128, imm=3))[3] == 0x0100
    assert lanes("i32x4", mem_run("v128.load32_lane", M, 0, 0, imm=1)) == [0, 0x03020100, 0, 0]
    assert lanes("i64x2", mem_run("v128.load64_lane", M, 24, M128, imm=0)) == [
        0x1F1E1D1C1B1A1918,
        2**64 - 1,
    ]
    oob("v128.load16_lane", M, 31, 0, imm=0)
    oob("v128.load64_lane", M, 30, 0, imm=0)
    N = bytearray(32)
    assert mem_run("v128.store", N, 16, v) is None
    assert N[16:] == bytes(range(100, 116)) and N[:16] == bytes(16)
    oob("v128.store", N, 17, v)
    assert N[16:] == bytes(range(100, 116))
    N = bytearray(8)
    mem_run("v128.store8_lane", N, 7, v, imm=2)
    assert N == bytearray(7) + bytes([102])
    mem_run("v128.store16_lane", N, 0, vec("i16x8", range(8)), imm=5)
    mem_run("v128.store32_lane", N, 2, vec("i32x4", [1, 2, 0xAABBCCDD, 4]), imm=2)
    assert N == bytearray([5, 0, 0xDD, 0xCC, 0xBB, 0xAA, 0, 102])
    mem_run("v128.store64_lane", N, 0, vec("i64x2", [0, 0x0807060504030201]), imm=1)
    assert N == bytearray(range(1, 9))
    oob("v128.store8_lane", N, 8, v, imm=0)
    oob("v128.store16_lane", N, 7, v, imm=0)
    oob("v128.store32_lane", N, 5, v, imm=0)
    oob("v128.store64_lane", N, 1, v, imm=0)
    assert N == bytearray(range(1, 9))


# -- comparison against wasmtime ------------------------------------------------------------

wasmtime = pytest.importorskip("wasmtime")

UNARY = {
    "f64x2.nearest",
    "i32x4.trunc_sat_f64x2_s_zero",
    "i8x16.bitmask",
}
BINARY = [
    "i8x16.add_sat_s",
    "i16x8.q15mulr_sat_s",
    "i32x4.dot_i16x8_s",
    "f32x4.min",
    "f32x4.pmin",
    "f64x2.nearest",
    "i8x16.swizzle",
    "i16x8.narrow_i32x4_s",
    "i32x4.trunc_sat_f64x2_s_zero",
    "i8x16.bitmask",
    "i64x2.mul",
    "i8x16.shuffle",
]
FLOAT_LANES = {"f32x4.min": 32, "f64x2.nearest": 64}

_ENGINE = None
_WT_CACHE: dict[tuple, object] = {}


def _wt_func(op: str, imm=None):
    global _ENGINE
    key = (op, imm)
    if key in _WT_CACHE:
        return _WT_CACHE[key]
    if _ENGINE is None:
        _ENGINE = wasmtime.Engine()
    build = (
        "(local.get 0) i64x2.splat (local.get 1) i64x2.replace_lane 1 "
        "(local.get 2) i64x2.splat (local.get 3) i64x2.replace_lane 1 "
    )
    if op == "i8x16.shuffle":
        body = build + "i8x16.shuffle " + " ".join(map(str, imm))
    elif op in UNARY:
        body = build + "drop " + op
    else:
        body = build + op
    if op == "i8x16.bitmask":
        tail = "i64.extend_i32_u i64.const 0"
    else:
        tail = "local.tee 4 i64x2.extract_lane 0 (local.get 4) i64x2.extract_lane 1"
    wat = f"""(module (func (export "f") (param i64 i64 i64 i64) (result i64 i64)
        (local v128) {body} {tail}))"""
    store = wasmtime.Store(_ENGINE)
    module = wasmtime.Module(_ENGINE, wasmtime.wat2wasm(wat))
    inst = wasmtime.Instance(store, module, [])
    f = inst.exports(store)["f"]

    def call(a: int, b: int) -> int:
        m = (1 << 64) - 1
        args = [a & m, a >> 64, b & m, b >> 64]
        args = [x - (1 << 64) if x >> 63 else x for x in args]  # wasmtime wants signed i64
        lo, hi = f(store, *args)
        return (lo & m) | ((hi & m) << 64)

    _WT_CACHE[key] = call
    return call


_special32 = [
    0,
    0x80000000,
    0x3F800000,
    0xBF000000,
    0x7F800000,
    0xFF800000,
    0x7FC00000,
    SNAN32,
    0x4B000001,
    0x3EFFFFFF,
    0x4F000000,
    0xCF000000,
]
_special64 = [
    0,
    1 << 63,
    f64_to_bits(0.5),
    f64_to_bits(-2.5),
    f64_to_bits(2147483647.5),
    f64_to_bits(-2147483649.0),
    0x7FF8000000000000,
    SNAN64,
    0x7FF0000000000000,
    f64_to_bits(4503599627370497.0),
]
_special16 = [0, 1, 0x7FFF, 0x8000, 0xFFFF, 0x4000, 0xC000]
_special8 = [0, 1, 0x7F, 0x80, 0xFF, 15, 16, 31]

v128s = st.one_of(
    st.integers(0, M128),
    st.lists(st.sampled_from(_special8) | st.integers(0, 255), min_size=16, max_size=16).map(
        lambda xs: vec("i8x16", xs)
    ),
    st.lists(st.sampled_from(_special16), min_size=8, max_size=8).map(lambda xs: vec("i16x8", xs)),
    st.lists(st.sampled_from(_special32) | st.integers(0, M32), min_size=4, max_size=4).map(
        lambda xs: vec("i32x4", xs)
    ),
    st.lists(
        st.sampled_from(_special64) | st.floats().map(f64_to_bits), min_size=2, max_size=2
    ).map(lambda xs: vec("i64x2", xs)),
)


def _same(op: str, ours: int, theirs: int) -> bool:
    w = FLOAT_LANES.get(op)
    if w is None:
        return ours == theirs
    is_nan = is_f32_nan if w == 32 else is_f64_nan
    sh = SHAPES[f"i{w}x{128 // w}"]
    for x, y in zip(sh.u(ours), sh.u(theirs), strict=True):
        if is_nan(y):
            if not is_nan(x):
                return False
        elif x != y:
            return False
    return True


@pytest.mark.parametrize("op", BINARY)
@settings(max_examples=50, deadline=None)
@given(a=v128s, b=v128s, idx=st.lists(st.integers(0, 31), min_size=16, max_size=16))
def test_against_wasmtime(op, a, b, idx):
    imm = tuple(idx) if op == "i8x16.shuffle" else None
    wt = _wt_func(op, imm)
    if op in UNARY:
        ours = run(op, a)
    else:
        ours = run(op, a, b, imm=imm)
    assert _same(op, ours, wt(a, b)), (op, hex(a), hex(b))


# -- fast paths agree with the reference semantics ------------------------------------

_V128 = st.one_of(
    st.integers(0, (1 << 128) - 1),
    st.sampled_from(
        [
            0,
            (1 << 128) - 1,
            0x80000000_80000000_80000000_80000000,
            0x7F800001_FFC00000_80000000_00000001,
            0x7FF00000_00000001_FFF80000_00000000,
        ]
    ),
)
_EXP_MANT = {32: (0x7F800000, 0x007FFFFF), 64: (0x7FF0000000000000, 0x000FFFFFFFFFFFFF)}


@pytest.mark.parametrize(
    "name", sorted(n for n in SIMD_REFERENCE if "M" not in SIMD_REFERENCE[n].expr)
)
@settings(max_examples=200, deadline=None)
@given(a=_V128, b=_V128)
def test_fast_path_matches_reference(name: str, a: int, b: int) -> None:
    ns = dict(HELPERS, **SIMD_HELPERS, __builtins__=_SAFE_BUILTINS)
    fast = eval("lambda a, b: " + SIMD_SEMANTICS[name].expr.format("a", "b", imm=""), ns)
    ref = eval("lambda a, b: " + SIMD_REFERENCE[name].expr.format("a", "b", imm=""), ns)
    got, want = fast(a, b), ref(a, b)
    if not name.startswith("f"):
        assert got == want
        return
    w = 32 if name.startswith("f32") else 64
    exp, mant = _EXP_MANT[w]
    sh = SHAPES[f"i{w}x{128 // w}"]
    for x, y in zip(sh.u(got), sh.u(want), strict=True):
        if y & exp == exp and y & mant:  # a NaN lane: any NaN will do
            assert x & exp == exp and x & mant
        else:
            assert x == y
