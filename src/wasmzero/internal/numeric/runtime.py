"""Helpers called by the numeric instruction templates of ``semantics.py``.

Every name here starts with ``_n_``; generated code gets them through
:data:`HELPERS` (name -> object). Values follow the representation of
``bits.py``: i32/i64 as unsigned ints, f64 as floats, f32 as floats holding
an exact f32 value (NaN payload in the top payload bits of the double).
"""

from __future__ import annotations

import math
import struct

from ...errors import Trap, TrapKind
from .bits import f32_from_bits, f32_to_bits

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_INF = math.inf
_NAN = math.nan  # canonical (default) NaN
_copysign = math.copysign
_sqrt = math.sqrt
_ceil = math.ceil
_floor = math.floor

_DIV0 = TrapKind.INTEGER_DIVIDE_BY_ZERO
_OVERFLOW = TrapKind.INTEGER_OVERFLOW
_INVALID = TrapKind.INVALID_CONVERSION

# |x| >= 2**52: every such double is an integer.
_BIG = 4503599627370496.0


# -- f32 rounding -------------------------------------------------------------------------

# One f32 slot: storing a double rounds it (C conversion), reading widens it.
# A memoryview of format "f" rather than an array("f"): the same conversion,
# a fifth cheaper per round trip (array parses its item with PyArg_Parse).
F32_CELL = memoryview(bytearray(4)).cast("f")


def _n_r32(x: float) -> float:
    """Round a double to f32 once (nearest-even; overflow gives inf; NaN keeps
    the top 23 payload bits, quieted)."""
    F32_CELL[0] = x
    return F32_CELL[0]


# -- integer division ---------------------------------------------------------------------


def _n_div0() -> int:
    raise Trap(_DIV0)


