"""The inverse of the decoder's primitives: unsigned LEB128, sections and
names, for building binary modules by hand (tests, benchmarks).

See https://webassembly.github.io/spec/core/binary/values.html#integers
"""

from __future__ import annotations


def uleb128(n: int) -> bytes:
    """``n`` (>= 0) as unsigned LEB128."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def section(sid: int, payload: bytes) -> bytes:
    """A section: its id, its size, its payload."""
    return bytes([sid]) + uleb128(len(payload)) + payload


def name(s: str | bytes) -> bytes:
    """A name: its UTF-8 length, then its bytes (``bytes`` kept as given)."""
    b = s.encode() if isinstance(s, str) else s
    return uleb128(len(b)) + b
