"""Tests of the scalar numeric instruction semantics (templates + helpers)."""

from __future__ import annotations

import gc
import math
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wasmzero.errors import Trap, TrapKind
from wasmzero.internal.numeric.bits import (
    f32_from_bits,
    f32_to_bits,
    f64_from_bits,
    f64_to_bits,
)
from wasmzero.internal.numeric.runtime import HELPERS
from wasmzero.internal.numeric.semantics import SEMANTICS, Sem
from wasmzero.internal.wasm.instructions import OPS

_BUILTINS = {"len": len, "int": int, "float": float, "abs": abs, "bool": bool}
_NS = dict(HELPERS, __builtins__=_BUILTINS)
_CACHE: dict[str, object] = {}

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
INF = math.inf
NAN = math.nan


def fn(name: str):
    f = _CACHE.get(name)
    if f is None:
        sem = SEMANTICS[name]
        f = eval("lambda a, b: " + sem.expr.format("a", "b"), _NS)
        _CACHE[name] = f
    return f


def run(name: str, a, b=None):
    return fn(name)(a, b)


def cond(name: str, a, b=None) -> bool:
    sem = SEMANTICS[name]
    return eval("lambda a, b: " + sem.cond.format("a", "b"), _NS)(a, b)


def trap_kind(name: str, a, b=None) -> TrapKind:
    with pytest.raises(Trap) as info:
        run(name, a, b)
    return info.value.kind


def s32(v: int) -> int:
    return v & M32


def s64(v: int) -> int:
    return v & M64


def f32(bits: int) -> float:
    return f32_from_bits(bits)


def b32(x: float) -> int:
    return f32_to_bits(x)


def b64(x: float) -> int:
    return f64_to_bits(x)


def is_arith_nan32(x: float) -> bool:
    b = b32(x)
    return (b & 0x7FC00000) == 0x7FC00000


def is_arith_nan64(x: float) -> bool:
    b = b64(x)
    return (b & 0x7FF8000000000000) == 0x7FF8000000000000


def is_neg_zero(x: float) -> bool:
    return x == 0.0 and math.copysign(1.0, x) < 0


def is_pos_zero(x: float) -> bool:
    return x == 0.0 and math.copysign(1.0, x) > 0


# -- coverage and shape ---------------------------------------------------------------------

SCALAR_NUMERIC = sorted(
    info.name
    for info in OPS.values()
    if info.imm == "none" and info.sig is not None and info.op < 0xFD00
)


def test_every_scalar_numeric_op_has_semantics():
    missing = [n for n in SCALAR_NUMERIC if n not in SEMANTICS]
    assert not missing
    assert len(SCALAR_NUMERIC) == 136
    assert set(SEMANTICS) == set(SCALAR_NUMERIC)


@pytest.mark.parametrize("name", SCALAR_NUMERIC)
def test_template_shape(name):
    sem = SEMANTICS[name]
    assert isinstance(sem, Sem)
    info = next(i for i in OPS.values() if i.name == name)
    n = len(info.sig[0])
    # Compiles, uses only the available names, references only its operands.
    fn(name)
    code = compile(sem.expr.format("a", "b"), "<t>", "eval")
    for g in code.co_names:
        assert g in _BUILTINS or g in HELPERS or g in ("a", "b", "bit_length", "bit_count"), g
    if n == 1:
        assert "{1}" not in sem.expr
    if sem.cond is not None:
        compile(sem.cond.format("a", "b"), "<t>", "eval")
    # Comparisons and eqz have a cond; nothing else does.
    op = name.split(".")[1]
    is_cmp = op in ("eqz", "eq", "ne", "lt", "gt", "le", "ge") or op[:3] in (
        "lt_",
        "gt_",
        "le_",
        "ge_",
    )
    assert (sem.cond is not None) == is_cmp, name


def test_may_trap_flags():
    trapping = {n for n, s in SEMANTICS.items() if s.may_trap}
    expected = {f"{t}.{op}" for t in ("i32", "i64") for op in ("div_s", "div_u", "rem_s", "rem_u")}
    expected |= {f"{t}.trunc_{f}_{s}" for t in ("i32", "i64") for f in ("f32", "f64") for s in "su"}
    assert trapping == expected


def test_templates_work_with_parenthesized_operands():
    # The translator passes atoms or parenthesized expressions.
    for name in ("i32.add", "i32.rotl", "i64.ctz", "i32.clz", "f64.neg", "i32.div_u"):
        sem = SEMANTICS[name]
        e = sem.expr.format("(a + 0)", "(b + 0)")
        f = eval("lambda a, b: " + e, _NS)
        assert f(6, 3) == run(name, 6, 3) if not name.startswith("f") else True


def test_constant_operands():
    # An integer literal operand must not produce "5.bit_length()".
    for name in SCALAR_NUMERIC:
        if name.startswith("i") and not any(x in name for x in ("trunc", "reinterpret")):
            sem = SEMANTICS[name]
            eval(sem.expr.format("5", "3"), _NS)


# -- comparisons ----------------------------------------------------------------------------

INT_CMP = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "gt": lambda a, b: a > b,
    "le": lambda a, b: a <= b,
    "ge": lambda a, b: a >= b,
}


