"""Instruction semantics shared by every engine, as Python source templates
over the namespace of runtime helpers (``namespace.py``).

Numeric and SIMD instructions are the templates of ``numeric.semantics`` and
``numeric.simd`` (``semantics``); memory accesses are the templates below.
The compiler splices them into the source it generates; the interpreter
compiles each once into a small function. Either way an instruction means
the same thing on every engine because it is written here once.
"""

from __future__ import annotations

from typing import Any

from ..numeric.semantics import SEMANTICS


def semantics(name: str) -> Any:
    """The semantics of an instruction; SIMD ones are loaded on first use
    (most modules have none, and building them takes a while)."""
    sem = SEMANTICS.get(name)
    if sem is None:
        from ..numeric.simd import SIMD_SEMANTICS

        sem = SIMD_SEMANTICS.get(name)
    return sem


# Memory access: opcode name -> a template over the address ``a`` (loads) and
# the value ``v`` (stores).
LOADS = {
    "i32.load": "_ldI(M, {a})[0]",
    "i64.load": "_ldQ(M, {a})[0]",
    "f32.load": "_ldf32(M, {a})",
    "f64.load": "_ldd(M, {a})[0]",
    "i32.load8_s": "(_ldb(M, {a})[0] & 0xFFFFFFFF)",
    "i32.load8_u": "M[{a}]",
    "i32.load16_s": "(_ldh(M, {a})[0] & 0xFFFFFFFF)",
    "i32.load16_u": "_ldH(M, {a})[0]",
    "i64.load8_s": "(_ldb(M, {a})[0] & 0xFFFFFFFFFFFFFFFF)",
    "i64.load8_u": "M[{a}]",
    "i64.load16_s": "(_ldh(M, {a})[0] & 0xFFFFFFFFFFFFFFFF)",
    "i64.load16_u": "_ldH(M, {a})[0]",
    "i64.load32_s": "(_ldi(M, {a})[0] & 0xFFFFFFFFFFFFFFFF)",
    "i64.load32_u": "_ldI(M, {a})[0]",
}
STORES = {
    "i32.store": "_stI(M, {a}, {v})",
    "i64.store": "_stQ(M, {a}, {v})",
    "f32.store": "_stf32(M, {a}, {v})",
    "f64.store": "_std(M, {a}, {v})",
    "i32.store8": "M[{a}] = {v}",
    "i32.store16": "_stH(M, {a}, {v})",
    "i64.store8": "M[{a}] = {v}",
    "i64.store16": "_stH(M, {a}, {v})",
    "i64.store32": "_stI(M, {a}, {v})",
}
# Narrow stores: the mask applied to a value not known to fit.
NARROW = {
    "i32.store8": 0xFF,
    "i64.store8": 0xFF,
    "i32.store16": 0xFFFF,
    "i64.store16": 0xFFFF,
    "i64.store32": 0xFFFFFFFF,
}
