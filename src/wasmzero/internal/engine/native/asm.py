"""A small x86-64 encoder: the instructions the native engine emits, with
labels and 32-bit relative fixups.

Only what the compiler uses is here; every encoding follows the Intel SDM
(REX prefix, ModRM/SIB, disp32 addressing). Registers are numbers (RAX=0 ..
R15=15); memory operands are always ``[base + disp32]`` or ``[base + index*8
+ disp32]``.
"""

from __future__ import annotations

import struct

RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI = range(8)
R8, R9, R10, R11, R12, R13, R14, R15 = range(8, 16)

# Condition codes (the low nibble of Jcc / SETcc).
CC_O, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A = range(8)
CC_S, CC_NS, CC_P, CC_NP, CC_L, CC_GE, CC_LE, CC_G = range(8, 16)

_pack_i32 = struct.Struct("<i").pack
_pack_u64 = struct.Struct("<Q").pack
_pack_i32_into = struct.Struct("<i").pack_into


# (w, opcode, reg, base, disp, index, prefix, byte_reg, scale) -> encoding
_RM_MEMO: dict[tuple[object, ...], bytes] = {}
_RM_MEMO_MAX = 1 << 16


class Label:
    __slots__ = ("pos",)

    def __init__(self) -> None:
        self.pos = -1