@pytest.mark.parametrize("bits", [32, 64])
def test_int_comparisons(bits):
    t = f"i{bits}"
    m = (1 << bits) - 1
    half = 1 << (bits - 1)
    vals = [0, 1, 2, half - 1, half, half + 1, m - 1, m]
    for a in vals:
        for b in vals:
            sa, sb = (a ^ half) - half, (b ^ half) - half
            for op, ref in INT_CMP.items():
                if op in ("eq", "ne"):
                    names = [(f"{t}.{op}", ref(a, b))]
                else:
                    names = [(f"{t}.{op}_u", ref(a, b)), (f"{t}.{op}_s", ref(sa, sb))]
                for name, want in names:
                    assert run(name, a, b) == int(want), (name, a, b)
                    assert cond(name, a, b) == want, (name, a, b)
        assert run(f"{t}.eqz", a) == int(a == 0)
        assert cond(f"{t}.eqz", a) == (a == 0)


@pytest.mark.parametrize("t", ["f32", "f64"])
def test_float_comparisons(t):
    vals = [0.0, -0.0, 1.0, -1.0, 1.5, INF, -INF, NAN, -NAN]
    for a in vals:
        for b in vals:
            for op, ref in INT_CMP.items():
                want = ref(a, b)
                assert run(f"{t}.{op}", a, b) == int(want)
                assert cond(f"{t}.{op}", a, b) == want
    assert run(f"{t}.eq", 0.0, -0.0) == 1
    assert run(f"{t}.ne", NAN, NAN) == 1
    assert run(f"{t}.lt", -0.0, 0.0) == 0


# -- integer arithmetic ---------------------------------------------------------------------


def test_i32_arith():
    assert run("i32.add", M32, 1) == 0
    assert run("i32.add", 0x7FFFFFFF, 1) == 0x80000000
    assert run("i32.sub", 0, 1) == M32
    assert run("i32.mul", 0x10000, 0x10000) == 0
    assert run("i32.mul", 0x7FFFFFFF, M32) == 0x80000001
    assert run("i32.and", 0xF0F0, 0xFF00) == 0xF000
    assert run("i32.or", 0xF0F0, 0xFF00) == 0xFFF0
    assert run("i32.xor", 0xF0F0, 0xFF00) == 0x0FF0


def test_i64_arith():
    assert run("i64.add", M64, 1) == 0
    assert run("i64.sub", 0, 1) == M64
    assert run("i64.mul", 0x100000000, 0x100000000) == 0
    assert run("i64.mul", 0x7FFFFFFFFFFFFFFF, M64) == 0x8000000000000001


