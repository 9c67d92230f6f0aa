"""The semantics of the SIMD (v128) instructions as Python expression templates.

``SIMD_SEMANTICS[name]`` is a :class:`~.semantics.Sem` like the scalar
``SEMANTICS``: ``{0}``, ``{1}``, ``{2}`` are the operands in wasm order and
``{imm}`` is the immediate rendered as a Python literal by the caller (the lane
index for ``lane`` and ``memarg_lane``, a tuple of 16 ints for
``i8x16.shuffle``). For memory instructions ``{0}`` is the effective address
(base + offset) and ``M`` is the memory's bytearray; stores are expressions
used as statements. ``v128.const`` has no entry (it is a literal).

Templates call the ``_v_*`` helpers of :data:`SIMD_HELPERS` (plus the scalar
``HELPERS`` and the builtins ``len``, ``int``, ``float``, ``abs``, ``bool``).

Values follow ``bits.py``: v128 is an unsigned 128-bit int with lane 0 in the
low bits. Each instruction is defined once over a lane :class:`Shape` by a
per-lane function; where a scalar instruction has the same lane semantics,
that function is the scalar template of ``SEMANTICS`` compiled once.
Lanes of i8x16/i16x8 are handed to the i32 scalar semantics zero-extended
(view ``"u"``) or sign-extended to 32 bits (view ``"x"``), which preserves
the unsigned and the signed order respectively; results are masked back to
the lane width when lanes are joined.
"""

from __future__ import annotations

import re
import struct
from array import array
from collections.abc import Callable, Sequence

from ...errors import Trap, TrapKind
from .bits import f32_from_bits, f32_to_bits
from .runtime import HELPERS
from .semantics import SEMANTICS, Sem

__all__ = ["SIMD_SEMANTICS", "SIMD_HELPERS", "Shape", "SHAPES"]

M128 = (1 << 128) - 1
_OOB = TrapKind.MEMORY_OUT_OF_BOUNDS
_BUILTINS = {"len": len, "int": int, "float": float, "abs": abs, "bool": bool}
_SCALAR_NS = dict(HELPERS, __builtins__=_BUILTINS)

SIMD_SEMANTICS: dict[str, Sem] = {}
SIMD_HELPERS: dict[str, object] = {}


# -- lane machinery -----------------------------------------------------------------------


