"""Floating point for the native compiler: SSE2 scalar instructions (SSE4.1
``round`` for ceil/floor/trunc/nearest). Slots hold a float's bits (f32:
its 32-bit pattern, zero-extended), so loads, stores, locals, ``select`` and
the reinterpretations move bits and never change a NaN; arithmetic NaNs are
those the hardware makes (the spec allows any arithmetic NaN), and ``min``,
``max``, the comparisons and the conversions follow wasm's rules, not
x86's, where they differ.
"""

from __future__ import annotations

from typing import Any

from .asm import CC_A, CC_AE, CC_B, CC_BE, CC_E, CC_NE, CC_NP, CC_P, CC_S, RAX, RCX, RDX, Label

XMM0, XMM1 = 0, 1
_SD, _SS = b"\xf2", b"\xf3"
_ARITH = {"add": b"\x58", "sub": b"\x5c", "mul": b"\x59", "div": b"\x5e"}
_ROUND = {"nearest": 0, "floor": 1, "ceil": 2, "trunc": 3}
_SIGN64 = 1 << 63


def _ucomis(a: Any, double: bool, x: int, y: int) -> None:
    a.sse(b"\x66" if double else b"", b"\x2e", x, y)


class FloatEmitter:
    """Mixed into the function compiler (uses its slots and traps)."""

    a: Any

    def pop_reg(self, reg: int, w: int = 1) -> None: ...  # pragma: no cover - the compiler's
    def push_reg(self, reg: int) -> None: ...  # pragma: no cover - the compiler's
    def trap(self, kind: int) -> Label: ...  # type: ignore[empty-body]  # pragma: no cover

    def _to_xmm(self, xmm: int, reg: int, double: bool) -> None:
        self.a.movq_to_xmm(xmm, reg, 1 if double else 0)

    def _from_xmm(self, reg: int, xmm: int, double: bool) -> None:
        self.a.movq_from_xmm(reg, xmm, 1 if double else 0)

    def float_op(self, double: bool, op: str) -> None:  # noqa: C901 - one dispatch over ops
        a = self.a
        w = 1 if double else 0
        pre = _SD if double else _SS
        sign = _SIGN64 if double else 1 << 31
        if op in ("neg", "abs"):
            self.pop_reg(RAX, w)
            a.mov_imm(RDX, sign if op == "neg" else sign - 1)
            a.alu(6 if op == "neg" else 4, RAX, RDX, w)
            self.push_reg(RAX)
            return
        if op in ("sqrt", *_ROUND):
            self.pop_reg(RAX, w)
            self._to_xmm(XMM0, RAX, double)
            if op == "sqrt":
                a.sse(pre, b"\x51", XMM0, XMM0)
            else:
                a.round_sse(double, XMM0, XMM0, _ROUND[op])
            self._from_xmm(RAX, XMM0, double)
            self.push_reg(RAX)
            return
        self.pop_reg(RCX, w)  # b
        self.pop_reg(RAX, w)  # a
        if op == "copysign":
            a.mov_imm(RDX, sign - 1)
            a.alu(4, RAX, RDX, w)
            a.mov_imm(RDX, sign)
            a.alu(4, RCX, RDX, w)
            a.alu(1, RAX, RCX, w)
            self.push_reg(RAX)
            return
        self._to_xmm(XMM0, RAX, double)
        self._to_xmm(XMM1, RCX, double)
        if op in _ARITH:
            a.sse(pre, _ARITH[op], XMM0, XMM1)
            self._from_xmm(RAX, XMM0, double)
        elif op in ("min", "max"):
            nan, ordinary, done = Label(), Label(), Label()
            _ucomis(a, double, XMM0, XMM1)
            a.jcc(CC_P, nan)
            a.jcc(CC_NE, ordinary)
            # equal: -0 and +0 differ only in their sign bit
            a.alu(1 if op == "min" else 4, RAX, RCX, w)
            a.jmp(done)
            a.bind(ordinary)
            a.sse(pre, b"\x5d" if op == "min" else b"\x5f", XMM0, XMM1)
            self._from_xmm(RAX, XMM0, double)
            a.jmp(done)
            a.bind(nan)
            a.sse(pre, b"\x58", XMM0, XMM1)  # a NaN operand: a NaN result
            self._from_xmm(RAX, XMM0, double)
            a.bind(done)
        elif op in ("eq", "ne"):
            _ucomis(a, double, XMM0, XMM1)
            a.setcc(CC_E if op == "eq" else CC_NE, RAX)
            a.setcc(CC_NP if op == "eq" else CC_P, RCX)
            a.alu(4 if op == "eq" else 1, RAX, RCX, 0)
        else:
            # lt/le: b above (or equal) a; gt/ge: a above (or equal) b. An
            # unordered pair sets CF, so every one of them is false then.
            x, y = (XMM1, XMM0) if op in ("lt", "le") else (XMM0, XMM1)
            _ucomis(a, double, x, y)
            a.setcc(CC_A if op in ("lt", "gt") else CC_AE, RAX)
        self.push_reg(RAX)

    def convert(self, name: str) -> None:  # noqa: C901
        a = self.a
        dst, _, rest = name.partition(".")
        if "reinterpret" in rest:
            return  # the bits are the value
        if rest == "demote_f64" or rest == "promote_f32":
            double_in = rest == "demote_f64"
            self.pop_reg(RAX, 1 if double_in else 0)
            self._to_xmm(XMM0, RAX, double_in)
            a.sse(_SD if double_in else _SS, b"\x5a", XMM0, XMM0)
            self._from_xmm(RAX, XMM0, not double_in)
            self.push_reg(RAX)
            return
        if rest.startswith("convert_"):
            src, signed = rest[8:11], rest.endswith("_s")
            double = dst == "f64"
            pre = _SD if double else _SS
            self.pop_reg(RAX, 1 if src == "i64" else 0)
            if src == "i32" and signed:
                a.movsx(RAX, RAX, 32, 1)
            if src == "i64" and not signed:
                big, done = Label(), Label()
                a.test(RAX, RAX, 1)
                a.jcc(CC_S, big)
                a.sse(pre, b"\x2a", XMM0, RAX, 1)
                a.jmp(done)
                a.bind(big)
                # halve with the low bit kept (correct rounding), convert, double
                a.mov(RCX, RAX)
                a.shift_imm(5, RCX, 1, 1)
                a.alu_imm(4, RAX, 1, 0)
                a.alu(1, RCX, RAX, 1)
                a.sse(pre, b"\x2a", XMM0, RCX, 1)
                a.sse(pre, b"\x58", XMM0, XMM0)
                a.bind(done)
            else:
                a.sse(pre, b"\x2a", XMM0, RAX, 1)  # from 64 bits: exact input
            self._from_xmm(RAX, XMM0, double)
            self.push_reg(RAX)
            return
        self.truncate(dst, rest)

    def truncate(self, dst: str, rest: str) -> None:
        """i32/i64.trunc[_sat]_f32/f64_s/u, through f64 (f32 -> f64 is exact)."""
        a = self.a
        sat = rest.startswith("trunc_sat_")
        src = rest[-5:-2]
        signed = rest.endswith("_s")
        wide = dst == "i64"
        self.pop_reg(RAX, 1 if src == "f64" else 0)
        self._to_xmm(XMM0, RAX, src == "f64")
        if src == "f32":
            a.sse(_SS, b"\x5a", XMM0, XMM0)  # cvtss2sd
        if wide:
            lo, lo_incl = (-(2.0**63), True) if signed else (-1.0, False)
            hi = 2.0**63 if signed else 2.0**64
        else:
            lo, lo_incl = (-2147483649.0, False) if signed else (-1.0, False)
            hi = 2147483648.0 if signed else 4294967296.0
        if wide:
            min_v, max_v = (_SIGN64, _SIGN64 - 1) if signed else (0, 2**64 - 1)
        else:
            min_v, max_v = (1 << 31, (1 << 31) - 1) if signed else (0, 2**32 - 1)
        done = Label()
        nan, low, high = (Label(), Label(), Label()) if sat else (
            self.trap(5), self.trap(3), self.trap(3))  # fmt: skip
        _ucomis(a, True, XMM0, XMM0)
        a.jcc(CC_P, nan)
        a.mov_imm(RCX, _f64_bits(lo))
        a.movq_to_xmm(XMM1, RCX)
        _ucomis(a, True, XMM0, XMM1)
        a.jcc(CC_B if lo_incl else CC_BE, low)
        a.mov_imm(RCX, _f64_bits(hi))
        a.movq_to_xmm(XMM1, RCX)
        _ucomis(a, True, XMM0, XMM1)
        a.jcc(CC_AE, high)
        if wide and not signed:
            # at or above 2^63: subtract it, convert, put the top bit back
            small = Label()
            a.mov_imm(RCX, _f64_bits(2.0**63))
            a.movq_to_xmm(XMM1, RCX)
            _ucomis(a, True, XMM0, XMM1)
            a.jcc(CC_B, small)
            a.sse(_SD, b"\x5c", XMM0, XMM1)
            a.sse(_SD, b"\x2c", RAX, XMM0, 1)
            a.mov_imm(RCX, _SIGN64)
            a.alu(6, RAX, RCX, 1)
            a.jmp(done)
            a.bind(small)
        a.sse(_SD, b"\x2c", RAX, XMM0, 1)  # cvttsd2si rax (64-bit: every i32 value fits)
        if not wide:
            a.mov(RAX, RAX, 0)
        if sat:
            a.jmp(done)
            for lab, v in ((nan, 0), (low, min_v), (high, max_v)):
                a.bind(lab)
                a.mov_imm(RAX, v)
                a.jmp(done)
        a.bind(done)
        self.push_reg(RAX)


def _f64_bits(x: float) -> int:
    import struct

    return int(struct.unpack("<Q", struct.pack("<d", x))[0])