@pytest.mark.parametrize("bits", [32, 64])
def test_div_rem(bits):
    t = f"i{bits}"
    m = (1 << bits) - 1
    imin = 1 << (bits - 1)

    def u(v):
        return v & m

    assert run(f"{t}.div_s", u(7), u(2)) == 3
    assert run(f"{t}.div_s", u(-7), u(2)) == u(-3)
    assert run(f"{t}.div_s", u(7), u(-2)) == u(-3)
    assert run(f"{t}.div_s", u(-7), u(-2)) == 3
    assert run(f"{t}.div_s", u(-1), u(2)) == 0
    assert run(f"{t}.div_s", imin, u(2)) == u(-(imin // 2))
    assert run(f"{t}.div_s", imin, 1) == imin
    assert run(f"{t}.div_s", imin, imin) == 1
    assert trap_kind(f"{t}.div_s", imin, m) is TrapKind.INTEGER_OVERFLOW
    assert trap_kind(f"{t}.div_s", 1, 0) is TrapKind.INTEGER_DIVIDE_BY_ZERO
    assert trap_kind(f"{t}.div_s", 0, 0) is TrapKind.INTEGER_DIVIDE_BY_ZERO

    assert run(f"{t}.div_u", m, 2) == m // 2
    assert run(f"{t}.div_u", imin, m) == 0
    assert run(f"{t}.div_u", u(-7), u(-2)) == 0
    assert trap_kind(f"{t}.div_u", 1, 0) is TrapKind.INTEGER_DIVIDE_BY_ZERO

    assert run(f"{t}.rem_s", u(7), u(2)) == 1
    assert run(f"{t}.rem_s", u(-7), u(2)) == u(-1)
    assert run(f"{t}.rem_s", u(7), u(-2)) == 1
    assert run(f"{t}.rem_s", u(-7), u(-2)) == u(-1)
    assert run(f"{t}.rem_s", imin, m) == 0
    assert run(f"{t}.rem_s", imin, 2) == 0
    assert run(f"{t}.rem_s", imin, u(-3)) == u(-2)
    assert trap_kind(f"{t}.rem_s", 1, 0) is TrapKind.INTEGER_DIVIDE_BY_ZERO

    assert run(f"{t}.rem_u", m, 10) == m % 10
    assert run(f"{t}.rem_u", imin, m) == imin
    assert trap_kind(f"{t}.rem_u", 1, 0) is TrapKind.INTEGER_DIVIDE_BY_ZERO


def _ref_div_s(a, b, bits):
    half = 1 << (bits - 1)
    sa, sb = (a ^ half) - half, (b ^ half) - half
    q = Fraction(sa, sb)
    qi = math.floor(q) if q >= 0 else math.ceil(q)
    return qi, sa - qi * sb


@settings(max_examples=200, deadline=None)
@given(st.integers(0, M64), st.integers(1, M64), st.sampled_from([32, 64]))
def test_div_rem_random(a, b, bits):
    m = (1 << bits) - 1
    t = f"i{bits}"
    a &= m
    b &= m
    if b == 0:
        return
    q, r = _ref_div_s(a, b, bits)
    if q == 1 << (bits - 1):
        assert trap_kind(f"{t}.div_s", a, b) is TrapKind.INTEGER_OVERFLOW
    else:
        assert run(f"{t}.div_s", a, b) == q & m
    assert run(f"{t}.rem_s", a, b) == r & m
    assert run(f"{t}.div_u", a, b) == a // b
    assert run(f"{t}.rem_u", a, b) == a % b


@pytest.mark.parametrize("bits", [32, 64])
def test_bit_counting(bits):
    t = f"i{bits}"
    m = (1 << bits) - 1
    assert run(f"{t}.clz", 0) == bits
    assert run(f"{t}.clz", 1) == bits - 1
    assert run(f"{t}.clz", m) == 0
    assert run(f"{t}.clz", 1 << (bits - 1)) == 0
    assert run(f"{t}.ctz", 0) == bits
    assert run(f"{t}.ctz", 1) == 0
    assert run(f"{t}.ctz", 1 << (bits - 1)) == bits - 1
    assert run(f"{t}.ctz", 0x80) == 7
    assert run(f"{t}.popcnt", 0) == 0
    assert run(f"{t}.popcnt", m) == bits
    assert run(f"{t}.popcnt", 0xA5) == 4


@pytest.mark.parametrize("bits", [32, 64])
def test_shifts_rotates(bits):
    t = f"i{bits}"
    m = (1 << bits) - 1
    top = 1 << (bits - 1)
    assert run(f"{t}.shl", 1, 1) == 2
    assert run(f"{t}.shl", 1, bits) == 1  # count mod bits
    assert run(f"{t}.shl", 1, bits - 1) == top
    assert run(f"{t}.shl", m, 1) == m - 1
    assert run(f"{t}.shl", 1, m) == top
    assert run(f"{t}.shr_u", top, bits - 1) == 1
    assert run(f"{t}.shr_u", top, bits) == top
    assert run(f"{t}.shr_u", m, 1) == m >> 1
    assert run(f"{t}.shr_s", top, bits - 1) == m
    assert run(f"{t}.shr_s", top, 1) == top | (top >> 1)
    assert run(f"{t}.shr_s", top >> 1, 1) == top >> 2
    assert run(f"{t}.shr_s", m, bits + 5) == m
    assert run(f"{t}.shr_s", 4, bits + 1) == 2
    assert run(f"{t}.rotl", top | 1, 1) == 3
    assert run(f"{t}.rotl", 0xAB, 0) == 0xAB
    assert run(f"{t}.rotl", 0xAB, bits) == 0xAB
    assert run(f"{t}.rotl", 1, m) == top
    assert run(f"{t}.rotr", 3, 1) == top | 1
    assert run(f"{t}.rotr", 0xAB, 0) == 0xAB
    assert run(f"{t}.rotr", 1, bits + 1) == top
    assert run(f"{t}.rotr", top, m) == 1


@settings(max_examples=100, deadline=None)
@given(st.integers(0, M64), st.integers(0, M64), st.sampled_from([32, 64]))
def test_shifts_random(a, k, bits):
    m = (1 << bits) - 1
    t = f"i{bits}"
    a &= m
    k &= m
    n = k % bits
    half = 1 << (bits - 1)
    assert run(f"{t}.shl", a, k) == (a << n) & m
    assert run(f"{t}.shr_u", a, k) == a >> n
    assert run(f"{t}.shr_s", a, k) == (((a ^ half) - half) >> n) & m
    rl = ((a << n) | (a >> (bits - n))) & m
    assert run(f"{t}.rotl", a, k) == rl
    assert run(f"{t}.rotr", a, k) == ((a >> n) | (a << (bits - n))) & m
    assert run(f"{t}.ctz", a) == (bits if a == 0 else (a & -a).bit_length() - 1)
    assert run(f"{t}.popcnt", a) == bin(a).count("1")


def test_extensions():
    assert run("i32.extend8_s", 0x7F) == 0x7F
    assert run("i32.extend8_s", 0x80) == 0xFFFFFF80
    assert run("i32.extend8_s", 0x12345680) == 0xFFFFFF80
    assert run("i32.extend16_s", 0x8000) == 0xFFFF8000
    assert run("i32.extend16_s", 0x12347FFF) == 0x7FFF
    assert run("i64.extend8_s", 0xFF) == M64
    assert run("i64.extend8_s", 0x0123456789ABCD7F) == 0x7F
    assert run("i64.extend16_s", 0xFFFF8000) == 0xFFFFFFFFFFFF8000
    assert run("i64.extend32_s", 0x80000000) == 0xFFFFFFFF80000000
    assert run("i64.extend32_s", 0x123456787FFFFFFF) == 0x7FFFFFFF
    assert run("i64.extend_i32_s", 0x80000000) == 0xFFFFFFFF80000000
    assert run("i64.extend_i32_s", 0x7FFFFFFF) == 0x7FFFFFFF
    assert run("i64.extend_i32_u", 0x80000000) == 0x80000000
    assert run("i32.wrap_i64", 0x123456789ABCDEF0) == 0x9ABCDEF0
    assert run("i32.wrap_i64", M64) == M32


# -- float arithmetic -----------------------------------------------------------------------

F32_MAX = f32(0x7F7FFFFF)
F32_MIN_SUB = f32(1)
F32_SNAN = f32(0x7F800001)
F32_NAN_PAYLOAD = f32(0x7FC12345)


def test_f32_rounding_helper():
    r32 = HELPERS["_n_r32"]
    assert r32(1e39) == INF
    assert r32(-1e39) == -INF
    assert r32(1.0 + 2.0**-24) == 1.0  # tie to even
    assert r32(1.0 + 3 * 2.0**-24) == 1.0 + 2.0**-22
    assert r32(2.0**-150) == 0.0
    assert r32(2.0**-149 * 1.5) == 2.0**-148  # subnormal tie to even
    assert b32(r32(F32_NAN_PAYLOAD)) == 0x7FC12345
    assert is_neg_zero(r32(-0.0))


def test_f32_arith():
    assert run("f32.add", F32_MAX, F32_MAX) == INF
    assert run("f32.add", 1.0, 2.0**-24) == 1.0
    assert run("f32.add", 1.0, f32(0x33800001)) == f32(0x3F800001)
    assert run("f32.sub", 1.0, 1.0) == 0.0 and is_pos_zero(run("f32.sub", 1.0, 1.0))
    assert is_neg_zero(run("f32.add", -0.0, -0.0))
    assert run("f32.mul", F32_MIN_SUB, 0.5) == 0.0
    assert run("f32.mul", F32_MAX, 2.0) == INF
    assert run("f32.div", 1.0, 3.0) == f32(0x3EAAAAAB)
    assert run("f32.div", 1.0, 0.0) == INF
    assert run("f32.div", -1.0, 0.0) == -INF
    assert run("f32.div", 1.0, -0.0) == -INF
    assert run("f32.div", -1.0, -0.0) == INF
    assert is_arith_nan32(run("f32.div", 0.0, 0.0))
    assert is_arith_nan32(run("f32.div", INF, INF))
    assert is_arith_nan32(run("f32.add", INF, -INF))
    assert is_arith_nan32(run("f32.mul", 0.0, INF))
    for op in ("add", "sub", "mul", "div"):
        r = run(f"f32.{op}", F32_SNAN, 1.0)
        assert is_arith_nan32(r), op
        r = run(f"f32.{op}", 1.0, F32_NAN_PAYLOAD)
        assert b32(r) & 0x7FFFFFFF == 0x7FC12345, op
        assert is_arith_nan32(run(f"f32.{op}", F32_SNAN, 0.0)), op
    assert run("f32.sqrt", 4.0) == 2.0
    assert run("f32.sqrt", 2.0) == f32(0x3FB504F3)
    assert is_neg_zero(run("f32.sqrt", -0.0))
    assert run("f32.sqrt", INF) == INF
    assert is_arith_nan32(run("f32.sqrt", -1.0))
    assert is_arith_nan32(run("f32.sqrt", -INF))
    assert is_arith_nan32(run("f32.sqrt", F32_SNAN))
    assert b32(run("f32.sqrt", F32_NAN_PAYLOAD)) == 0x7FC12345


def test_f64_arith():
    assert run("f64.add", 1e308, 1e308) == INF
    assert run("f64.div", 1.0, 0.0) == INF
    assert run("f64.div", 1.0, -0.0) == -INF
    assert run("f64.div", -INF, 0.0) == -INF
    assert run("f64.div", 1e308, 1e-308) == INF
    assert math.isnan(run("f64.div", 0.0, -0.0))
    assert is_arith_nan64(run("f64.div", 0.0, 0.0))
    snan = f64_from_bits(0x7FF0000000000001)
    assert is_arith_nan64(run("f64.div", snan, 0.0))
    assert is_arith_nan64(run("f64.add", snan, 1.0))
    assert is_arith_nan64(run("f64.mul", 2.0, snan))
    assert run("f64.sqrt", 2.0) == math.sqrt(2.0)
    assert is_neg_zero(run("f64.sqrt", -0.0))
    assert is_arith_nan64(run("f64.sqrt", -2.0))
    assert is_arith_nan64(run("f64.sqrt", snan))
    assert run("f64.sqrt", INF) == INF


@pytest.mark.parametrize("t", ["f32", "f64"])
def test_sign_ops_keep_payload(t):
    if t == "f32":
        pats = [0x7F800001, 0xFFA00005, 0x7FC00000, 0x7FFFFFFF, 0x3F800000, 0x80000000]
        fr, to, sign = f32, b32, 0x80000000
    else:
        pats = [0x7FF0000000000001, 0xFFF4000000000ABC, 0x7FF8000000000000, 0x8000000000000000]
        fr, to, sign = f64_from_bits, b64, 0x8000000000000000
    for p in pats:
        x = fr(p)
        assert to(run(f"{t}.abs", x)) == p & ~sign
        assert to(run(f"{t}.neg", x)) == p ^ sign
        assert to(run(f"{t}.copysign", x, -1.0)) == p | sign
        assert to(run(f"{t}.copysign", x, 1.0)) == p & ~sign
        assert to(run(f"{t}.copysign", 1.0, x)) == to(1.0) | (p & sign)
        assert to(run(f"{t}.copysign", x, fr(sign | p))) == p | sign


@pytest.mark.parametrize("t", ["f32", "f64"])
def test_min_max(t):
    nan_ok = is_arith_nan32 if t == "f32" else is_arith_nan64
    mn, mx = f"{t}.min", f"{t}.max"
    assert is_neg_zero(run(mn, -0.0, 0.0))
    assert is_neg_zero(run(mn, 0.0, -0.0))
    assert is_pos_zero(run(mn, 0.0, 0.0))
    assert is_neg_zero(run(mn, -0.0, -0.0))
    assert is_pos_zero(run(mx, -0.0, 0.0))
    assert is_pos_zero(run(mx, 0.0, -0.0))
    assert is_neg_zero(run(mx, -0.0, -0.0))
    assert run(mn, 1.0, 2.0) == 1.0
    assert run(mn, 2.0, 1.0) == 1.0
    assert run(mx, 1.0, 2.0) == 2.0
    assert run(mn, -INF, INF) == -INF
    assert run(mx, -INF, INF) == INF
    assert run(mn, 3.0, 3.0) == 3.0
    snan = F32_SNAN if t == "f32" else f64_from_bits(0x7FF0000000000001)
    for a, b in [(NAN, 1.0), (1.0, NAN), (snan, 1.0), (1.0, snan), (NAN, snan), (snan, -INF)]:
        assert nan_ok(run(mn, a, b)), (a, b)
        assert nan_ok(run(mx, a, b)), (a, b)
    if t == "f32":
        assert b32(run(mn, F32_NAN_PAYLOAD, 0.0)) == 0x7FC12345


@pytest.mark.parametrize("t", ["f32", "f64"])
def test_rounding_ops(t):
    nan_ok = is_arith_nan32 if t == "f32" else is_arith_nan64
    cases = [
        # x: (ceil, floor, trunc, nearest)
        (0.5, (1.0, 0.0, 0.0, 0.0)),
        (-0.5, (-0.0, -1.0, -0.0, -0.0)),
        (1.5, (2.0, 1.0, 1.0, 2.0)),
        (2.5, (3.0, 2.0, 2.0, 2.0)),
        (-2.5, (-2.0, -3.0, -2.0, -2.0)),
        (-3.5, (-3.0, -4.0, -3.0, -4.0)),
        (-0.4, (-0.0, -1.0, -0.0, -0.0)),
        (0.4, (1.0, 0.0, 0.0, 0.0)),
        (-0.6, (-0.0, -1.0, -0.0, -1.0)),
        (0.0, (0.0, 0.0, 0.0, 0.0)),
        (-0.0, (-0.0, -0.0, -0.0, -0.0)),
        (INF, (INF, INF, INF, INF)),
        (-INF, (-INF, -INF, -INF, -INF)),
        (2.0**52 + 1, (2.0**52 + 1,) * 4),
        (-(2.0**60), (-(2.0**60),) * 4),
        (2.0**23 - 0.5, (2.0**23, 2.0**23 - 1, 2.0**23 - 1, 2.0**23)),
        (2.0**52 - 0.5, (2.0**52, 2.0**52 - 1, 2.0**52 - 1, 2.0**52)),
        (4.9e-324, (1.0, 0.0, 0.0, 0.0)),
    ]
    for x, want in cases:
        if t == "f32" and x != HELPERS["_n_r32"](x):
            continue
        for op, w in zip(("ceil", "floor", "trunc", "nearest"), want, strict=True):
            r = run(f"{t}.{op}", x)
            assert r == w and math.copysign(1, r) == math.copysign(1, w), (op, x, r)
    snan = F32_SNAN if t == "f32" else f64_from_bits(0x7FF0000000000001)
    for op in ("ceil", "floor", "trunc", "nearest"):
        assert nan_ok(run(f"{t}.{op}", snan))
        assert nan_ok(run(f"{t}.{op}", NAN))
        assert math.copysign(1, run(f"{t}.{op}", -NAN)) == -1


# -- conversions ----------------------------------------------------------------------------


def test_trapping_truncations():
    ok = {
        "i32.trunc_f64_s": [
            (-2147483648.9, 0x80000000),
            (2147483647.9, 0x7FFFFFFF),
            (-1.9, M32),
            (-0.9, 0),
            (1.9, 1),
        ],
        "i32.trunc_f64_u": [(4294967295.9, M32), (-0.9, 0), (2147483648.0, 0x80000000)],
        "i32.trunc_f32_s": [(-2147483648.0, 0x80000000), (f32(0x4EFFFFFF), 0x7FFFFF80)],
        "i32.trunc_f32_u": [(f32(0x4F7FFFFF), 0xFFFFFF00), (-0.99, 0)],
        "i64.trunc_f64_s": [
            (-9223372036854775808.0, 0x8000000000000000),
            (9223372036854774784.0, 0x7FFFFFFFFFFFFC00),
            (-1.5, M64),
        ],
        "i64.trunc_f64_u": [(18446744073709549568.0, 0xFFFFFFFFFFFFF800), (-0.9, 0)],
        "i64.trunc_f32_s": [(-9223372036854775808.0, 0x8000000000000000)],
        "i64.trunc_f32_u": [(f32(0x5F7FFFFF), 0xFFFFFF0000000000)],
    }
    for name, pairs in ok.items():
        for x, want in pairs:
            assert run(name, x) == want, (name, x)
    bad = {
        "i32.trunc_f64_s": [-2147483649.0, 2147483648.0, INF, -INF],
        "i32.trunc_f64_u": [-1.0, 4294967296.0, INF, -INF],
        "i32.trunc_f32_s": [2147483648.0, f32(0xCF000001)],
        "i32.trunc_f32_u": [4294967296.0, -1.0],
        "i64.trunc_f64_s": [9223372036854775808.0, -9223372036854777856.0],
        "i64.trunc_f64_u": [18446744073709551616.0, -1.0],
        "i64.trunc_f32_s": [9223372036854775808.0, f32(0xDF000001)],
        "i64.trunc_f32_u": [18446744073709551616.0, -1.0],
    }
    for name, xs in bad.items():
        for x in xs:
            assert trap_kind(name, x) is TrapKind.INTEGER_OVERFLOW, (name, x)
        assert trap_kind(name, NAN) is TrapKind.INVALID_CONVERSION
        assert trap_kind(name, -NAN) is TrapKind.INVALID_CONVERSION


def test_saturating_truncations():
    for f in ("f32", "f64"):
        assert run(f"i32.trunc_sat_{f}_s", NAN) == 0
        assert run(f"i32.trunc_sat_{f}_u", NAN) == 0
        assert run(f"i64.trunc_sat_{f}_s", NAN) == 0
        assert run(f"i64.trunc_sat_{f}_u", -NAN) == 0
        assert run(f"i32.trunc_sat_{f}_s", INF) == 0x7FFFFFFF
        assert run(f"i32.trunc_sat_{f}_s", -INF) == 0x80000000
        assert run(f"i32.trunc_sat_{f}_u", INF) == M32
        assert run(f"i32.trunc_sat_{f}_u", -INF) == 0
        assert run(f"i64.trunc_sat_{f}_s", INF) == 0x7FFFFFFFFFFFFFFF
        assert run(f"i64.trunc_sat_{f}_s", -INF) == 0x8000000000000000
        assert run(f"i64.trunc_sat_{f}_u", INF) == M64
        assert run(f"i64.trunc_sat_{f}_u", -1.0) == 0
        assert run(f"i32.trunc_sat_{f}_s", -1.5) == M32
        assert run(f"i32.trunc_sat_{f}_u", -0.5) == 0
        assert run(f"i32.trunc_sat_{f}_u", 4294967296.0) == M32
        assert run(f"i64.trunc_sat_{f}_s", 1e30) == 0x7FFFFFFFFFFFFFFF
        assert run(f"i64.trunc_sat_{f}_s", -1e30) == 0x8000000000000000
    assert run("i32.trunc_sat_f64_s", 2147483647.9) == 0x7FFFFFFF
    assert run("i32.trunc_sat_f64_s", 2147483648.0) == 0x7FFFFFFF
    assert run("i32.trunc_sat_f64_s", -2147483648.9) == 0x80000000
    assert run("i32.trunc_sat_f64_s", -2147483649.0) == 0x80000000
    assert run("i32.trunc_sat_f64_u", 4294967295.9) == M32


def _ref_round_to_f32(v: Fraction) -> float:
    """Round an exact rational to the nearest f32 (ties to even)."""
    if v == 0:
        return 0.0
    neg = v < 0
    v = abs(v)
    e = math.floor(math.log2(v)) if v.denominator == 1 else None
    if e is None:
        raise AssertionError("integers only")
    e = max(v.numerator.bit_length() - 1, -126)
    ulp = Fraction(2) ** (e - 23)
    q, r = divmod(v, ulp)
    q = int(q)
    if r > ulp / 2 or (r == ulp / 2 and q & 1):
        q += 1
    res = float(q * ulp)
    if res >= 2.0**128:
        res = INF
    return -res if neg else res


@pytest.mark.parametrize(
    "x",
    [
        0,
        1,
        0x1000001,
        0x1000003,
        0xFFFFFFFF,
        0x7FFFFFFF,
        0x80000000,
        (1 << 53) + 1,
        (1 << 53) + (1 << 29) + 1,  # double rounding trap: 2**53 + 2**29 + 1
        0x20000000000000 | (1 << 29),
        0x7FFFFFFFFFFFFFFF,
        0x8000000000000000,
        0xFFFFFFFFFFFFFFFF,
        0x8000008000000000,
        0x8000008000000001,
        0x800000BFFFFFFFFF,
        0xFFFFFF7FFFFFFFFF,
        0x0020000020000001,
        0x0020000010000000,
    ],
)
def test_int_to_f32(x):
    if x <= M32:
        assert run("f32.convert_i32_u", x) == _ref_round_to_f32(Fraction(x))
        sx = (x ^ 0x80000000) - 0x80000000
        assert run("f32.convert_i32_s", x) == _ref_round_to_f32(Fraction(sx))
    assert run("f32.convert_i64_u", x) == _ref_round_to_f32(Fraction(x))
    sx = (x ^ 0x8000000000000000) - 0x8000000000000000
    assert run("f32.convert_i64_s", x) == _ref_round_to_f32(Fraction(sx))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 63), st.integers(0, M64))