class Asm:
    """An instruction buffer with labels."""

    def __init__(self) -> None:
        self.buf = bytearray()
        # (where, label, relative to: a position or another label)
        self.fixups: list[tuple[int, Label, int | Label]] = []

    # -- labels -------------------------------------------------------------

    def bind(self, label: Label) -> None:
        label.pos = len(self.buf)

    def _rel32(self, label: Label) -> None:
        at = len(self.buf)
        self.buf += b"\0\0\0\0"
        self.fixups.append((at, label, at + 4))

    def finish(self) -> bytes:
        for at, label, rel in self.fixups:
            if label.pos < 0:
                raise AssertionError("unbound label")  # pragma: no cover - compiler bug
            origin = rel if isinstance(rel, int) else rel.pos
            _pack_i32_into(self.buf, at, label.pos - origin)
        return bytes(self.buf)

    # -- encoding helpers --------------------------------------------------------

    def _rex(self, w: int, reg: int, index: int, base: int, force: bool = False) -> None:
        r = 0x40 | (w << 3) | ((reg >> 3) << 2) | ((index >> 3) << 1) | (base >> 3)
        if r != 0x40 or force:
            self.buf.append(r)

    def _mem(self, reg: int, base: int, disp: int, index: int = -1, scale: int = 3) -> None:
        """ModRM (+SIB) + disp32 for [base + index << scale + disp]."""
        reg &= 7
        if index < 0:
            if base & 7 == 4:  # rsp/r12 need a SIB byte
                self.buf += bytes((0x80 | (reg << 3) | 4, 0x24))
            else:
                self.buf.append(0x80 | (reg << 3) | (base & 7))
        else:
            self.buf += bytes((0x84 | (reg << 3), (scale << 6) | ((index & 7) << 3) | (base & 7)))
        self.buf += _pack_i32(disp)

    def _rm(self, w: int, opcode: bytes, reg: int, base: int, disp: int, index: int = -1,
            prefix: bytes = b"", byte_reg: bool = False, scale: int = 0) -> None:  # fmt: skip
        # A function's code repeats the same few operand slots over and over
        # (value-stack and local slots): their encodings are remembered.
        key = (w, opcode, reg, base, disp, index, prefix, byte_reg, scale)
        enc = _RM_MEMO.get(key)
        if enc is None:
            buf, self.buf = self.buf, bytearray(prefix)
            self._rex(w, reg, max(index, 0), base, force=byte_reg and reg >= 4)
            self.buf += opcode
            self._mem(reg, base, disp, index, scale)
            enc, self.buf = bytes(self.buf), buf
            if len(_RM_MEMO) >= _RM_MEMO_MAX:
                _RM_MEMO.clear()
            _RM_MEMO[key] = enc
        self.buf += enc

    def _rr(self, w: int, opcode: bytes, reg: int, rm: int, prefix: bytes = b"") -> None:
        """ModRM with mod=11: reg field ``reg``, r/m field ``rm``."""
        self.buf += prefix
        self._rex(w, reg, 0, rm)
        self.buf += opcode
        self.buf.append(0xC0 | ((reg & 7) << 3) | (rm & 7))

    # -- moves ----------------------------------------------------------------------

    def load64(self, dst: int, base: int, disp: int, index: int = -1, scale: int = 0) -> None:
        self._rm(1, b"\x8b", dst, base, disp, index, scale=scale)

    def load32(self, dst: int, base: int, disp: int, index: int = -1) -> None:
        self._rm(0, b"\x8b", dst, base, disp, index)

    def store64(self, base: int, disp: int, src: int, index: int = -1) -> None:
        self._rm(1, b"\x89", src, base, disp, index)

    def store32(self, base: int, disp: int, src: int, index: int = -1, scale: int = 0) -> None:
        self._rm(0, b"\x89", src, base, disp, index, scale=scale)

    def store16(self, base: int, disp: int, src: int, index: int = -1) -> None:
        self._rm(0, b"\x89", src, base, disp, index, prefix=b"\x66")

    def store8(self, base: int, disp: int, src: int, index: int = -1) -> None:
        self._rm(0, b"\x88", src, base, disp, index, byte_reg=True)

    def load_u8(self, dst: int, base: int, disp: int, index: int = -1) -> None:
        self._rm(0, b"\x0f\xb6", dst, base, disp, index)

    def load_u16(self, dst: int, base: int, disp: int, index: int = -1) -> None:
        self._rm(0, b"\x0f\xb7", dst, base, disp, index)

    def load_s8(self, dst: int, base: int, disp: int, w: int, index: int = -1) -> None:
        self._rm(w, b"\x0f\xbe", dst, base, disp, index)

    def load_s16(self, dst: int, base: int, disp: int, w: int, index: int = -1) -> None:
        self._rm(w, b"\x0f\xbf", dst, base, disp, index)

    def load_s32(self, dst: int, base: int, disp: int, index: int = -1) -> None:
        self._rm(1, b"\x63", dst, base, disp, index)  # movsxd

    def store_imm64(self, base: int, disp: int, imm: int) -> None:
        """mov qword [base+disp], imm32 (sign-extended)."""
        self._rm(1, b"\xc7", 0, base, disp)
        self.buf += _pack_i32(imm)

    def mov_imm(self, dst: int, imm: int) -> None:
        """dst = imm (a 64-bit pattern)."""
        imm &= 0xFFFFFFFFFFFFFFFF
        if imm <= 0xFFFFFFFF:
            self._rex(0, 0, 0, dst)
            self.buf.append(0xB8 + (dst & 7))
            self.buf += struct.pack("<I", imm)
        else:
            self._rex(1, 0, 0, dst)
            self.buf.append(0xB8 + (dst & 7))
            self.buf += _pack_u64(imm)

    def mov(self, dst: int, src: int, w: int = 1) -> None:
        self._rr(w, b"\x89", src, dst)

    def lea(self, dst: int, base: int, disp: int, index: int = -1) -> None:
        self._rm(1, b"\x8d", dst, base, disp, index)

    def movsx(self, dst: int, src: int, bits: int, w: int) -> None:
        """Sign-extend the low ``bits`` of src into dst (32- or 64-bit)."""
        if bits == 8:
            self._rex(w, dst, 0, src, force=src >= 4)
            self.buf += b"\x0f\xbe"
            self.buf.append(0xC0 | ((dst & 7) << 3) | (src & 7))
        elif bits == 16:
            self._rr(w, b"\x0f\xbf", dst, src)
        else:
            self._rr(1, b"\x63", dst, src)

    # -- arithmetic -------------------------------------------------------------------

    def alu(self, op: int, dst: int, src: int, w: int) -> None:
        """op dst, src: op is the /digit of the 0x01-style opcodes (0 add,
        1 or, 4 and, 5 sub, 6 xor, 7 cmp)."""
        self._rr(w, bytes((op * 8 + 1,)), src, dst)

    def alu_imm(self, op: int, dst: int, imm: int, w: int) -> None:
        self._rr(w, b"\x81", op, dst)
        self.buf += _pack_i32(imm)

    def alu_mem_imm(self, op: int, base: int, disp: int, imm: int) -> None:
        """op qword [base+disp], imm32."""
        self._rm(1, b"\x81", op, base, disp)
        self.buf += _pack_i32(imm)

    def cmp_mem(self, reg: int, base: int, disp: int) -> None:
        """cmp reg, qword [base+disp]."""
        self._rm(1, b"\x3b", reg, base, disp)

    def imul(self, dst: int, src: int, w: int) -> None:
        self._rr(w, b"\x0f\xaf", dst, src)

    def shift_cl(self, digit: int, dst: int, w: int) -> None:
        """rol 0, ror 1, shl 4, shr 5, sar 7 -- by cl."""
        self._rr(w, b"\xd3", digit, dst)

    def div(self, src: int, signed: bool, w: int) -> None:
        self._rr(w, b"\xf7", 7 if signed else 6, src)

    def cdq(self, w: int) -> None:
        if w:
            self.buf.append(0x48)
        self.buf.append(0x99)

    def bitcount(self, kind: bytes, dst: int, src: int, w: int) -> None:
        """lzcnt (b"\\xbd"), tzcnt (b"\\xbc"), popcnt (b"\\xb8")."""
        self._rr(w, b"\x0f" + kind, dst, src, prefix=b"\xf3")

    def test(self, a: int, b: int, w: int) -> None:
        self._rr(w, b"\x85", b, a)

    def setcc(self, cc: int, dst: int) -> None:
        """dst = cc ? 1 : 0 (32-bit, zero-extended)."""
        self._rex(0, 0, 0, dst, force=dst >= 4)
        self.buf += bytes((0x0F, 0x90 + cc, 0xC0 | (dst & 7)))
        self._rr(0, b"\x0f\xb6", dst, dst)  # movzx dst32, dst8

    # -- control ------------------------------------------------------------------------

    def jmp(self, label: Label) -> None:
        self.buf.append(0xE9)
        self._rel32(label)

    def jcc(self, cc: int, label: Label) -> None:
        self.buf += bytes((0x0F, 0x80 + cc))
        self._rel32(label)

    def call(self, label: Label) -> None:
        self.buf.append(0xE8)
        self._rel32(label)

    def call_reg(self, reg: int) -> None:
        self._rr(0, b"\xff", 2, reg)

    def call_mem(self, base: int, disp: int) -> None:
        """call qword [base+disp]."""
        self._rm(0, b"\xff", 2, base, disp)

    def shift_imm(self, digit: int, dst: int, n: int, w: int) -> None:
        self._rr(w, b"\xc1", digit, dst)
        self.buf.append(n & 63)

    def rep_movsb(self) -> None:
        self.buf += b"\xf3\xa4"

    def rep_stosb(self) -> None:
        self.buf += b"\xf3\xaa"

    def std(self) -> None:
        self.buf.append(0xFD)

    def cld(self) -> None:
        self.buf.append(0xFC)

    def rep_stosq(self) -> None:
        self.buf += b"\xf3\x48\xab"

    def load_s32_x4(self, dst: int, base: int, index: int) -> None:
        """movsxd dst, dword [base + index*4]."""
        self._rm(1, b"\x63", dst, base, 0, index, scale=2)

    def jmp_reg(self, reg: int) -> None:
        self._rr(0, b"\xff", 4, reg)

    def ret(self) -> None:
        self.buf.append(0xC3)

    def push(self, reg: int) -> None:
        self._rex(0, 0, 0, reg)
        self.buf.append(0x50 + (reg & 7))

    def pop(self, reg: int) -> None:
        self._rex(0, 0, 0, reg)
        self.buf.append(0x58 + (reg & 7))

    def lea_rip(self, dst: int, label: Label) -> None:
        """dst = address of label."""
        self._rex(1, dst, 0, 0)
        self.buf += bytes((0x8D, 0x05 | ((dst & 7) << 3)))
        self._rel32(label)

    def table32(self, base: Label, targets: list[Label]) -> None:
        """A jump table: per target, its offset from ``base`` (int32)."""
        for t in targets:
            at = len(self.buf)
            self.buf += b"\0\0\0\0"
            self.fixups.append((at, t, base))

    # -- SSE (scalar floats; xmm registers are numbers 0-15 too) -------------------

    def sse(self, prefix: bytes, opcode: bytes, dst: int, src: int, w: int = 0) -> None:
        """prefix [REX] 0F opcode, ModRM reg=dst rm=src (mod 11)."""
        self._rr(w, b"\x0f" + opcode, dst, src, prefix=prefix)

    def movq_to_xmm(self, xmm: int, reg: int, w: int = 1) -> None:
        """movq xmm, r64 (movd xmm, r32 when w=0)."""
        self.sse(b"\x66", b"\x6e", xmm, reg, w)

    def movq_from_xmm(self, reg: int, xmm: int, w: int = 1) -> None:
        """movq r64, xmm (movd r32, xmm when w=0)."""
        self.sse(b"\x66", b"\x7e", xmm, reg, w)

    def round_sse(self, double: bool, dst: int, src: int, mode: int) -> None:
        """roundsd/roundss dst, src, mode (SSE4.1)."""
        self._rr(0, b"\x0f\x3a" + (b"\x0b" if double else b"\x0a"), dst, src, prefix=b"\x66")
        self.buf.append(mode)

    def int3(self) -> None:
        self.buf.append(0xCC)

    def align(self, n: int) -> None:
        while len(self.buf) % n:
            self.buf.append(0xCC)