class Shape:
    """A lane interpretation of a v128: ``i8x16``, ..., ``f64x2``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.is_float = name[0] == "f"
        self.bits = int(name[1 : name.index("x")])
        self.count = 128 // self.bits
        self.bytes = self.bits // 8
        self.mask = (1 << self.bits) - 1
        self.sign = 1 << (self.bits - 1)
        self.ucode = {8: "B", 16: "H", 32: "I", 64: "Q"}[self.bits]
        self.scode = self.ucode.lower()
        # The scalar type whose semantics apply to a lane (int lanes narrower
        # than 32 bits are handled as i32 values).
        if self.is_float:
            self.scalar = name[:3]
        else:
            self.scalar = "i64" if self.bits == 64 else "i32"
        self.smask = 0xFFFFFFFFFFFFFFFF if self.scalar == "i64" else 0xFFFFFFFF
        self.smin = -self.sign
        self.smax = self.sign - 1

    def __repr__(self) -> str:
        return f"Shape({self.name!r})"

    # Views: v128 -> list of lanes.
    def u(self, v: int) -> list[int]:
        """Unsigned integer lanes (the lane bit patterns)."""
        return memoryview(v.to_bytes(16, "little")).cast(self.ucode).tolist()

    def s(self, v: int) -> list[int]:
        """Signed integer lanes (negative Python ints)."""
        return memoryview(v.to_bytes(16, "little")).cast(self.scode).tolist()

    def x(self, v: int) -> list[int]:
        """Signed lanes sign-extended to the scalar type (unsigned i32/i64 values)."""
        m = self.smask
        return [a & m for a in self.s(v)]

    def f(self, v: int) -> list[float]:
        """Float lanes in the scalar representation of ``bits.py``."""
        if self.bits == 32:
            return [f32_from_bits(b) for b in self.u(v)]
        return memoryview(v.to_bytes(16, "little")).cast("d").tolist()

    def view(self, kind: str) -> Callable[[int], list]:
        return {"u": self.u, "s": self.s, "x": self.x, "f": self.f}[kind]

    # Joins: lanes -> v128.
    def join(self, lanes: Sequence[int]) -> int:
        """Integer lanes (any ints: each is taken modulo 2**bits) to a v128."""
        m = self.mask
        return int.from_bytes(array(self.ucode, [a & m for a in lanes]).tobytes(), "little")

    def fjoin(self, lanes: Sequence[float]) -> int:
        """Float lanes (scalar representation) to a v128."""
        if self.bits == 32:
            return int.from_bytes(array("I", [f32_to_bits(a) for a in lanes]).tobytes(), "little")
        return int.from_bytes(array("d", lanes).tobytes(), "little")

    def joiner(self, kind: str) -> Callable[[Sequence], int]:
        return self.fjoin if kind == "f" else self.join

    def splat_mask(self, lane: int) -> int:
        """The v128 with every lane equal to ``lane`` (an unsigned pattern)."""
        return sum(lane << (i * self.bits) for i in range(self.count))


SHAPES: dict[str, Shape] = {
    n: Shape(n) for n in ("i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2")
}
I8, I16, I32, I64, F32, F64 = (
    SHAPES[n] for n in ("i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2")
)


def scalar(name: str) -> Callable:
    """The scalar instruction ``name`` of ``SEMANTICS`` compiled to a lambda.

    Comparisons give ``-1`` (all ones once masked) for true and ``0`` for false.
    """
    sem = SEMANTICS[name]
    if sem.cond is not None and "eqz" not in name:
        body = "-1 if (" + sem.cond.format("a", "b") + ") else 0"
    else:
        body = sem.expr.format("a", "b")
    return eval("lambda a, b=None: " + body, _SCALAR_NS)


def _flt_view(shape: Shape) -> str:
    return "f" if shape.is_float else "u"


def lanewise1(shape: Shape, fn: Callable, view: str | None = None, out: str | None = None):
    """v -> v applying ``fn`` to every lane."""
    split = shape.view(view or _flt_view(shape))
    join = shape.joiner(out or _flt_view(shape))
    return lambda a: join(list(map(fn, split(a))))


def lanewise2(shape: Shape, fn: Callable, view: str | None = None, out: str | None = None):
    """(v, v) -> v applying ``fn`` to every pair of corresponding lanes."""
    split = shape.view(view or _flt_view(shape))
    join = shape.joiner(out or _flt_view(shape))
    return lambda a, b: join(list(map(fn, split(a), split(b))))


def convert(src: Shape, fn: Callable, dst: Shape, *, low: bool = False, zero: bool = False):
    """v -> v: ``fn`` on the lanes of ``src`` (all, or the low half), giving the
    lanes of ``dst`` (padded with zero lanes if ``zero``)."""
    split = src.view(_flt_view(src))
    join = dst.joiner(_flt_view(dst))
    pad = [0.0 if dst.is_float else 0] * (dst.count - src.count) if zero else []
    if low:
        half = dst.count
        return lambda a: join([fn(x) for x in split(a)[:half]])
    return lambda a: join([fn(x) for x in split(a)] + pad)


# -- registration -------------------------------------------------------------------------


def _hname(name: str) -> str:
    return "_v_" + (name[5:] if name.startswith("v128.") else name.replace(".", "_"))


def define(
    name: str,
    fn: Callable,
    arity: int,
    *,
    imm: bool = False,
    mem: bool = False,
    trap: bool = False,
    cond: str | None = None,
) -> None:
    """Register ``fn`` as the helper of ``name`` and a template calling it."""
    h = _hname(name)
    SIMD_HELPERS[h] = fn
    args = (["M"] if mem else []) + [f"{{{i}}}" for i in range(arity)] + (["{imm}"] if imm else [])
    SIMD_SEMANTICS[name] = Sem(f"{h}({', '.join(args)})", trap, cond)


def inline(name: str, expr: str, cond: str | None = None) -> None:
    SIMD_SEMANTICS[name] = Sem(expr, False, cond)


def _sat(lo: int, hi: int) -> Callable[[int], int]:
    return lambda x: lo if x < lo else hi if x > hi else x


# -- whole-vector bitwise ops -------------------------------------------------------------

_ALL = hex(M128).upper().replace("0X", "0x")
inline("v128.not", f"{{0}} ^ {_ALL}")
inline("v128.and", "{0} & {1}")
inline("v128.andnot", "{0} & ~{1}")
inline("v128.or", "{0} | {1}")
inline("v128.xor", "{0} ^ {1}")
inline("v128.bitselect", "{1} ^ (({0} ^ {1}) & {2})")
inline("v128.any_true", "1 if {0} else 0", "{0} != 0")


# -- splat, lanes, shuffle, swizzle -------------------------------------------------------


def _lane_ops(sh: Shape) -> None:
    n, b, m = sh.name, sh.bits, hex(sh.mask).upper().replace("0X", "0x")
    ones = sh.splat_mask(1)
    # splat: the lane pattern times 0x...0101 (one 1 per lane).
    if sh.is_float:
        to_bits = "_n_f32_to_bits({0})" if b == 32 else "_n_unpack_Q(_n_pack_d({0}))[0]"
        inline(f"{n}.splat", f"{to_bits.format('{0}')} * {hex(ones)}")
        from_bits = "_n_f32_from_bits" if b == 32 else "_v_f64_from_bits"
        inline(f"{n}.extract_lane", f"{from_bits}(({{0}} >> {{imm}} * {b}) & {m})")
        inline(
            f"{n}.replace_lane",
            f"({{0}} & ~({m} << {{imm}} * {b})) | ({to_bits.format('{1}')} << {{imm}} * {b})",
        )
        return
    inline(f"{n}.splat", f"({{0}} & {m}) * {hex(ones)}")
    if b < 32:
        s = hex(sh.sign)
        inline(f"{n}.extract_lane_u", f"({{0}} >> {{imm}} * {b}) & {m}")
        inline(
            f"{n}.extract_lane_s",
            f"(((({{0}} >> {{imm}} * {b}) & {m}) ^ {s}) - {s}) & 0xFFFFFFFF",
        )
    else:
        inline(f"{n}.extract_lane", f"({{0}} >> {{imm}} * {b}) & {m}")
    inline(
        f"{n}.replace_lane",
        f"({{0}} & ~({m} << {{imm}} * {b})) | (({{1}} & {m}) << {{imm}} * {b})",
    )


SIMD_HELPERS["_v_f64_from_bits"] = lambda b: HELPERS["_n_unpack_d"](HELPERS["_n_pack_Q"](b))[0]
for _sh in SHAPES.values():
    _lane_ops(_sh)


def _shuffle(a: int, b: int, idx: Sequence[int]) -> int:
    ab = a.to_bytes(16, "little") + b.to_bytes(16, "little")
    return int.from_bytes(bytes([ab[i] for i in idx]), "little")


def _swizzle(a: int, s: int) -> int:
    ab = a.to_bytes(16, "little")
    return int.from_bytes(
        bytes([ab[i] if i < 16 else 0 for i in s.to_bytes(16, "little")]), "little"
    )


define("i8x16.shuffle", _shuffle, 2, imm=True)
define("i8x16.swizzle", _swizzle, 2)


# -- integer lane ops ---------------------------------------------------------------------


def _int_ops(sh: Shape) -> None:
    n, t = sh.name, sh.scalar
    lo, hi, um = sh.smin, sh.smax, sh.mask
    # Comparisons: unsigned order on zero-extended lanes, signed order on
    # lanes sign-extended to the scalar width.
    for op in ("eq", "ne", "lt_s", "gt_s", "le_s", "ge_s", "lt_u", "gt_u", "le_u", "ge_u"):
        view = "x" if op.endswith("_s") else "u"
        define(f"{n}.{op}", lanewise2(sh, scalar(f"{t}.{op}"), view), 2)
    # Wrapping arithmetic.
    for op in ("add", "sub", "mul"):
        define(f"{n}.{op}", lanewise2(sh, scalar(f"{t}.{op}")), 2)
    sub = scalar(f"{t}.sub")
    define(f"{n}.neg", lanewise1(sh, lambda a: sub(0, a)), 1)
    define(f"{n}.abs", lanewise1(sh, abs, "s"), 1)  # INT_MIN stays INT_MIN
    define(f"{n}.popcnt", lanewise1(sh, scalar(f"{t}.popcnt")), 1)
    # Saturating arithmetic.
    ss, us = _sat(lo, hi), _sat(0, um)
    define(f"{n}.add_sat_s", lanewise2(sh, lambda a, b: ss(a + b), "s"), 2)
    define(f"{n}.add_sat_u", lanewise2(sh, lambda a, b: us(a + b), "u"), 2)
    define(f"{n}.sub_sat_s", lanewise2(sh, lambda a, b: ss(a - b), "s"), 2)
    define(f"{n}.sub_sat_u", lanewise2(sh, lambda a, b: us(a - b), "u"), 2)
    define(f"{n}.min_s", lanewise2(sh, min, "s"), 2)
    define(f"{n}.min_u", lanewise2(sh, min, "u"), 2)
    define(f"{n}.max_s", lanewise2(sh, max, "s"), 2)
    define(f"{n}.max_u", lanewise2(sh, max, "u"), 2)
    define(f"{n}.avgr_u", lanewise2(sh, lambda a, b: (a + b + 1) >> 1, "u"), 2)
    define(f"{n}.q15mulr_sat_s", lanewise2(sh, lambda a, b: ss((a * b + 0x4000) >> 15), "s"), 2)
    # Shifts: the count is taken modulo the lane width, then the scalar shift
    # (whose own count mask is a no-op) applies to the lane.
    k = sh.bits - 1
    for op, view in (("shl", "u"), ("shr_s", "x"), ("shr_u", "u")):
        f, split, join = scalar(f"{t}.{op}"), sh.view(view), sh.join

        def shift(a: int, c: int, f=f, split=split, join=join) -> int:
            c &= k
            return join([f(x, c) for x in split(a)])

        define(f"{n}.{op}", shift, 2)
    # Reductions to i32.
    signed = sh.s

    def all_true(a: int, split=sh.u) -> int:
        return 1 if all(split(a)) else 0

    def bitmask(a: int, split=signed) -> int:
        r = 0
        for i, x in enumerate(split(a)):
            if x < 0:
                r |= 1 << i
        return r

    define(f"{n}.all_true", all_true, 1, cond=f"{_hname(n + '.all_true')}({{0}}) != 0")
    define(f"{n}.bitmask", bitmask, 1)


for _sh in (I8, I16, I32, I64):
    _int_ops(_sh)


def _wide_ops(src: Shape, dst: Shape) -> None:
    """Ops taking lanes of ``src`` to lanes of twice the width (``dst``)."""
    n, sn = dst.name, src.name
    half = dst.count
    for sfx in ("s", "u"):
        split = src.view(sfx)

        def ext_low(a: int, split=split) -> int:
            return dst.join(split(a)[:half])

        def ext_high(a: int, split=split) -> int:
            return dst.join(split(a)[half:])

        def extmul_low(a: int, b: int, split=split) -> int:
            return dst.join([x * y for x, y in zip(split(a)[:half], split(b)[:half], strict=True)])

        def extmul_high(a: int, b: int, split=split) -> int:
            return dst.join([x * y for x, y in zip(split(a)[half:], split(b)[half:], strict=True)])

        define(f"{n}.extend_low_{sn}_{sfx}", ext_low, 1)
        define(f"{n}.extend_high_{sn}_{sfx}", ext_high, 1)
        define(f"{n}.extmul_low_{sn}_{sfx}", extmul_low, 2)
        define(f"{n}.extmul_high_{sn}_{sfx}", extmul_high, 2)

        def extadd(a: int, split=split) -> int:
            xs = split(a)
            return dst.join([x + y for x, y in zip(xs[0::2], xs[1::2], strict=True)])

        define(f"{n}.extadd_pairwise_{sn}_{sfx}", extadd, 1)

    # Narrowing goes the other way: lanes of dst (signed) to saturated lanes of src.
    for sfx, sat in (("s", _sat(src.smin, src.smax)), ("u", _sat(0, src.mask))):

        def narrow(a: int, b: int, sat=sat) -> int:
            return src.join([sat(x) for x in dst.s(a) + dst.s(b)])

        define(f"{sn}.narrow_{n}_{sfx}", narrow, 2)


_wide_ops(I8, I16)
_wide_ops(I16, I32)
_wide_ops(I32, I64)


def _dot(a: int, b: int) -> int:
    p = [x * y for x, y in zip(I16.s(a), I16.s(b), strict=True)]
    return I32.join([x + y for x, y in zip(p[0::2], p[1::2], strict=True)])


define("i32x4.dot_i16x8_s", _dot, 2)
# Keep only the instructions the SIMD table has (the generic loops above define
# a few that wasm lacks, e.g. i64x2.lt_u or i32x4.add_sat_s); see _prune below.


# -- float lane ops -----------------------------------------------------------------------


def _float_ops(sh: Shape) -> None:
    n, t = sh.name, sh.scalar
    sign = sh.splat_mask(sh.sign)
    # Pure sign-bit operations on the lane bits: NaN payloads are kept.
    inline(f"{n}.neg", f"{{0}} ^ {hex(sign)}")
    inline(f"{n}.abs", f"{{0}} & {hex(sign ^ M128)}")
    for op in ("eq", "ne", "lt", "gt", "le", "ge"):
        define(f"{n}.{op}", lanewise2(sh, scalar(f"{t}.{op}"), "f", "i"), 2)
    for op in ("add", "sub", "mul", "div", "min", "max"):
        define(f"{n}.{op}", lanewise2(sh, scalar(f"{t}.{op}")), 2)
    for op in ("sqrt", "ceil", "floor", "trunc", "nearest"):
        define(f"{n}.{op}", lanewise1(sh, scalar(f"{t}.{op}")), 1)
    # pmin: b < a ? b : a; pmax: a < b ? b : a (operands returned as they are).
    define(f"{n}.pmin", lanewise2(sh, lambda a, b: b if b < a else a), 2)
    define(f"{n}.pmax", lanewise2(sh, lambda a, b: b if a < b else a), 2)


_float_ops(F32)
_float_ops(F64)

# -- conversions --------------------------------------------------------------------------

for _s in ("s", "u"):
    define(f"i32x4.trunc_sat_f32x4_{_s}", convert(F32, scalar(f"i32.trunc_sat_f32_{_s}"), I32), 1)
    define(f"f32x4.convert_i32x4_{_s}", convert(I32, scalar(f"f32.convert_i32_{_s}"), F32), 1)
    define(
        f"i32x4.trunc_sat_f64x2_{_s}_zero",
        convert(F64, scalar(f"i32.trunc_sat_f64_{_s}"), I32, zero=True),
        1,
    )
    define(
        f"f64x2.convert_low_i32x4_{_s}",
        convert(I32, scalar(f"f64.convert_i32_{_s}"), F64, low=True),
        1,
    )
define("f32x4.demote_f64x2_zero", convert(F64, scalar("f32.demote_f64"), F32, zero=True), 1)
define("f64x2.promote_low_f32x4", convert(F32, scalar("f64.promote_f32"), F64, low=True), 1)


# -- memory -------------------------------------------------------------------------------


def _oob() -> None:
    raise Trap(_OOB)


def _v_load(M: bytearray, a: int) -> int:
    if a + 16 > len(M):
        _oob()
    return int.from_bytes(M[a : a + 16], "little")


def _v_store(M: bytearray, a: int, v: int) -> None:
    if a + 16 > len(M):
        _oob()
    M[a : a + 16] = v.to_bytes(16, "little")


define("v128.load", _v_load, 1, mem=True, trap=True)
define("v128.store", _v_store, 2, mem=True, trap=True)


def _load_extend(src: Shape, dst: Shape, kind: str):
    """Load 8 bytes as dst.count lanes of half dst's width, extended."""
    code = src.ucode if kind == "u" else src.scode
    join = dst.join

    def load(M: bytearray, a: int) -> int:
        if a + 8 > len(M):
            _oob()
        return join(memoryview(bytes(M[a : a + 8])).cast(code).tolist())

    return load