def test_i64_to_f32_random(shift, x):
    x >>= shift
    assert run("f32.convert_i64_u", x) == _ref_round_to_f32(Fraction(x))
    sx = (x ^ 0x8000000000000000) - 0x8000000000000000
    assert run("f32.convert_i64_s", x) == _ref_round_to_f32(Fraction(sx))


def test_int_to_f64():
    assert run("f64.convert_i32_s", 0x80000000) == -2147483648.0
    assert run("f64.convert_i32_u", 0x80000000) == 2147483648.0
    assert run("f64.convert_i64_s", M64) == -1.0
    assert run("f64.convert_i64_s", 0x8000000000000000) == -(2.0**63)
    assert run("f64.convert_i64_u", M64) == 2.0**64
    assert run("f64.convert_i64_u", (1 << 53) + 1) == 2.0**53  # tie to even
    assert run("f64.convert_i64_u", (1 << 53) + 3) == 2.0**53 + 4
    assert run("f64.convert_i64_u", 0x8000000000000401) == 2.0**63 + 2048


def test_demote_promote():
    assert run("f32.demote_f64", 1e39) == INF
    assert run("f32.demote_f64", -1e39) == -INF
    assert run("f32.demote_f64", 1e-50) == 0.0
    assert is_neg_zero(run("f32.demote_f64", -1e-50))
    assert run("f32.demote_f64", 0.1) == f32(0x3DCCCCCD)
    assert run("f32.demote_f64", float.fromhex("0x1.fffffefffffffp+127")) == F32_MAX
    assert run("f32.demote_f64", float.fromhex("0x1.ffffffp+127")) == INF
    assert b32(run("f32.demote_f64", NAN)) & 0x7FFFFFFF == 0x7FC00000
    assert is_arith_nan32(run("f32.demote_f64", f64_from_bits(0x7FF0000000000001)))
    assert b32(run("f32.demote_f64", f64_from_bits(0x7FF4000020000000))) == 0x7FE00001
    assert run("f64.promote_f32", F32_MAX) == F32_MAX
    assert is_neg_zero(run("f64.promote_f32", -0.0))
    assert run("f64.promote_f32", -INF) == -INF
    assert b64(run("f64.promote_f32", f32(0x7FC00000))) == 0x7FF8000000000000
    assert b64(run("f64.promote_f32", f32(0xFFC00000))) == 0xFFF8000000000000
    assert is_arith_nan64(run("f64.promote_f32", F32_SNAN))
    assert b64(run("f64.promote_f32", F32_NAN_PAYLOAD)) == 0x7FC12345 - 0x7FC00000 << 29 | (
        0x7FF8000000000000
    )


