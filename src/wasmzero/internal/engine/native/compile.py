"""The native engine's single-pass compiler: wasm function bodies to x86-64.

Each function's frame is a run of 8-byte slots in the thread's value stack,
addressed from r12: its locals, then its operand stack (a value's slot is
known at compile time from the operand depth). A call's arguments are the
caller's top slots, which become the callee's first locals, and the callee
leaves its results in its first slots: no copying on calls. r15 holds the
context block (exec.py), r14 the linear memory's base address (reloaded by
every resume, since memory may move while Python runs). i32 values are kept
zero-extended, as the other engines keep them unsigned.

What the compiler does not handle natively it leaves to Python through an
exit (calls of functions that are not native, call_indirect, globals,
memory.grow/fill/copy) or, for a whole function, to the compiler engine
(floats, SIMD, tables and references): see :func:`supported`.
"""

from __future__ import annotations

from typing import Any

from ...wasm.instructions import BLOCKTYPE_EMPTY, OPS
from ...wasm.types import EXTERNREF, F32, F64, FUNCREF, I32, I64, FuncType
from ..osr import block_arity
from .asm import (
    CC_A,
    CC_AE,
    CC_B,
    CC_BE,
    CC_E,
    CC_G,
    CC_GE,
    CC_L,
    CC_LE,
    CC_NE,
    R12,
    R15,
    RAX,
    RCX,
    RDI,
    RDX,
    Asm,
    Label,
)  # fmt: skip
from .exec import (
    BUDGET,
    DEPTH,
    EXIT_A,
    EXIT_B,
    EXIT_CODE,
    EXIT_STUB,
    FTAB,
    GLOBALS,
    ICS,
    LIST_ITEMS,
    LIST_SIZE,
    MEM_SIZE,
    TRACE,
    VS_LIMIT,
    VS_TOP,
)  # fmt: skip
from .floats import FloatEmitter
from .memory import _LOADS, _STORES, MemoryEmitter
from .memory import T_OOB as _MEMORY_OOB

# Exit codes (EXIT_CODE); traps are TRAP_BASE + a trap number (see engine.py).
EXIT_CALL, EXIT_CALL_INDIRECT, EXIT_GLOBAL_GET, EXIT_GLOBAL_SET = 1, 2, 3, 4
EXIT_GROW, EXIT_YIELD, EXIT_HELPER = 5, 8, 9  # (6 and 7 were memory.fill/copy: native now)
# Instructions run by Python at an exit (EXIT_HELPER, EXIT_A = the index
# here, EXIT_B = the immediate): (operands, results).
HELPERS = {
    "memory.init": (3, 0), "data.drop": (0, 0), "elem.drop": (0, 0),
    "table.get": (1, 1), "table.set": (2, 0), "table.size": (0, 1), "table.grow": (2, 1),
    "table.fill": (3, 0), "table.copy": (3, 0), "table.init": (3, 0), "ref.func": (0, 1),
}  # fmt: skip
HELPER_NAMES = list(HELPERS)
TRAP_BASE = 100
(
    T_UNREACHABLE, T_OOB, T_DIV0, T_OVERFLOW, T_STACK, T_INVALID,
) = range(6)  # fmt: skip
assert _MEMORY_OOB == T_OOB  # the same trap number in memory.py


# The value types native code holds: floats as their bits, references as
# handles into the thread's reference registry (0: null; engine.py).
_INT = (I32, I64, F32, F64, FUNCREF, EXTERNREF)