for _src, _dst in ((I8, I16), (I16, I32), (I32, I64)):
    for _k in ("s", "u"):
        define(
            f"v128.load{_src.bits}x{_dst.count}_{_k}",
            _load_extend(_src, _dst, _k),
            1,
            mem=True,
            trap=True,
        )


def _mem_lane_ops(sh: Shape) -> None:
    nb, b, m, ones = sh.bytes, sh.bits, sh.mask, sh.splat_mask(1)

    def splat(M: bytearray, a: int) -> int:
        if a + nb > len(M):
            _oob()
        return int.from_bytes(M[a : a + nb], "little") * ones

    def load_lane(M: bytearray, a: int, v: int, i: int) -> int:
        if a + nb > len(M):
            _oob()
        s = i * b
        return (v & ~(m << s)) | (int.from_bytes(M[a : a + nb], "little") << s)

    def store_lane(M: bytearray, a: int, v: int, i: int) -> None:
        if a + nb > len(M):
            _oob()
        M[a : a + nb] = ((v >> (i * b)) & m).to_bytes(nb, "little")

    define(f"v128.load{b}_splat", splat, 1, mem=True, trap=True)
    define(f"v128.load{b}_lane", load_lane, 2, mem=True, trap=True, imm=True)
    define(f"v128.store{b}_lane", store_lane, 2, mem=True, trap=True, imm=True)
    if b >= 32:

        def load_zero(M: bytearray, a: int) -> int:
            if a + nb > len(M):
                _oob()
            return int.from_bytes(M[a : a + nb], "little")

        define(f"v128.load{b}_zero", load_zero, 1, mem=True, trap=True)