def test_reinterpret():
    for p in (0, 0x80000000, 0x3F800000, 0x7F800001, 0xFFA00001, 0x7FC00000, 0x00000001):
        x = run("f32.reinterpret_i32", p)
        assert run("i32.reinterpret_f32", x) == p
    for p in (0, 0x8000000000000000, 0x7FF0000000000001, 0xFFF8000000000123, 1, M64):
        x = run("f64.reinterpret_i64", p)
        assert run("i64.reinterpret_f64", x) == p
    assert run("f32.reinterpret_i32", 0x3F800000) == 1.0
    assert run("i64.reinterpret_f64", 1.0) == 0x3FF0000000000000


# -- comparison with wasmtime ---------------------------------------------------------------

_WAT = """
(module
  (func (export "i32.div_s") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "i64.rem_s") (param i64 i64) (result i64)
    (i64.rem_s (local.get 0) (local.get 1)))
  (func (export "f32.add") (param i32 i32) (result i32)
    (i32.reinterpret_f32 (f32.add (f32.reinterpret_i32 (local.get 0))
                                  (f32.reinterpret_i32 (local.get 1)))))
  (func (export "f32.nearest") (param i32) (result i32)
    (i32.reinterpret_f32 (f32.nearest (f32.reinterpret_i32 (local.get 0)))))
  (func (export "i64.trunc_sat_f64_s") (param i64) (result i64)
    (i64.trunc_sat_f64_s (f64.reinterpret_i64 (local.get 0))))
  (func (export "f32.demote_f64") (param i64) (result i32)
    (i32.reinterpret_f32 (f32.demote_f64 (f64.reinterpret_i64 (local.get 0)))))
  (func (export "f32.convert_i64_u") (param i64) (result i32)
    (i32.reinterpret_f32 (f32.convert_i64_u (local.get 0))))
  (func (export "f32.convert_i64_s") (param i64) (result i32)
    (i32.reinterpret_f32 (f32.convert_i64_s (local.get 0))))
)
"""