_CMP = {
    "eq": CC_E, "ne": CC_NE, "lt_s": CC_L, "lt_u": CC_B, "gt_s": CC_G, "gt_u": CC_A,
    "le_s": CC_LE, "le_u": CC_BE, "ge_s": CC_GE, "ge_u": CC_AE,
}  # fmt: skip
_ALU = {"add": 0, "or": 1, "and": 4, "sub": 5, "xor": 6}
_SHIFT = {"shl": 4, "shr_s": 7, "shr_u": 5, "rotl": 0, "rotr": 1}
_BITS = {"clz": b"\xbd", "ctz": b"\xbc", "popcnt": b"\xb8"}
_FLOAT_OPS = {
    "add", "sub", "mul", "div", "sqrt", "min", "max", "neg", "abs", "copysign",
    "eq", "ne", "lt", "gt", "le", "ge",
}  # fmt: skip
_FLOAT_CONV = {
    f"{i}.trunc{sat}_{f}_{s}" for i in ("i32", "i64") for f in ("f32", "f64")
    for s in ("s", "u") for sat in ("", "_sat")
} | {f"{f}.convert_{i}_{s}" for f in ("f32", "f64") for i in ("i32", "i64") for s in ("s", "u")} | {
    "f32.demote_f64", "f64.promote_f32", "i32.reinterpret_f32", "i64.reinterpret_f64",
    "f32.reinterpret_i32", "f64.reinterpret_i64",
}  # fmt: skip
_CONTROL = {
    "block", "loop", "if", "else", "end", "br", "br_if", "br_table", "return",
    "unreachable", "nop", "drop", "select", "select_t", "local.get", "local.set", "local.tee",
    "call", "call_indirect", "global.get", "global.set", "memory.size", "memory.grow",
    "memory.fill", "memory.copy", "i32.const", "i64.const", "f32.const", "f64.const",
    "ref.null", "ref.is_null", *HELPERS,
    "i32.wrap_i64", "i64.extend_i32_s", "i64.extend_i32_u",
    "i32.extend8_s", "i32.extend16_s", "i64.extend8_s", "i64.extend16_s", "i64.extend32_s",
}  # fmt: skip


def _numeric_ok(name: str, bitcount: bool, sse41: bool) -> bool:
    t, _, op = name.partition(".")
    if name in _FLOAT_CONV:
        return True
    if t in ("f32", "f64"):
        if op in ("ceil", "floor", "trunc", "nearest"):
            return sse41
        return op in _FLOAT_OPS
    if t not in ("i32", "i64"):
        return False
    if op in _CMP or op in _ALU or op in _SHIFT or op in ("mul", "eqz"):
        return True
    if op in ("div_s", "div_u", "rem_s", "rem_u"):
        return True
    return op in _BITS and bitcount


def supported(
    module: Any, index: int, ftypes: list[FuncType], bitcount: bool, sse41: bool = False
) -> bool:
    """Whether function ``index`` compiles natively: integer values only
    (parameters, results, locals, every instruction's operands), and only
    the instructions this compiler knows."""
    nimp = module.num_imported_funcs
    ft = ftypes[index]
    code = module.codes[index - nimp]
    if any(t not in _INT for t in (*ft.params, *ft.results, *code.locals)):
        return False
    types = module.types
    gtypes = None
    kinds = _kinds(bitcount, sse41)
    for op, imm, _ in code.body:
        kind = kinds[op]
        if kind == _OK:
            continue
        if kind == _NO:
            return False
        # _CHECK: a load or store, or one of _CHECKED
        name = OPS[op].name
        if name in _LOADS or name in _STORES:
            if imm[1] > 0xFFFFFFFF:  # pragma: no cover - decoder bounds offsets
                return False
        elif name in ("block", "loop", "if"):
            if imm != BLOCKTYPE_EMPTY:
                p, r = block_arity(types, imm)
                if any(t not in _INT for t in (*p, *r)):
                    return False
        elif name == "call":
            cft = ftypes[imm]
            if any(t not in _INT for t in (*cft.params, *cft.results)):
                return False
        elif name == "call_indirect":
            cft = types[imm[0]]
            if any(t not in _INT for t in (*cft.params, *cft.results)):
                return False
        elif name in ("global.get", "global.set"):
            if gtypes is None:
                gtypes = module.all_globals()
            if gtypes[imm].val_type not in _INT:
                return False
        elif not module.all_memories():  # memory.fill/copy/size/grow
            return False  # pragma: no cover - validation requires a memory
    return True


_OK, _CHECK, _NO = 0, 1, 2
# The instructions of _CONTROL whose immediates and types supported() checks.
_CHECKED = {
    "block", "loop", "if", "call", "call_indirect", "global.get", "global.set",
    "memory.fill", "memory.copy", "memory.size", "memory.grow",
}  # fmt: skip
_KINDS: dict[tuple[bool, bool], dict[int, int]] = {}