for _sh in (I8, I16, I32, I64):
    _mem_lane_ops(_sh)


# -- fast paths -----------------------------------------------------------------------------
#
# The definitions above are the reference semantics. The hottest instructions
# of vectorised code get faster implementations of the same semantics below;
# ``SIMD_REFERENCE`` keeps the reference templates so tests can check that both
# agree on every input they try.

SIMD_REFERENCE: dict[str, Sem] = {}


def _fast(name: str, sem: Sem) -> None:
    SIMD_REFERENCE[name] = SIMD_SEMANTICS[name]
    SIMD_SEMANTICS[name] = sem


_ALL = (1 << 128) - 1
for _sh in (I8, I16, I32, I64):
    # SWAR: add/sub the low bits of every lane at once, then fix the top bit
    # of each lane, so no carry or borrow crosses a lane boundary.
    _h = _sh.splat_mask(_sh.sign)
    _lo = _ALL ^ _h
    _fast(
        f"{_sh.name}.add", Sem(f"((({{0}} & {_lo}) + ({{1}} & {_lo})) ^ (({{0}} ^ {{1}}) & {_h}))")
    )
    _fast(
        f"{_sh.name}.sub", Sem(f"((({{0}} | {_h}) - ({{1}} & {_lo})) ^ (~({{0}} ^ {{1}}) & {_h}))")
    )