_WT: dict[str, object] = {}


@pytest.fixture(autouse=True, scope="module")
def _release_wasmtime():
    yield
    # Drop the wasmtime objects before interpreter shutdown.
    _WT.clear()
    gc.collect()


def _wasmtime():
    if not _WT:
        wasmtime = pytest.importorskip("wasmtime")
        store = wasmtime.Store()
        module = wasmtime.Module(store.engine, wasmtime.wat2wasm(_WAT))
        inst = wasmtime.Instance(store, module, [])
        _WT["store"] = store
        _WT["exports"] = inst.exports(store)
        _WT["trap"] = wasmtime.Trap
    return _WT


def _signed(v: int, bits: int) -> int:
    half = 1 << (bits - 1)
    return (v ^ half) - half


def _wt_call(name, *args):
    wt = _wasmtime()
    try:
        return wt["exports"][name](wt["store"], *args)
    except wt["trap"]:
        return "trap"


def _ours(name, *args):
    try:
        return run(name, *args)
    except Trap:
        return "trap"


_EDGE32 = [0, 1, 2, 3, 0x7FFFFFFF, 0x80000000, 0x80000001, M32, M32 - 1]
_EDGE64 = [0, 1, 2, 3, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, M64, M64 - 1]
_EDGEF32 = [
    0,
    0x80000000,
    0x3F000000,  # 0.5
    0x3FC00000,  # 1.5
    0x40200000,  # 2.5
    0xBF000000,  # -0.5
    0x4B000001,
    0x4AFFFFFF,
    0x7F7FFFFF,
    0x7F800000,
    0xFF800000,
    0x7F800001,
    0x7FC00000,
    0xFFC12345,
    1,
    0x807FFFFF,
]
_EDGEF64 = [
    0,
    0x8000000000000000,
    f64_to_bits(9223372036854775807.0),
    f64_to_bits(-9223372036854775808.0),
    f64_to_bits(-9223372036854777856.0),
    f64_to_bits(1e39),
    f64_to_bits(3.4028235677973366e38),
    f64_to_bits(float.fromhex("0x1.fffffefffffffp+127")),
    0x7FF0000000000000,
    0xFFF0000000000000,
    0x7FF0000000000001,
    0x7FF8000000000000,
    0x7FF4000020000000,
    1,
]