def _kinds(bitcount: bool, sse41: bool) -> dict[int, int]:
    """Opcode -> whether ``supported`` accepts it at once (_OK), looks at its
    immediate and types (_CHECK: memory and control), or refuses it (_NO),
    for this CPU's optional instructions; made once per set of flags."""
    got = _KINDS.get((bitcount, sse41))
    if got is None:
        got = {}
        for op, info in OPS.items():
            name = info.name
            if name in _LOADS or name in _STORES or name in _CHECKED:
                got[op] = _CHECK
            elif name in _CONTROL:
                got[op] = _OK
            else:
                got[op] = _OK if _numeric_ok(name, bitcount, sse41) else _NO
        _KINDS[(bitcount, sse41)] = got
    return got


# Instructions whose machine code depends only on their immediate and the
# operand depth (see FunctionCompiler.compile): locals, constants, numeric
# operators, loads and stores (whose only jumps go to trap labels).
_MEMOABLE = frozenset(
    ["local.get", "local.set", "local.tee", "drop", "nop"]
    + [n for n in (o.name for o in OPS.values()) if n[:4] in ("i32.", "i64.", "f32.", "f64.")]
)  # fmt: skip
# (opcode, immediate, slot of the operand depth) ->
#     (code, depth change, ((offset of a rel32 to a trap label, trap kind), ...))
_MEMO: dict[tuple[Any, Any, int], tuple[bytes, int, tuple[tuple[int, int], ...]]] = {}
_MEMO_MAX = 1 << 16


class _Frame:
    __slots__ = ("kind", "end", "target", "height", "nparams", "nresults", "else_", "live")

    def __init__(self, kind: str, height: int, nparams: int, nresults: int, live: bool) -> None:
        self.kind = kind
        self.end = Label()  # after the construct
        self.target = self.end  # where a branch to it goes (a loop: its start)
        self.height = height  # operand depth below its parameters
        self.nparams = nparams
        self.nresults = nresults
        self.else_: Label | None = None
        self.live = live  # whether its start was reachable

    @property
    def arity(self) -> int:
        return self.nparams if self.kind == "loop" else self.nresults