_u4 = struct.Struct("<4I").unpack
_p4 = struct.Struct("<4I").pack
_f4 = struct.Struct("<4f").unpack
_d2 = struct.Struct("<2d").unpack
_p2d = struct.Struct("<2d").pack


def _i32x4_mul(a: int, b: int) -> int:
    x0, x1, x2, x3 = _u4(a.to_bytes(16, "little"))
    y0, y1, y2, y3 = _u4(b.to_bytes(16, "little"))
    m = 0xFFFFFFFF
    return int.from_bytes(_p4(x0 * y0 & m, x1 * y1 & m, x2 * y2 & m, x3 * y3 & m), "little")


SIMD_HELPERS["_v_i32x4_mul_fast"] = _i32x4_mul
_fast("i32x4.mul", Sem("_v_i32x4_mul_fast({0}, {1})"))


def _f32x4_binop(op: str) -> Callable[[int, int], int]:
    # Each lane computed in double and rounded once to f32 by array('f')
    # (a C cast: round to nearest even, overflow to infinity); NaN inputs give
    # quiet NaNs, as the reference does.
    src = (
        "def f(a, b):\n"
        "    x0, x1, x2, x3 = _f4(a.to_bytes(16, 'little'))\n"
        "    y0, y1, y2, y3 = _f4(b.to_bytes(16, 'little'))\n"
        f"    return int.from_bytes(_array('f', (x0 {op} y0, x1 {op} y1, x2 {op} y2, x3 {op} y3))"
        ".tobytes(), 'little')\n"
    )
    ns: dict[str, object] = {"_f4": _f4, "_array": array}
    exec(src, ns)  # noqa: S102 - our own constant source
    return ns["f"]  # type: ignore[return-value]


