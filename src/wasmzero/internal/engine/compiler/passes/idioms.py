"""Idioms recognised in loop bodies and addresses: what a byte stream may
contain, and whether a value is the address of the access right after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ....wasm.instructions import OP
from ..opcodes import (
    _DROP,
    _F32_CONST,
    _F64_CONST,
    _GLOBAL_GET,
    _I32_ADD,
    _I32_CONST,
    _I32_DIV_S,
    _I32_DIV_U,
    _I32_LOAD8_U,
    _I32_REM_S,
    _I32_REM_U,
    _I64_CONST,
    _I64_DIV_S,
    _I64_DIV_U,
    _I64_LOAD8_U,
    _I64_REM_S,
    _I64_REM_U,
    _LOCAL_GET,
    _LOCAL_SET,
    _LOCAL_TEE,
    _MEM_LOADS,
    _MEM_STORES,
    _SELECT,
)
from .align import address_end
from .locals import _MAX_AHEAD, _STRAIGHT_STOPS

if TYPE_CHECKING:
    from ..plan import FunctionPlan

_BYTE_LOADS = frozenset((_I32_LOAD8_U, _I64_LOAD8_U))  # i32.load8_u, i64.load8_u


# What a byte stream's body may hold besides its byte loads (byte_stream):
# locals, global.get, constants, loads, and the numeric operators that
# cannot trap (not integer division or remainder, nor float truncation).
_STREAM_SAFE = frozenset(
    {
        _DROP,
        _SELECT,
        _LOCAL_GET,
        _LOCAL_SET,
        _LOCAL_TEE,
        _GLOBAL_GET,
        _I32_CONST,
        _I64_CONST,
        _F32_CONST,
        _F64_CONST,
    }
    | set(range(OP["i32.load"], OP["i64.load32_u"] + 1))
    | set(range(OP["i32.eqz"], OP["i64.extend32_s"] + 1))
    - {
        _I32_DIV_S,
        _I32_DIV_U,
        _I32_REM_S,
        _I32_REM_U,
        _I64_DIV_S,
        _I64_DIV_U,
        _I64_REM_S,
        _I64_REM_U,
    }
    - set(range(OP["i32.trunc_f32_s"], OP["i64.trunc_f64_u"] + 1))
)


def _address_at(body: list, k: int) -> bool:
    """Whether the value ``body[k]`` pushes is the address of a load right
    after it, or of a store whose value is the tree that follows it; or
    that value plus a constant is (``p + 4``: an unwrapped sum, indexed the
    same way)."""
    n = len(body)
    if k + 2 < n and body[k + 1][0] == _I32_CONST and body[k + 2][0] == _I32_ADD:
        if 0 <= body[k + 1][1] < 0x80000000:
            k += 2
    op = body[k + 1][0] if k + 1 < n else None
    if op in _MEM_LOADS:
        return True
    for s in range(k + 2, min(n, k + _MAX_AHEAD)):
        op = body[s][0]
        if op in _STRAIGHT_STOPS:
            return False
        if op in _MEM_STORES and address_end(body, s) == k:
            return True
    return False


def byte_stream(
    p: FunctionPlan, body: list, s: int, scale: int
) -> dict[int, tuple[str, int]] | None:
    """For a static loop over a shifted counter ``a`` (see
    Counted.shifted) whose body is straight-line code that reads the
    bytes ``a``, ``a + 1``, .. ``a + step - 1`` (a checksum over a
    buffer: FNV's ``h = (h ^ p[i]) * P``, unrolled) and has no effect
    outside its locals (no store, call, global.set, nor an operator
    that traps but a load): its byte loads, ``{index: (name, offset)}``.
    The loop then runs over ``zip(range(...), it, it, ..)``, ``it`` an
    iterator over a copy of the bytes it reads, taken on entry: no
    load is left to index memory. A copy that would run past the end
    of memory traps on entry, where the loop would have trapped later
    without any effect seen outside it."""
    c = p.counted[s]
    step = c.step
    if scale or step <= 0 or step > 8:
        return None
    reads = p.shift_reads
    found: dict[int, tuple[str, int]] = {}
    names: dict[int, str] = {}
    for j in range(s + 1, c.skip[0]):
        if j in p.skip:
            continue
        op, imm, _ = body[j]
        if op in _BYTE_LOADS:
            r = j - 3 if j - 1 in p.skip else j - 1
            if r not in reads or body[r][0] != _LOCAL_GET:
                return None
            rel = reads[r][1] + imm[1]
            if not 0 <= rel < step:
                return None
            name = names.get(rel)
            if name is None:
                name = names[rel] = p.fresh()
            found[j] = (name, rel)
        elif op not in _STREAM_SAFE:
            return None
    if len(names) != step:
        return None
    return found
