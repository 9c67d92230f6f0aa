"""Linear memory for the native compiler: loads and stores (every width,
bounds-checked against the memory's current size with the end address
computed in 64 bits), memory.fill (rep stosb) and memory.copy (rep movsb,
backwards for an overlapping move up), both ranges checked first."""

from __future__ import annotations

from typing import Any

from .asm import CC_A, CC_AE, CC_BE, R14, R15, RAX, RCX, RDI, RDX, RSI, Label
from .exec import MEM_SIZE

T_OOB = 1  # compile.py's trap number for an out-of-bounds access

# loads: name -> (size, how): how = "u" zero-extend, "s32"/"s64" sign-extend into 32/64
_LOADS = {
    "i32.load": (4, "u"), "i64.load": (8, "u"),
    "i32.load8_s": (1, "s32"), "i32.load8_u": (1, "u"), "i32.load16_s": (2, "s32"),
    "i32.load16_u": (2, "u"), "i64.load8_s": (1, "s64"), "i64.load8_u": (1, "u"),
    "i64.load16_s": (2, "s64"), "i64.load16_u": (2, "u"), "i64.load32_s": (4, "s64"),
    "i64.load32_u": (4, "u"), "f32.load": (4, "u"), "f64.load": (8, "u"),
}  # fmt: skip
_STORES = {
    "i32.store": 4, "i64.store": 8, "i32.store8": 1, "i32.store16": 2,
    "i64.store8": 1, "i64.store16": 2, "i64.store32": 4, "f32.store": 4, "f64.store": 8,
}  # fmt: skip


class MemoryEmitter:
    """Mixed into the function compiler (uses its slots and traps)."""

    a: Any

    def pop_reg(self, reg: int, w: int = 1) -> None: ...  # pragma: no cover - the compiler's
    def push_reg(self, reg: int) -> None: ...  # pragma: no cover - the compiler's
    def trap(self, kind: int) -> Label: ...  # type: ignore[empty-body]  # pragma: no cover

    def memory_fill(self) -> None:
        """memory.fill: the range checked whole first, then rep stosb."""
        a = self.a
        self.pop_reg(RCX, 0)  # n
        self.pop_reg(RAX, 0)  # the byte
        self.pop_reg(RDI, 0)  # d
        a.lea(RDX, RDI, 0)
        a.alu(0, RDX, RCX, 1)
        a.cmp_mem(RDX, R15, 8 * MEM_SIZE)
        a.jcc(CC_A, self.trap(T_OOB))
        a.alu(0, RDI, R14, 1)
        a.rep_stosb()

    def memory_copy(self) -> None:
        """memory.copy: both ranges checked first; backwards when the
        destination overlaps the source from above (memmove)."""
        a = self.a
        self.pop_reg(RCX, 0)  # n
        self.pop_reg(RSI, 0)  # s
        self.pop_reg(RDI, 0)  # d
        for r in (RSI, RDI):
            a.lea(RDX, r, 0)
            a.alu(0, RDX, RCX, 1)
            a.cmp_mem(RDX, R15, 8 * MEM_SIZE)
            a.jcc(CC_A, self.trap(T_OOB))
        forward, done = Label(), Label()
        a.alu(7, RDI, RSI, 1)  # d <= s: forwards
        a.jcc(CC_BE, forward)
        a.lea(RDX, RSI, 0)
        a.alu(0, RDX, RCX, 1)
        a.alu(7, RDI, RDX, 1)  # d >= s + n: no overlap
        a.jcc(CC_AE, forward)
        a.lea(RSI, RSI, -1)
        a.alu(0, RSI, RCX, 1)
        a.lea(RDI, RDI, -1)
        a.alu(0, RDI, RCX, 1)
        a.alu(0, RSI, R14, 1)
        a.alu(0, RDI, R14, 1)
        a.std()
        a.rep_movsb()
        a.cld()
        a.jmp(done)
        a.bind(forward)
        a.alu(0, RSI, R14, 1)
        a.alu(0, RDI, R14, 1)
        a.rep_movsb()
        a.bind(done)

    def address(self, offset: int, size: int) -> None:
        """rdx = address + offset + size, checked against the memory's size
        (the access is then at [r14 + rdx - size])."""
        a = self.a
        self.pop_reg(RAX, 0)  # u32 address
        end = offset + size
        if end < 0x80000000:
            a.lea(RDX, RAX, end)
        else:
            a.mov_imm(RDX, end)
            a.alu(0, RDX, RAX, 1)
        a.cmp_mem(RDX, R15, 8 * MEM_SIZE)
        a.jcc(CC_A, self.trap(T_OOB))

    def load(self, name: str, offset: int) -> None:
        size, how = _LOADS[name]
        a = self.a
        self.address(offset, size)
        if size == 8:
            a.load64(RAX, R14, -size, RDX)
        elif size == 4:
            if how == "s64":
                a.load_s32(RAX, R14, -size, RDX)
            else:
                a.load32(RAX, R14, -size, RDX)
        elif how == "u":
            (a.load_u8 if size == 1 else a.load_u16)(RAX, R14, -size, RDX)
        else:
            w = 1 if how == "s64" else 0
            (a.load_s8 if size == 1 else a.load_s16)(RAX, R14, -size, w, RDX)
        self.push_reg(RAX)

    def store(self, size: int, offset: int) -> None:
        a = self.a
        self.pop_reg(RCX)  # the value
        self.address(offset, size)
        {1: a.store8, 2: a.store16, 4: a.store32, 8: a.store64}[size](R14, -size, RCX, RDX)