class FunctionCompiler(FloatEmitter, MemoryEmitter):
    """Emits one function into a shared :class:`Asm` (the module's code)."""

    def __init__(
        self,
        a: Asm,
        module: Any,
        ftypes: list[FuncType],
        index: int,
        entry: Label,
        native: dict[int, Label],
        owned: frozenset[int] = frozenset(),
        sites: list[int] | None = None,
        lazy: bool = False,
        max_sites: int | None = None,
    ) -> None:
        self.lazy = lazy  # calls of defined functions through FTAB (engine.py)
        self.a = a
        self.owned = owned  # globals kept in native memory (engine.py)
        # call_indirect inline caches (engine.py): None when not used; else
        # a one-element list counting the module's sites so far.
        self.sites = sites
        self.max_sites = max_sites  # sites numbered beyond it get no cache
        self.ntables = len(module.all_tables())
        self.module = module
        self.ftypes = ftypes
        self.index = index
        self.entry = entry
        self.native = native  # native function index -> its entry label
        self.nimported = module.num_imported_funcs
        code = module.codes[index - self.nimported]
        self.ft = ftypes[index]
        self.nlocals = len(self.ft.params) + len(code.locals)
        self.body = code.body
        self.d = 0  # operand depth
        self.max_d = 0
        self.traps: dict[int, Label] = {}
        self.frames: list[_Frame] = []
        self.live = True

    # slots ---------------------------------------------------------------------

    def slot(self, k: int) -> int:
        """Displacement of operand slot k (0 = bottom of the operand stack)."""
        return 8 * (self.nlocals + k)

    def push_reg(self, reg: int) -> None:
        self.a.store64(R12, self.slot(self.d), reg)
        self.d += 1
        if self.d > self.max_d:
            self.max_d = self.d

    def pop_reg(self, reg: int, w: int = 1) -> None:
        self.d -= 1
        if w:
            self.a.load64(reg, R12, self.slot(self.d))
        else:
            self.a.load32(reg, R12, self.slot(self.d))

    def trap(self, kind: int) -> Label:
        lab = self.traps.get(kind)
        if lab is None:
            lab = self.traps[kind] = Label()
        return lab

    def exit(self, code: int, a_: int = 0, b: int = 0) -> None:
        """A resumable exit to Python; the operand stack up to depth d is
        in memory (VS_TOP points past it)."""
        a = self.a
        a.store_imm64(R15, 8 * EXIT_CODE, code)
        for field, v in ((EXIT_A, a_), (EXIT_B, b)):
            if v < 0x80000000:
                a.store_imm64(R15, 8 * field, v)
            else:
                a.mov_imm(RAX, v)
                a.store64(R15, 8 * field, RAX)
        a.lea(RAX, R12, self.slot(self.d))
        a.store64(R15, 8 * VS_TOP, RAX)
        a.call_mem(R15, 8 * EXIT_STUB)

    # the function --------------------------------------------------------------

    def compile(self) -> None:
        a = self.a
        a.align(16)
        a.bind(self.entry)
        # Depth and value-stack checks, then zeroed locals.
        a.alu_mem_imm(5, R15, 8 * DEPTH, 1)  # sub qword [DEPTH], 1
        a.jcc(CC_L, self.trap(T_STACK))
        # trace[depth] = this function (read back for a trap's stack trace)
        a.load64(RAX, R15, 8 * DEPTH)
        a.load64(RDX, R15, 8 * TRACE)
        a.mov_imm(RCX, self.index)
        a.store32(RDX, 0, RCX, RAX, scale=2)
        size_fix = len(a.buf)
        a.lea(RAX, R12, 0)  # patched with the frame size below
        a.cmp_mem(RAX, R15, 8 * VS_LIMIT)
        a.jcc(CC_A, self.trap(T_STACK))
        nparams = len(self.ft.params)
        nzero = self.nlocals - nparams
        if nzero <= 8:
            for i in range(nparams, self.nlocals):
                a.store_imm64(R12, 8 * i, 0)
        else:
            a.lea(RDI, R12, 8 * nparams)
            a.mov_imm(RCX, nzero)
            a.alu(6, RAX, RAX, 0)
            a.rep_stosq()
        nres = len(self.ft.results)
        func = _Frame("func", 0, 0, nres, True)
        self.frames.append(func)
        body = self.body
        memo, memo_get, fixups, nlocals = _MEMO, _MEMO.get, a.fixups, self.nlocals
        for pc in range(len(body)):
            op, imm, _ = body[pc]
            name = OPS[op].name
            if not self.live and name not in ("block", "loop", "if", "else", "end"):
                continue
            if name not in _MEMOABLE:
                self.instr(name, imm)
                continue
            # Straight-line instructions whose code is a function of the
            # instruction and the operand depth alone: emitted once per
            # (instruction, slot), then copied, with their jumps to this
            # function's trap labels (bounds checks, division by zero)
            # pointed again. An emission with any other jump is not kept.
            key = (op, imm, nlocals + self.d)
            got = memo_get(key)
            start = len(a.buf)
            if got is not None:
                a.buf += got[0]
                self.d += got[1]
                if self.d > self.max_d:
                    self.max_d = self.d
                for at, kind in got[2]:
                    fixups.append((start + at, self.trap(kind), start + at + 4))
                continue
            d0, nfix = self.d, len(fixups)
            self.instr(name, imm)
            traps = {id(lab): kind for kind, lab in self.traps.items()}
            jumps = []
            for at, lab, rel in fixups[nfix:]:
                kind = traps.get(id(lab))
                if kind is None or rel != at + 4:
                    break
                jumps.append((at - start, kind))
            else:
                if len(memo) >= _MEMO_MAX:
                    memo.clear()
                memo[key] = (bytes(a.buf[start:]), self.d - d0, tuple(jumps))
        # traps
        for kind, lab in self.traps.items():
            a.bind(lab)
            a.store_imm64(R15, 8 * EXIT_CODE, TRAP_BASE + kind)
            a.call_mem(R15, 8 * EXIT_STUB)
        # the frame's size, now known
        frame = 8 * (self.nlocals + self.max_d + 1)
        patch = Asm()
        patch.lea(RAX, R12, frame)
        a.buf[size_fix : size_fix + len(patch.buf)] = patch.buf

    def move_top(self, n: int, dst: int) -> None:
        """Copy the top ``n`` operands to the slots from displacement ``dst``
        (a branch target's height, or 0 for results)."""
        a = self.a
        for j in range(n):
            src = self.slot(self.d - n + j)
            if src != dst + 8 * j:
                a.load64(RAX, R12, src)
                a.store64(R12, dst + 8 * j, RAX)

    def epilogue(self) -> None:
        """Return: results to slots 0.., the depth back, ret."""
        a = self.a
        self.move_top(len(self.ft.results), 0)
        a.alu_mem_imm(0, R15, 8 * DEPTH, 1)
        a.ret()

    def branch(self, depth: int) -> None:
        """Move the target's values into place and jump (unconditionally)."""
        fr = self.frames[-1 - depth]
        if fr.kind == "func":
            self.epilogue()
            return
        self.move_top(fr.arity, self.slot(fr.height))
        self.a.jmp(fr.target)

    def instr(self, name: str, imm: Any) -> None:  # noqa: C901 - one dispatch over instructions
        a = self.a
        if name == "local.get":
            a.load64(RAX, R12, 8 * imm)
            self.push_reg(RAX)
        elif name == "local.set":
            self.pop_reg(RAX)
            a.store64(R12, 8 * imm, RAX)
        elif name == "local.tee":
            a.load64(RAX, R12, self.slot(self.d - 1))
            a.store64(R12, 8 * imm, RAX)
        elif name in ("i32.const", "i64.const", "f32.const", "f64.const"):
            # an integer's value or a float's bits
            v = imm & (0xFFFFFFFF if name[1] == "3" else 0xFFFFFFFFFFFFFFFF)
            if v < 0x80000000:
                a.store_imm64(R12, self.slot(self.d), v)
                self.d += 1
                self.max_d = max(self.max_d, self.d)
            else:
                a.mov_imm(RAX, v)
                self.push_reg(RAX)
        elif name in _LOADS:
            self.load(name, imm[1])
        elif name in _STORES:
            self.store(_STORES[name], imm[1])
        elif name in ("block", "loop", "if"):
            self.open(name, imm)
        elif name == "else":
            fr = self.frames[-1]
            if self.live:
                self.branch_to_end(fr)
            a.bind(fr.else_)  # type: ignore[arg-type]
            fr.else_ = None
            self.d = fr.height + fr.nparams
            self.live = fr.live
        elif name == "end":
            self.close()
        elif name == "br":
            self.branch(imm)
            self.live = False
        elif name == "br_if":
            self.pop_reg(RAX, 0)
            skip = Label()
            a.test(RAX, RAX, 0)
            a.jcc(CC_E, skip)
            self.branch(imm)
            a.bind(skip)
        elif name == "br_table":
            self.br_table(imm)
        elif name == "return":
            self.epilogue()
            self.live = False
        elif name == "unreachable":
            a.jmp(self.trap(T_UNREACHABLE))
            self.live = False
        elif name == "nop":
            pass
        elif name == "drop":
            self.d -= 1
        elif name == "select" or name == "select_t":
            self.pop_reg(RAX, 0)
            keep = Label()
            a.test(RAX, RAX, 0)
            a.jcc(CC_NE, keep)
            a.load64(RAX, R12, self.slot(self.d - 1))
            a.store64(R12, self.slot(self.d - 2), RAX)
            a.bind(keep)
            self.d -= 1
        elif name == "call":
            self.call(imm)
        elif name == "call_indirect":
            # Python checks the entry (and calls it when it is not native
            # code of this instance); a native callee's address comes back
            # in EXIT_A and is called from here, with no Python between.
            ft = self.module.types[imm[0]]
            n = len(ft.params)
            done = Label()
            site = 0
            if self.sites is not None and (
                self.max_sites is None or self.sites[0] < self.max_sites
            ):
                # The site's inline cache: the table entry (a Python object,
                # read from the table's list) it last resolved to natively,
                # and that callee's address; the same entry calls it directly.
                site = self.sites[0] = self.sites[0] + 1
                slow = Label()
                ics = 8 * (self.ntables + 2 * (site - 1))
                a.load32(RAX, R12, self.slot(self.d - 1))
                a.load64(RCX, R15, 8 * ICS)
                a.load64(RDX, RCX, 8 * imm[1])  # the table's list object
                a.cmp_mem(RAX, RDX, LIST_SIZE)
                a.jcc(CC_AE, slow)
                a.load64(RDX, RDX, LIST_ITEMS)
                a.load64(RDX, RDX, 0, RAX, scale=3)
                a.cmp_mem(RDX, RCX, ics)
                a.jcc(CC_NE, slow)
                a.load64(RAX, RCX, ics + 8)
                a.push(R12)
                a.lea(R12, R12, self.slot(self.d - 1 - n))
                a.call_reg(RAX)
                a.pop(R12)
                a.jmp(done)
                a.bind(slow)
            self.exit(EXIT_CALL_INDIRECT, imm[0], imm[1] | (site << 32))
            a.load64(RAX, R15, 8 * EXIT_A)
            a.test(RAX, RAX, 1)
            a.jcc(CC_E, done)
            a.push(R12)
            a.lea(R12, R12, self.slot(self.d - 1 - n))
            a.call_reg(RAX)
            a.pop(R12)
            a.bind(done)
            self.d += len(ft.results) - n - 1
            self.max_d = max(self.max_d, self.d)
        elif name == "global.get":
            if imm in self.owned:
                a.load64(RCX, R15, 8 * GLOBALS)
                a.load64(RAX, RCX, 8 * imm)
                self.push_reg(RAX)
            else:
                self.exit(EXIT_GLOBAL_GET, imm)
                self.d += 1
                self.max_d = max(self.max_d, self.d)
        elif name == "global.set":
            if imm in self.owned:
                self.pop_reg(RAX)
                a.load64(RCX, R15, 8 * GLOBALS)
                a.store64(RCX, 8 * imm, RAX)
            else:
                self.exit(EXIT_GLOBAL_SET, imm)
                self.d -= 1
        elif name == "memory.size":
            a.load64(RAX, R15, 8 * MEM_SIZE)
            a.shift_imm(5, RAX, 16, 1)
            self.push_reg(RAX)
        elif name == "memory.grow":
            self.exit(EXIT_GROW)
        elif name in HELPERS:
            nin, nout = HELPERS[name]
            packed = imm if isinstance(imm, int) else (imm[0] | (imm[1] << 32))
            self.exit(EXIT_HELPER, HELPER_NAMES.index(name), packed)
            self.d += nout - nin
            self.max_d = max(self.max_d, self.d)
        elif name == "ref.null":
            a.store_imm64(R12, self.slot(self.d), 0)
            self.d += 1
            self.max_d = max(self.max_d, self.d)
        elif name == "ref.is_null":
            self.pop_reg(RAX)
            a.test(RAX, RAX, 1)
            a.setcc(CC_E, RAX)
            self.push_reg(RAX)
        elif name == "memory.fill":
            self.memory_fill()
        elif name == "memory.copy":
            self.memory_copy()
        else:
            self.numeric(name)

    def open(self, kind: str, bt: int) -> None:
        a = self.a
        p, r = block_arity(self.module.types, bt)
        if kind == "if":
            if self.live:
                self.pop_reg(RAX, 0)
        fr = _Frame(kind, self.d - len(p), len(p), len(r), self.live)
        self.frames.append(fr)
        if kind == "loop":
            fr.target = Label()
            a.bind(fr.target)
            if self.live:
                # Return to Python now and then (deadlines, other threads).
                go = Label()
                a.alu_mem_imm(5, R15, 8 * BUDGET, 1)
                a.jcc(CC_GE, go)
                self.exit(EXIT_YIELD)
                a.bind(go)
        elif kind == "if":
            fr.else_ = Label()
            if self.live:
                a.test(RAX, RAX, 0)
                a.jcc(CC_E, fr.else_)

    def branch_to_end(self, fr: _Frame) -> None:
        self.move_top(fr.nresults, self.slot(fr.height))
        self.a.jmp(fr.end)

    def close(self) -> None:
        fr = self.frames.pop()
        a = self.a
        if fr.kind == "func":
            if self.live:
                self.epilogue()
            return
        if self.live:
            # falling through the end: its results, at the top, move down
            self.move_top(fr.nresults, self.slot(fr.height))
        if fr.else_ is not None:  # an if without else: the false arm ends here
            a.bind(fr.else_)
        a.bind(fr.end)
        self.d = fr.height + fr.nresults
        self.max_d = max(self.max_d, self.d)
        self.live = fr.live

    def br_table(self, imm: Any) -> None:
        targets, default = imm
        a = self.a
        self.pop_reg(RAX, 0)
        stubs: dict[int, Label] = {}
        for t in (*targets, default):
            stubs.setdefault(t, Label())
        a.alu_imm(7, RAX, len(targets), 0)  # cmp eax, n
        a.jcc(CC_AE, stubs[default])
        table = Label()
        a.lea_rip(RDX, table)
        a.load_s32_x4(RAX, RDX, RAX)
        a.alu(0, RAX, RDX, 1)
        a.jmp_reg(RAX)
        a.align(4)
        a.bind(table)
        a.table32(table, [stubs[t] for t in targets])
        for t, lab in stubs.items():
            a.bind(lab)
            self.branch(t)
        self.live = False

    def call(self, index: int) -> None:
        ft = self.ftypes[index]
        n, nr = len(ft.params), len(ft.results)
        a = self.a
        lab = self.native.get(index)
        if self.lazy and index >= self.nimported:
            # through the module's table of entries (exec.FTAB): compiled on
            # first call, or called by Python when not native
            a.load64(RCX, R15, 8 * FTAB)
            a.mov_imm(RAX, index)
            a.push(R12)
            a.lea(R12, R12, self.slot(self.d - n))
            a.call_mem(RCX, 8 * index)
            a.pop(R12)
        elif lab is None:
            self.exit(EXIT_CALL, index)
        else:
            a.push(R12)
            a.lea(R12, R12, self.slot(self.d - n))
            a.call(lab)
            a.pop(R12)
        self.d += nr - n
        self.max_d = max(self.max_d, self.d, self.d + n)

    def numeric(self, name: str) -> None:  # noqa: C901
        a = self.a
        t, _, op = name.partition(".")
        if name in _FLOAT_CONV:
            self.convert(name)
            return
        if t in ("f32", "f64"):
            self.float_op(t == "f64", op)
            return
        w = 1 if t == "i64" else 0
        if op == "eqz":
            self.pop_reg(RAX, w)
            a.test(RAX, RAX, w)
            a.setcc(CC_E, RAX)
            self.push_reg(RAX)
            return
        if op in _BITS:
            self.pop_reg(RAX, w)
            a.bitcount(_BITS[op], RAX, RAX, w)
            self.push_reg(RAX)
            return
        if op in ("extend8_s", "extend16_s", "extend32_s"):
            self.pop_reg(RAX, 1)
            a.movsx(RAX, RAX, int(op[6:-2]), w)
            self.push_reg(RAX)
            return
        if op == "wrap_i64":
            self.pop_reg(RAX, 0)
            self.push_reg(RAX)
            return
        if op == "extend_i32_s":
            self.pop_reg(RAX, 0)
            a.movsx(RAX, RAX, 32, 1)
            self.push_reg(RAX)
            return
        if op == "extend_i32_u":
            return  # already zero-extended
        self.pop_reg(RCX, w)
        self.pop_reg(RAX, w)
        if op in _CMP:
            a.alu(7, RAX, RCX, w)
            a.setcc(_CMP[op], RAX)
        elif op in _ALU:
            a.alu(_ALU[op], RAX, RCX, w)
        elif op in _SHIFT:
            a.shift_cl(_SHIFT[op], RAX, w)
        elif op == "mul":
            a.imul(RAX, RCX, w)
        else:
            self.divide(op, w)
            return
        self.push_reg(RAX)

    def divide(self, op: str, w: int) -> None:
        a = self.a
        a.test(RCX, RCX, w)
        a.jcc(CC_E, self.trap(T_DIV0))
        signed = op.endswith("_s")
        done = Label()
        result = RAX if op.startswith("div") else RDX
        if signed:
            normal = Label()
            a.alu_imm(7, RCX, -1, w)  # cmp rcx, -1
            a.jcc(CC_NE, normal)
            if op == "div_s":
                a.mov_imm(RDX, 1 << 63 if w else 1 << 31)
                a.alu(7, RAX, RDX, w)
                a.jcc(CC_E, self.trap(T_OVERFLOW))
                # x / -1 = -x: fall through to idiv, which cannot fault now
            else:
                a.alu(6, RDX, RDX, 0)  # x % -1 = 0
                a.jmp(done)
            a.bind(normal)
            a.cdq(w)
        else:
            a.alu(6, RDX, RDX, 0)
        a.div(RCX, signed, w)
        a.bind(done)
        if not w:
            a.mov(result, result, 0)  # zero-extend the 32-bit result
        self.push_reg(result)