def _f64x2_binop(op: str) -> Callable[[int, int], int]:
    src = (
        "def f(a, b):\n"
        "    x0, x1 = _d2(a.to_bytes(16, 'little'))\n"
        "    y0, y1 = _d2(b.to_bytes(16, 'little'))\n"
        f"    return int.from_bytes(_p2d(x0 {op} y0, x1 {op} y1), 'little')\n"
    )
    ns: dict[str, object] = {"_d2": _d2, "_p2d": _p2d}
    exec(src, ns)  # noqa: S102 - our own constant source
    return ns["f"]  # type: ignore[return-value]


for _op, _sym in (("add", "+"), ("sub", "-"), ("mul", "*")):
    SIMD_HELPERS[f"_v_f32x4_{_op}_fast"] = _f32x4_binop(_sym)
    _fast(f"f32x4.{_op}", Sem(f"_v_f32x4_{_op}_fast({{0}}, {{1}})"))
    SIMD_HELPERS[f"_v_f64x2_{_op}_fast"] = _f64x2_binop(_sym)
    _fast(f"f64x2.{_op}", Sem(f"_v_f64x2_{_op}_fast({{0}}, {{1}})"))


# Whole-vector loads and stores: struct checks the bounds (its error becomes
# the out-of-bounds trap at the call boundary, like the scalar loads).
SIMD_HELPERS["_v_ld16"] = struct.Struct("16s").unpack_from
SIMD_HELPERS["_v_st16"] = struct.Struct("16s").pack_into
_fast("v128.load", Sem("int.from_bytes(_v_ld16(M, {0})[0], 'little')", True))
_fast("v128.store", Sem("_v_st16(M, {0}, ({1}).to_bytes(16, 'little'))", True))