i32s = st.one_of(st.sampled_from(_EDGE32), st.integers(0, M32))
i64s = st.one_of(st.sampled_from(_EDGE64), st.integers(0, M64), st.integers(0, 1 << 40))
f32bits = st.one_of(
    st.sampled_from(_EDGEF32),
    st.integers(0, M32),
    st.floats(width=32, allow_nan=False).map(lambda x: b32(x)),
)
f64bits = st.one_of(
    st.sampled_from(_EDGEF64),
    st.integers(0, M64),
    st.floats(allow_nan=False).map(f64_to_bits),
)

_WT_SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _same_f32(ours: int, ref: int) -> None:
    if (ref & 0x7F800000) == 0x7F800000 and ref & 0x7FFFFF:
        # NaN: ours must be an arithmetic (quiet) NaN too.
        assert (ours & 0x7FC00000) == 0x7FC00000, (hex(ours), hex(ref))
    else:
        assert ours == ref, (hex(ours), hex(ref))


@_WT_SETTINGS
@given(i32s, i32s)
def test_wasmtime_i32_div_s(a, b):
    ref = _wt_call("i32.div_s", _signed(a, 32), _signed(b, 32))
    ours = _ours("i32.div_s", a, b)
    assert ours == (ref if ref == "trap" else ref & M32)


