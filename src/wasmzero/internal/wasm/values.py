"""Conversions between Python values (the typed API) and the runtime
representation (the raw API), per value type.

Typed: i32/i64 are returned signed and accepted signed or unsigned within
range; f32/f64 are floats (an f32 argument is rounded to f32); v128 is an
unsigned 128-bit int; references are None or an object.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from .types import EXTERNREF, F32, F64, FUNCREF, I32, I64, V128, valtype_name

_f32 = struct.Struct("<f")


def _to_i32(v: Any) -> int:
    if type(v) is int and 0 <= v <= 0xFFFFFFFF:
        return v
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"expected an int for i32, got {type(v).__name__}")
    if not -0x80000000 <= v <= 0xFFFFFFFF:
        raise TypeError(f"{v} is out of range for i32")
    return v & 0xFFFFFFFF


def _to_i64(v: Any) -> int:
    if type(v) is int and 0 <= v <= 0xFFFFFFFFFFFFFFFF:
        return v
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"expected an int for i64, got {type(v).__name__}")
    if not -0x8000000000000000 <= v <= 0xFFFFFFFFFFFFFFFF:
        raise TypeError(f"{v} is out of range for i64")
    return v & 0xFFFFFFFFFFFFFFFF


def round_f32(x: float) -> float:
    """Round a float to the nearest f32 (overflow to infinity; NaN kept)."""
    if x != x:
        return x
    try:
        return _f32.unpack(_f32.pack(x))[0]
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


def _to_f32(v: Any) -> float:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise TypeError(f"expected a float for f32, got {type(v).__name__}")
    return round_f32(float(v))


def _to_f64(v: Any) -> float:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise TypeError(f"expected a float for f64, got {type(v).__name__}")
    return float(v)


def _to_v128(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 1 << 128:
        raise TypeError("expected an unsigned 128-bit int for v128")
    return v


def _to_ref(v: Any) -> Any:
    return v


def _from_i32(v: int) -> int:
    return v - 0x100000000 if v & 0x80000000 else v


def _from_i64(v: int) -> int:
    return v - 0x10000000000000000 if v & 0x8000000000000000 else v


def _ident(v: Any) -> Any:
    return v


TO_RAW: dict[int, Callable[[Any], Any]] = {
    I32: _to_i32,
    I64: _to_i64,
    F32: _to_f32,
    F64: _to_f64,
    V128: _to_v128,
    FUNCREF: _to_ref,
    EXTERNREF: _to_ref,
}
FROM_RAW: dict[int, Callable[[Any], Any]] = {
    I32: _from_i32,
    I64: _from_i64,
    F32: _ident,
    F64: _ident,
    V128: int,
    FUNCREF: _ident,
    EXTERNREF: _ident,
}


_RAW_INT_BITS = {I32: 32, I64: 64, V128: 128}


def check_raw(t: int, v: Any) -> Any:
    """``v`` if it is a valid raw value of type ``t`` (an unsigned int of
    the width for i32/i64/v128, a float for f32/f64), else TypeError."""
    bits = _RAW_INT_BITS.get(t)
    if bits is not None:
        if type(v) is not int or not 0 <= v < 1 << bits:
            raise TypeError(f"raw {valtype_name(t)} must be an int in [0, 2**{bits}), got {v!r}")
        return v
    if t == F32 or t == F64:
        if type(v) is not float:
            raise TypeError(f"raw {valtype_name(t)} must be a float, got {type(v).__name__}")
        return v
    return v


def check_raw_for(t: int) -> Callable[[Any], Any]:
    """:func:`check_raw` for one type, as a one-argument function."""
    return lambda v: check_raw(t, v)


def raw_results(result: Any, n: int) -> list[Any]:
    """A function's return value (None, one value, or a tuple) as a list."""
    if n == 0:
        return []
    if n == 1:
        return [result]
    return list(result)


def describe(types: tuple[int, ...]) -> str:
    return "(" + ", ".join(valtype_name(t) for t in types) + ")"


def args_converter(types: tuple[int, ...]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]] | None:
    """One function converting a whole argument tuple (None when there are
    no arguments): unrolled for the common arities, where a generic loop
    would cost more than the conversions themselves."""
    cs = [TO_RAW[t] for t in types]
    n = len(cs)
    if n == 0:
        return None
    if n == 1:
        (c0,) = cs
        return lambda a: (c0(a[0]),)
    if n == 2:
        c0, c1 = cs
        return lambda a: (c0(a[0]), c1(a[1]))
    if n == 3:
        c0, c1, c2 = cs
        return lambda a: (c0(a[0]), c1(a[1]), c2(a[2]))
    return lambda a: tuple([c(x) for c, x in zip(cs, a)])  # noqa: B905 - same length