_s4 = struct.Struct("<4i").unpack


def _i32x4_shl(a: int, c: int) -> int:
    c &= 31
    x0, x1, x2, x3 = _u4(a.to_bytes(16, "little"))
    m = 0xFFFFFFFF
    return int.from_bytes(_p4(x0 << c & m, x1 << c & m, x2 << c & m, x3 << c & m), "little")


def _i32x4_shr_s(a: int, c: int) -> int:
    c &= 31
    x0, x1, x2, x3 = _s4(a.to_bytes(16, "little"))
    m = 0xFFFFFFFF
    return int.from_bytes(_p4(x0 >> c & m, x1 >> c & m, x2 >> c & m, x3 >> c & m), "little")


def _i32x4_shr_u(a: int, c: int) -> int:
    c &= 31
    x0, x1, x2, x3 = _u4(a.to_bytes(16, "little"))
    return int.from_bytes(_p4(x0 >> c, x1 >> c, x2 >> c, x3 >> c), "little")


for _name, _fn in (("shl", _i32x4_shl), ("shr_s", _i32x4_shr_s), ("shr_u", _i32x4_shr_u)):
    SIMD_HELPERS[f"_v_i32x4_{_name}_fast"] = _fn
    _fast(f"i32x4.{_name}", Sem(f"_v_i32x4_{_name}_fast({{0}}, {{1}})"))

# -- keep exactly the table's instructions ------------------------------------------------


def _prune() -> None:
    from ..wasm.instructions_simd import TABLE

    names = {line.split()[1] for line in TABLE.strip().splitlines()}
    for name in list(SIMD_SEMANTICS):
        if name not in names:
            del SIMD_SEMANTICS[name]
    used = set()
    for s in [*SIMD_SEMANTICS.values(), *SIMD_REFERENCE.values()]:
        used.update(re.findall(r"_v_\w+", s.expr + " " + (s.cond or "")))
    for h in list(SIMD_HELPERS):
        if h not in used:
            del SIMD_HELPERS[h]


_prune()