def _n_i32_div_s(a: int, b: int) -> int:
    if b == 0:
        raise Trap(_DIV0)
    a = (a ^ 0x80000000) - 0x80000000
    b = (b ^ 0x80000000) - 0x80000000
    if (a < 0) == (b < 0):
        q = abs(a) // abs(b)
        if q == 0x80000000:
            raise Trap(_OVERFLOW)
        return q
    return -(abs(a) // abs(b)) & _M32


def _n_i64_div_s(a: int, b: int) -> int:
    if b == 0:
        raise Trap(_DIV0)
    a = (a ^ 0x8000000000000000) - 0x8000000000000000
    b = (b ^ 0x8000000000000000) - 0x8000000000000000
    if (a < 0) == (b < 0):
        q = abs(a) // abs(b)
        if q == 0x8000000000000000:
            raise Trap(_OVERFLOW)
        return q
    return -(abs(a) // abs(b)) & _M64


def _n_i32_rem_s(a: int, b: int) -> int:
    if b == 0:
        raise Trap(_DIV0)
    a = (a ^ 0x80000000) - 0x80000000
    b = (b ^ 0x80000000) - 0x80000000
    if a < 0:
        return -(-a % abs(b)) & _M32
    return a % abs(b)


def _n_i64_rem_s(a: int, b: int) -> int:
    if b == 0:
        raise Trap(_DIV0)
    a = (a ^ 0x8000000000000000) - 0x8000000000000000
    b = (b ^ 0x8000000000000000) - 0x8000000000000000
    if a < 0:
        return -(-a % abs(b)) & _M64
    return a % abs(b)


# -- float unary ops ----------------------------------------------------------------------


def _n_fsqrt(x: float) -> float:
    if x >= 0.0:  # includes -0.0 (sqrt(-0.0) == -0.0) and +inf
        return _sqrt(x)
    if x != x:
        return x + 0.0  # quiet, payload kept
    return _NAN


def _n_f32_sqrt(x: float) -> float:
    if x >= 0.0:
        F32_CELL[0] = _sqrt(x)
        return F32_CELL[0]
    if x != x:
        return x + 0.0
    return _NAN


def _n_fceil(x: float) -> float:
    if -_BIG < x < _BIG:
        r = float(_ceil(x))
        return r if r else x * 0.0  # a zero result takes the sign of x
    return x + 0.0  # integral already, inf, or NaN (quieted)


def _n_ffloor(x: float) -> float:
    if -_BIG < x < _BIG:
        r = float(_floor(x))
        return r if r else x * 0.0
    return x + 0.0


def _n_ftrunc(x: float) -> float:
    if -_BIG < x < _BIG:
        r = float(int(x))
        return r if r else x * 0.0
    return x + 0.0


def _n_fnearest(x: float) -> float:
    if -_BIG < x < _BIG:
        r = float(round(x))  # round half to even
        return r if r else x * 0.0
    return x + 0.0


# -- float binary ops ---------------------------------------------------------------------


def _n_fmin(a: float, b: float) -> float:
    if a < b:
        return a
    if b < a:
        return b
    if a == b:
        return a if a else -(-a - b)  # zeros: -0.0 if either is -0.0
    return a + b  # a NaN operand: quiet NaN


def _n_fmax(a: float, b: float) -> float:
    if a > b:
        return a
    if b > a:
        return b
    if a == b:
        return a if a else a + b  # zeros: +0.0 unless both are -0.0
    return a + b


def _n_fdiv(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        return _fdiv0(a, b)


def _n_f32_div(a: float, b: float) -> float:
    try:
        F32_CELL[0] = a / b
    except ZeroDivisionError:
        return _fdiv0(a, b)
    return F32_CELL[0]


def _fdiv0(a: float, b: float) -> float:
    """a / b for b == +-0.0 (Python raises there)."""
    if a != a:
        return a + 0.0
    if a == 0.0:
        return _NAN
    return _copysign(_INF, a) * _copysign(1.0, b)


# -- conversions --------------------------------------------------------------------------


def _n_f32_convert_u64(x: int) -> float:
    """The f32 nearest (ties to even) to the unsigned integer x, rounded once."""
    if x < 0x20000000000000:  # < 2**53: float(x) is exact
        F32_CELL[0] = float(x)
        return F32_CELL[0]
    shift = x.bit_length() - 26
    # 24 significant bits + guard bit + sticky bit: rounding to 24 bits is
    # then the same as rounding x itself.
    keep = (x >> shift) | (1 if x & ((1 << shift) - 1) else 0)
    F32_CELL[0] = float(keep << shift)
    return F32_CELL[0]


def _n_f32_convert_s64(x: int) -> float:
    if x & 0x8000000000000000:
        return -_n_f32_convert_u64(0x10000000000000000 - x)
    return _n_f32_convert_u64(x)


def _trunc_fail(x: float) -> int:
    if x != x:
        raise Trap(_INVALID)
    raise Trap(_OVERFLOW)


def _n_trunc_i32_s(x: float) -> int:
    if -2147483649.0 < x < 2147483648.0:
        return int(x) & _M32
    return _trunc_fail(x)


def _n_trunc_i32_u(x: float) -> int:
    if -1.0 < x < 4294967296.0:
        return int(x)
    return _trunc_fail(x)


def _n_trunc_i64_s(x: float) -> int:
    if -9223372036854775808.0 <= x < 9223372036854775808.0:
        return int(x) & _M64
    return _trunc_fail(x)


def _n_trunc_i64_u(x: float) -> int:
    if -1.0 < x < 18446744073709551616.0:
        return int(x)
    return _trunc_fail(x)


def _n_trunc_sat_i32_s(x: float) -> int:
    if -2147483649.0 < x < 2147483648.0:
        return int(x) & _M32
    if x != x:
        return 0
    return 0x7FFFFFFF if x > 0.0 else 0x80000000


def _n_trunc_sat_i32_u(x: float) -> int:
    if -1.0 < x < 4294967296.0:
        return int(x)
    if x > 0.0:
        return _M32
    return 0  # NaN or negative


def _n_trunc_sat_i64_s(x: float) -> int:
    if -9223372036854775808.0 <= x < 9223372036854775808.0:
        return int(x) & _M64
    if x != x:
        return 0
    return 0x7FFFFFFFFFFFFFFF if x > 0.0 else 0x8000000000000000


def _n_trunc_sat_i64_u(x: float) -> int:
    if -1.0 < x < 18446744073709551616.0:
        return int(x)
    if x > 0.0:
        return _M64
    return 0


HELPERS: dict[str, object] = {
    "_n_r32": _n_r32,
    "_n_div0": _n_div0,
    "_n_i32_div_s": _n_i32_div_s,
    "_n_i64_div_s": _n_i64_div_s,
    "_n_i32_rem_s": _n_i32_rem_s,
    "_n_i64_rem_s": _n_i64_rem_s,
    "_n_fsqrt": _n_fsqrt,
    "_n_sqrt": _sqrt,
    "_n_f32_sqrt": _n_f32_sqrt,
    "_n_fceil": _n_fceil,
    "_n_ffloor": _n_ffloor,
    "_n_ftrunc": _n_ftrunc,
    "_n_fnearest": _n_fnearest,
    "_n_fmin": _n_fmin,
    "_n_fmax": _n_fmax,
    "_n_fdiv": _n_fdiv,
    "_n_f32_div": _n_f32_div,
    "_n_copysign": _copysign,
    "_n_f32_convert_u64": _n_f32_convert_u64,
    "_n_f32_convert_s64": _n_f32_convert_s64,
    "_n_trunc_i32_s": _n_trunc_i32_s,
    "_n_trunc_i32_u": _n_trunc_i32_u,
    "_n_trunc_i64_s": _n_trunc_i64_s,
    "_n_trunc_i64_u": _n_trunc_i64_u,
    "_n_trunc_sat_i32_s": _n_trunc_sat_i32_s,
    "_n_trunc_sat_i32_u": _n_trunc_sat_i32_u,
    "_n_trunc_sat_i64_s": _n_trunc_sat_i64_s,
    "_n_trunc_sat_i64_u": _n_trunc_sat_i64_u,
    "_n_f32_to_bits": f32_to_bits,
    "_n_f32_from_bits": f32_from_bits,
    "_n_pack_d": struct.Struct("<d").pack,
    "_n_unpack_d": struct.Struct("<d").unpack,
    "_n_pack_Q": struct.Struct("<Q").pack,
    "_n_unpack_Q": struct.Struct("<Q").unpack,
}
