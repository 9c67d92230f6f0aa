"""Conversions between value representations and IEEE bit patterns.

Runtime representation of values (shared by engines, the API's raw path and
the spec runner):

- i32, i64: Python ints, unsigned (0 <= v < 2**N).
- f64: Python float.
- f32: Python float holding exactly the f32 value. A NaN's 23-bit payload is
  kept in the top payload bits of the double (f32 bits ``s|0xff|m`` become
  double bits ``s|0x7ff|m << 29``) so that sign, quiet bit and payload survive
  every bitwise operation (locals, loads, stores, ``neg``, ``abs``,
  ``copysign``, ``reinterpret``). The C float<->double conversion is never
  used on NaNs because it quiets signalling NaNs.
- v128: Python int, unsigned 128-bit, lane 0 in the low bits.
- funcref / externref: None for null, else an object.
"""

from __future__ import annotations

import struct

_pack_f = struct.Struct("<f").pack
_unpack_f = struct.Struct("<f").unpack
_pack_I = struct.Struct("<I").pack
_unpack_I = struct.Struct("<I").unpack
_pack_d = struct.Struct("<d").pack
_unpack_d = struct.Struct("<d").unpack
_pack_Q = struct.Struct("<Q").pack
_unpack_Q = struct.Struct("<Q").unpack


def f32_from_bits(b: int) -> float:
    """The f32 value (as a Python float) of a 32-bit IEEE pattern."""
    if (b & 0x7F800000) == 0x7F800000 and b & 0x7FFFFF:
        return _unpack_d(
            _pack_Q(((b & 0x80000000) << 32) | 0x7FF0000000000000 | ((b & 0x7FFFFF) << 29))
        )[0]
    return _unpack_f(_pack_I(b))[0]


def f32_to_bits(x: float) -> int:
    """The 32-bit IEEE pattern of an f32 value held in a Python float."""
    if x != x:
        d = _unpack_Q(_pack_d(x))[0]
        m = (d >> 29) & 0x7FFFFF
        return ((d >> 32) & 0x80000000) | 0x7F800000 | (m or 0x400000)
    return _unpack_I(_pack_f(x))[0]


def f64_from_bits(b: int) -> float:
    return _unpack_d(_pack_Q(b))[0]


def f64_to_bits(x: float) -> int:
    return _unpack_Q(_pack_d(x))[0]