@_WT_SETTINGS
@given(i64s, i64s)
def test_wasmtime_i64_rem_s(a, b):
    ref = _wt_call("i64.rem_s", _signed(a, 64), _signed(b, 64))
    ours = _ours("i64.rem_s", a, b)
    assert ours == (ref if ref == "trap" else ref & M64)


@_WT_SETTINGS
@given(f32bits, f32bits)
def test_wasmtime_f32_add(a, b):
    ref = _wt_call("f32.add", _signed(a, 32), _signed(b, 32)) & M32
    ours = b32(run("f32.add", f32(a), f32(b)))
    _same_f32(ours, ref)


@_WT_SETTINGS
@given(f32bits)
def test_wasmtime_f32_nearest(a):
    ref = _wt_call("f32.nearest", _signed(a, 32)) & M32
    ours = b32(run("f32.nearest", f32(a)))
    _same_f32(ours, ref)


@_WT_SETTINGS
@given(f64bits)
def test_wasmtime_i64_trunc_sat_f64_s(a):
    ref = _wt_call("i64.trunc_sat_f64_s", _signed(a, 64)) & M64
    assert run("i64.trunc_sat_f64_s", f64_from_bits(a)) == ref


@_WT_SETTINGS
@given(f64bits)
def test_wasmtime_f32_demote_f64(a):
    ref = _wt_call("f32.demote_f64", _signed(a, 64)) & M32
    ours = b32(run("f32.demote_f64", f64_from_bits(a)))
    _same_f32(ours, ref)


@_WT_SETTINGS
@given(i64s)
def test_wasmtime_f32_convert_i64(a):
    for name in ("f32.convert_i64_u", "f32.convert_i64_s"):
        ref = _wt_call(name, _signed(a, 64)) & M32
        assert b32(run(name, a)) == ref, (name, hex(a))
