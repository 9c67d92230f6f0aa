"""Facts about values that the emitters derive while emitting: ranges of
integers (``lo``/``hi``), linear forms of addresses, alignment facts of
locals, and how they join where control flow meets.
"""

from __future__ import annotations

from typing import Any

from .values import V, _balanced_outer

_RAW_BITS = 256


def _int_const(v: V) -> bool:
    """Whether ``v`` is an integer constant (False for a variable)."""
    return v.simple and v.e.isdigit()


def _nonzero_const(v: V) -> bool:
    return v.simple and v.e.isdigit() and int(v.e) != 0


# facts: a local's known alignment is under _AL_FACT + x (its range under x,
# its alias under ~x).
_AL_FACT = 1 << 24


def _join_facts(paths: list[dict[int, Any]]) -> dict[int, Any]:
    """The ranges of locals known on each of ``paths``, widened to cover all;
    the aliases (negative keys) that every path has."""
    if not paths:
        return {}
    joined = dict(paths[0])
    for p in paths[1:]:
        for x, f in list(joined.items()):
            r = p.get(x)
            if r is None or (x < 0 and r != f):
                del joined[x]
            elif r != f:
                joined[x] = (min(f[0], r[0]), max(f[1], r[1]))
    return joined


def _reads(lin: tuple[tuple[tuple[str, int, int], ...], int], name: str) -> bool:
    return any(t[0] == name for t in lin[0])


def _bound(name: str, args: list[V]) -> int | None:
    """An upper bound of the result of a non-wrapping operation, if it is
    known to be small (bit counts, shifts right and remainders by
    constants)."""
    op = name[4:]
    if op in ("clz", "ctz", "popcnt"):
        return 32 if name[:3] == "i32" else 64
    if op in ("shr_u", "rem_u") and _int_const(args[1]):
        c = int(args[1].e)
        if op == "rem_u":
            return c - 1 if c else None
        full = 0xFFFFFFFF if name[:3] == "i32" else 0xFFFFFFFFFFFFFFFF
        top = full if args[0].hi is None else args[0].hi
        return top >> (c & (31 if name[:3] == "i32" else 63))
    return None


def _bounded(name: str, args: list[V], width: int) -> tuple[str, int, int] | None:
    """``(expression, upper bound, lower bound)`` of an
    ``add``/``sub``/``mul``/``shl`` whose operands' bounds keep the exact
    result within ``width`` bits, or of an ``x + c``/``x - c`` whose range
    of ``x`` makes it always wrap around."""
    op = name[4:]
    if op not in ("add", "sub", "mul", "shl") or name == "i32.wrap_i64":
        return None
    a, b = args
    limit = 1 << width
    if op in ("add", "sub"):
        shifted = _shifted_range(op, a, b, limit)
        if shifted is not None:
            return shifted
    if op == "sub":
        # c - v with v <= c: never below zero.
        if _int_const(a) and b.hi is not None and b.hi <= int(a.e):
            x = _clz_operand(b.e, width) if int(a.e) == width else None
            if x is not None:
                # width - clz(x): the bit length (malloc's size classes)
                return f"{x}.bit_length()", width, 0
            return f"({a.e} - {b.e})", int(a.e), 0
        return None
    if a.hi is None or (b.hi is None and op != "shl"):
        return None
    if op == "add":
        hi = a.hi + b.hi
        e = f"({a.e} + {b.e})"
    elif op == "mul":
        hi = a.hi * b.hi
        e = f"({a.e} * {b.e})"
    elif _int_const(b):
        k = int(b.e) & (width - 1)
        hi = a.hi << k
        e = f"({a.e} << {k})"
    elif b.hi is not None and b.hi < width and b.raw is None:
        hi = a.hi << b.hi
        e = f"({a.e} << {b.e})"
    else:  # a variable shift count: at most width - 1
        hi = a.hi << (width - 1)
        n = b.raw if b.raw is not None and b.rbits <= _RAW_BITS else b.e  # (its low bits)
        e = f"({a.e} << ({n} & {width - 1}))"
    return (e, hi, 0) if hi < limit else None


def _clz_operand(e: str, width: int) -> str | None:
    """``(x)`` of an expression ``(width - (x).bit_length())`` (a clz)."""
    pre, suf = f"({width} - ", ".bit_length())"
    if e.startswith(pre) and e.endswith(suf):
        x = e[len(pre) : -len(suf)]
        if _balanced_outer(x):
            return x
    return None


def _shifted_range(op: str, a: V, b: V, limit: int) -> tuple[str, int, int] | None:
    """``x + c`` or ``x - c`` (``x`` with a known range, ``c`` a constant)
    as one exact operation when the range says whether it wraps around."""
    if op == "add" and _int_const(a) and not _int_const(b):
        a, b = b, a
    if a.hi is None or not a.lo or not _int_const(b) or _int_const(a):
        return None
    c = int(b.e)
    if op == "sub":
        c = (limit - c) % limit
    lo, hi = a.lo + c, a.hi + c
    if lo >= limit:  # always wraps: subtract
        d = limit - c
        return f"({a.e} - {d})", hi - limit, lo - limit
    if hi < limit:  # never wraps
        return f"({a.e} + {c})", hi, lo
    return None


def _lin_of(v: V) -> tuple[tuple[tuple[str, int, int], ...], int] | None:
    """V.lin of a value used as it is: a constant, or one term."""
    if v.e.isdigit():
        return (), int(v.e)
    return ((v.e, 0, v.al),), 0


def _lin_combine(op: str, args: list[V]) -> tuple[tuple[tuple[str, int, int], ...], int] | None:
    """V.lin of the raw sum or left shift of ``args`` (each taken as its
    raw form if it has one, as in _numeric_wrapping)."""
    a, b = (v.lin if v.raw is not None and v.rbits <= _RAW_BITS else _lin_of(v) for v in args)
    if a is None or b is None:
        return None
    if op == "add":
        return a[0] + b[0], a[1] + b[1]
    if op == "shl" and _int_const(args[1]):
        k = int(args[1].e) & 31
        return tuple((n, s + k, al) for n, s, al in a[0]), a[1] << k
    return None
