"""The namespace of runtime helpers that engines run in.

Each instance has one namespace (``ModuleInstance.ns``): the helpers every
instance shares (loads and stores, ``call_indirect``'s checks, table access,
the numeric helpers of ``numeric.runtime``), the instance's own memory,
tables, globals and functions under fixed names (``M``, ``T0``, ``g0``/``G0``,
``f0``/``F0``, ``TY0``), the typed memory views (``MVI``...) and the helpers
bound to its memory, tables and segments (``_grow``, ``_mcopy``, ``_tinit``...).
Translated code runs with it as its globals; the interpreter evaluates the
shared instruction templates (``semantics.py``) in it. The namespace's
``__builtins__`` holds only a few pure functions (``len``, ``int``,
``float``, ``abs``, ``bool``, ``range``, ``zip``): translated code needs
nothing else.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

from ...errors import Trap, TrapKind
from ..numeric.bits import f32_from_bits, f32_to_bits, f64_from_bits
from ..wasm.store import ModuleInstance

_S = struct.Struct


def _trap_unreachable() -> Trap:
    return Trap(TrapKind.UNREACHABLE)


def _ci(table: list, i: int, tid: int) -> Any:
    """``call_indirect``: the callee after the spec's checks."""
    try:
        e = table[i]
    except IndexError:
        raise Trap(TrapKind.UNDEFINED_ELEMENT) from None
    if e is None:
        raise Trap(TrapKind.UNINITIALIZED_ELEMENT)
    if e.type_id != tid:
        raise Trap(TrapKind.INDIRECT_CALL_TYPE_MISMATCH)
    return e.fn


_ldI = _S("<I").unpack_from


def _ldf32(mem: bytearray, a: int) -> float:
    return f32_from_bits(_ldI(mem, a)[0])


_stI = _S("<I").pack_into


def _stf32(mem: bytearray, a: int, v: float) -> None:
    _stI(mem, a, f32_to_bits(v))


def _tget(table: list, i: int) -> Any:
    if i >= len(table):
        raise Trap(TrapKind.TABLE_OUT_OF_BOUNDS)
    return table[i]


def _tset(table: list, i: int, v: Any) -> None:
    if i >= len(table):
        raise Trap(TrapKind.TABLE_OUT_OF_BOUNDS)
    table[i] = v


def _base_namespace() -> dict[str, Any]:
    from ..numeric.runtime import F32_CELL, HELPERS

    ns: dict[str, Any] = dict(HELPERS)
    ns.update(
        _ldI=_ldI,
        _ldQ=_S("<Q").unpack_from,
        _ldd=_S("<d").unpack_from,
        _ldb=_S("<b").unpack_from,
        _ldh=_S("<h").unpack_from,
        _ldH=_S("<H").unpack_from,
        _ldi=_S("<i").unpack_from,
        _ldf32=_ldf32,
        _ldf=_S("<f").unpack_from,
        _stf=_S("<f").pack_into,
        _stI=_stI,
        _stQ=_S("<Q").pack_into,
        _std=_S("<d").pack_into,
        _stH=_S("<H").pack_into,
        _stf32=_stf32,
        _ci=_ci,
        _tget=_tget,
        _tset=_tset,
        _trap_unreachable=_trap_unreachable,
        _inf=float("inf"),
        # What an unwrapped address out of range raises (see Translator.address).
        _OOB=(IndexError, struct.error, OverflowError),
        _f32nan=f32_from_bits,
        _r32c=F32_CELL,  # f32 rounding (see Translator.numeric)
        _f64nan=f64_from_bits,
    )
    ns["__builtins__"] = {
        "len": len,
        "int": int,
        "float": float,
        "abs": abs,
        "bool": bool,
        "range": range,
        "zip": zip,
    }
    return ns


_BASE: dict[str, Any] | None = None


