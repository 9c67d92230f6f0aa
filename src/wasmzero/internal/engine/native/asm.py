"""A small x86-64 encoder: the few instruction forms the native compiler
emits, labels and rel32 fixups. Registers are numbered as the CPU does
(rax=0, rcx=1, rdx=2, rbx=3, rsp=4, rbp=5, rsi=6, rdi=7, r8..r15=8..15).
Every byte executed comes from here; module data appears only as
immediates and displacements."""

from __future__ import annotations

import struct

RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI = range(8)
R12, R13, R14, R15 = 12, 13, 14, 15

# Condition codes (the low nibble of Jcc/SETcc/CMOVcc).
CC = {
    "o": 0,
    "b": 2,
    "ae": 3,
    "e": 4,
    "ne": 5,
    "be": 6,
    "a": 7,
    "l": 0xC,
    "ge": 0xD,
    "le": 0xE,
    "g": 0xF,
}


class Label:
    __slots__ = ("pos",)

    def __init__(self) -> None:
        self.pos: int | None = None


class Asm:
    def __init__(self) -> None:
        self.buf = bytearray()
        self.fixups: list[tuple[int, Label]] = []  # (position of a rel32, target)

    # -- plumbing ---------------------------------------------------------
    def here(self) -> int:
        return len(self.buf)

    def bind(self, label: Label) -> None:
        label.pos = len(self.buf)

    def b(self, *data: int) -> None:
        self.buf.extend(data)

    def i32(self, v: int) -> None:
        self.buf += struct.pack("<i", v)

    def rel32(self, label: Label) -> None:
        self.fixups.append((len(self.buf), label))
        self.buf += b"\0\0\0\0"

    def resolve(self) -> bytes:
        for pos, label in self.fixups:
            if label.pos is None:
                raise ValueError("unbound label")
            self.buf[pos : pos + 4] = struct.pack("<i", label.pos - (pos + 4))
        self.fixups.clear()
        return bytes(self.buf)

    def _rex(self, w: bool, reg: int, rm: int, force: bool = False) -> None:
        rex = 0x40 | (8 if w else 0) | (4 if reg & 8 else 0) | (1 if rm & 8 else 0)
        if rex != 0x40 or force:
            self.b(rex)

    def _mem(self, reg: int, base: int, disp: int) -> None:
        """ModRM (+SIB) + disp32 for [base + disp]."""
        self.b(0x80 | ((reg & 7) << 3) | (base & 7))
        if base & 7 == RSP:
            self.b(0x24)
        self.i32(disp)

    # -- moves --------------------------------------------------------------
    def load(self, reg: int, base: int, disp: int) -> None:  # mov reg, [base+disp] (64-bit)
        self._rex(True, reg, base)
        self.b(0x8B)
        self._mem(reg, base, disp)

    def store(self, base: int, disp: int, reg: int) -> None:  # mov [base+disp], reg (64-bit)
        self._rex(True, reg, base)
        self.b(0x89)
        self._mem(reg, base, disp)

    def store_imm32(self, base: int, disp: int, imm: int) -> None:  # mov qword [..], simm32
        self._rex(True, 0, base)
        self.b(0xC7)
        self._mem(0, base, disp)
        self.i32(imm)

    def mov_imm(self, reg: int, imm: int) -> None:
        """reg = imm (any 64-bit pattern)."""
        imm &= 0xFFFFFFFFFFFFFFFF
        if imm <= 0xFFFFFFFF:
            self._rex(False, 0, reg)
            self.b(0xB8 | (reg & 7))
            self.buf += struct.pack("<I", imm)
        else:
            self._rex(True, 0, reg)
            self.b(0xB8 | (reg & 7))
            self.buf += struct.pack("<Q", imm)

    def rr(self, opcode: int, dst: int, src: int, w: bool) -> None:
        """A one-byte `op r/m, reg` form with r/m = dst, reg = src
        (mov 0x89, add 0x01, or 0x09, and 0x21, sub 0x29, xor 0x31, cmp 0x39,
        test 0x85)."""
        self._rex(w, src, dst)
        self.b(opcode, 0xC0 | ((src & 7) << 3) | (dst & 7))

    def rr0f(self, opcode: int, dst: int, src: int, w: bool, prefix: int = 0) -> None:
        """A `0F op reg, r/m` form with reg = dst, r/m = src (imul 0xAF,
        cmovcc 0x40+cc, movzx 0xB6/0xB7, movsx 0xBE/0xBF, lzcnt/tzcnt/popcnt
        with prefix 0xF3)."""
        if prefix:
            self.b(prefix)
        self._rex(w, dst, src, force=opcode in (0xB6, 0xBE) and src >= 4)
        self.b(0x0F, opcode, 0xC0 | ((dst & 7) << 3) | (src & 7))

    def group(self, opcode: int, ext: int, reg: int, w: bool) -> None:
        """A one-register group form: shifts `D3 /ext` (by cl), `F7 /ext`
        (not, neg, mul, div, idiv)."""
        self._rex(w, 0, reg)
        self.b(opcode, 0xC0 | (ext << 3) | (reg & 7))

    def alu_mem_imm8(self, ext: int, base: int, disp: int, imm: int) -> None:
        """`83 /ext qword [base+disp], simm8` (add 0, sub 5, cmp 7)."""
        self._rex(True, 0, base)
        self.b(0x83)
        self._mem(ext, base, disp)
        self.b(imm & 0xFF)

    def cmp_mem(self, reg: int, base: int, disp: int) -> None:  # cmp reg, [base+disp]
        self._rex(True, reg, base)
        self.b(0x3B)
        self._mem(reg, base, disp)

    def add_mem(self, reg: int, base: int, disp: int) -> None:  # add reg, [base+disp]
        self._rex(True, reg, base)
        self.b(0x03)
        self._mem(reg, base, disp)

    def lea(self, reg: int, base: int, disp: int) -> None:
        self._rex(True, reg, base)
        self.b(0x8D)
        self._mem(reg, base, disp)

    def add_imm(self, reg: int, imm: int) -> None:  # add reg, simm32 (64-bit)
        self._rex(True, 0, reg)
        self.b(0x81, 0xC0 | (reg & 7))
        self.i32(imm)

    def setcc(self, cc: str, reg: int) -> None:  # setcc reg8; movzx reg32, reg8
        self._rex(False, 0, reg, force=reg >= 4)
        self.b(0x0F, 0x90 | CC[cc], 0xC0 | (reg & 7))
        self.rr0f(0xB6, reg, reg, False)

    def movsxd(self, dst: int, src: int) -> None:
        self._rex(True, dst, src)
        self.b(0x63, 0xC0 | ((dst & 7) << 3) | (src & 7))

    def cqo(self, w: bool) -> None:
        if w:
            self.b(0x48)
        self.b(0x99)

    # -- control ------------------------------------------------------------
    def jmp(self, label: Label) -> None:
        self.b(0xE9)
        self.rel32(label)

    def jcc(self, cc: str, label: Label) -> None:
        self.b(0x0F, 0x80 | CC[cc])
        self.rel32(label)

    def call(self, label: Label) -> None:
        self.b(0xE8)
        self.rel32(label)

    def call_reg(self, reg: int) -> None:
        self._rex(False, 0, reg)
        self.b(0xFF, 0xD0 | (reg & 7))

    def push(self, reg: int) -> None:
        self._rex(False, 0, reg)
        self.b(0x50 | (reg & 7))

    def pop(self, reg: int) -> None:
        self._rex(False, 0, reg)
        self.b(0x58 | (reg & 7))

    def ret(self) -> None:
        self.b(0xC3)