def base_namespace(simd: bool) -> dict[str, Any]:
    """A new namespace holding the helpers every instance has (plus the SIMD
    helpers if the module uses SIMD)."""
    global _BASE
    if _BASE is None:
        _BASE = _base_namespace()
    ns = dict(_BASE)
    if simd:
        from ..numeric.simd import SIMD_HELPERS

        ns.update(SIMD_HELPERS)
    return ns


class Segments:
    """An instance's element and data segments (emptied when dropped)."""

    __slots__ = ("elems", "datas")

    def __init__(self) -> None:
        self.elems: list[list[Any]] = []
        self.datas: list[bytes] = []


def bind_memory(ns: dict[str, Any], mi: Any, segments: Segments) -> None:
    mem = mi.data
    ns["M"] = mem

    def _grow(n: int) -> int:
        return mi.grow(n) & 0xFFFFFFFF

    def _mfill(d: int, v: int, n: int) -> None:
        if d + n > len(mem):
            raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS)
        if n:
            mem[d : d + n] = bytes((v & 0xFF,)) * n

    def _mcopy(d: int, s: int, n: int) -> None:
        size = len(mem)
        if s + n > size or d + n > size:
            raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS)
        if n:
            mem[d : d + n] = mem[s : s + n]

    def _bytes_of(a: int, b: int) -> Iterator[int]:
        """The bytes a loop over a buffer reads (see Translator.byte_stream)."""
        if b > len(mem):
            raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS)
        return iter(mem[a:b])

    datas = segments.datas

    def _minit(seg: int, d: int, s: int, n: int) -> None:
        data = datas[seg]
        if s + n > len(data) or d + n > len(mem):
            raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS)
        if n:
            mem[d : d + n] = data[s : s + n]

    def _ddrop(seg: int) -> None:
        datas[seg] = b""

    ns.update(
        _grow=_grow,
        _mfill=_mfill,
        _mcopy=_mcopy,
        _minit=_minit,
        _ddrop=_ddrop,
        _bytes_of=_bytes_of,
    )


def bind_tables(ns: dict[str, Any], inst: ModuleInstance, segments: Segments) -> None:
    tables = inst.tables
    elems = segments.elems

    def _tgrow(x: int, v: Any, n: int) -> int:
        return tables[x].grow(n, v) & 0xFFFFFFFF

    def _tfill(x: int, i: int, v: Any, n: int) -> None:
        t = tables[x].elements
        if i + n > len(t):
            raise Trap(TrapKind.TABLE_OUT_OF_BOUNDS)
        t[i : i + n] = [v] * n

    def _tcopy(dx: int, sx: int, d: int, s: int, n: int) -> None:
        dt = tables[dx].elements
        st = tables[sx].elements
        if s + n > len(st) or d + n > len(dt):
            raise Trap(TrapKind.TABLE_OUT_OF_BOUNDS)
        dt[d : d + n] = st[s : s + n]

    def _tinit(x: int, seg: int, d: int, s: int, n: int) -> None:
        t = tables[x].elements
        items = elems[seg]
        if s + n > len(items) or d + n > len(t):
            raise Trap(TrapKind.TABLE_OUT_OF_BOUNDS)
        t[d : d + n] = items[s : s + n]

    def _edrop(seg: int) -> None:
        elems[seg] = []

    ns.update(_tgrow=_tgrow, _tfill=_tfill, _tcopy=_tcopy, _tinit=_tinit, _edrop=_edrop)


# Typed views of a memory for accesses at addresses known to be aligned: i32,
# i64, f64, f32 and u16 (named ``MV`` + the ``struct`` format in the namespace).
VIEW_FORMATS = ("I", "Q", "d", "f", "H")


def make_views(data: bytearray) -> dict[str, memoryview]:
    """The typed views of a memory's bytes (``MemoryInstance.bind_views``
    recreates them when the memory grows)."""
    whole = memoryview(data)
    views = {f"MV{c}": whole.cast(c) for c in VIEW_FORMATS}
    whole.release()
    return views
