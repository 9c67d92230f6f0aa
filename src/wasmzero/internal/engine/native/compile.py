"""The single-pass baseline compiler: wasm function bodies to x86-64.

Stage 1 covers i32/i64 numerics, locals, structured control flow and direct
calls between natively compiled functions; any other function (floats,
memory, globals, tables, imports, SIMD, or a call to such a function) runs
in the compiler engine instead.

Frame layout (see RATIONALE.md, "The native engine"): ``rbx`` points at the
current frame in the value stack (a per-thread buffer, not the machine
stack); slot ``i`` (8 bytes, at ``[rbx + 8*i]``) holds local ``i`` for
``i < L`` and operand-stack entry ``i - L`` above. The stack height is
known statically at every instruction of a valid function, so each operand
has a fixed slot. A call moves ``rbx`` to the callee's first argument; the
callee leaves its results in its slots ``0..n-1``, which is exactly where
the caller's operand stack expects them. ``r15`` points at the context.
i32 values are held zero-extended in their 64-bit slots.
"""

from __future__ import annotations

from typing import Any

from ...wasm.instructions import OP
from ...wasm.module import Module
from ...wasm.types import I32, I64
from .asm import R12, R13, R14, R15, RAX, RBP, RBX, RCX, RDI, RDX, RSI, RSP, Asm, Label

# Context slots (``exec.Context``), byte offsets from r15.
CTX_SAVED_RSP = 0
CTX_DEPTH = 8  # remaining native call depth
CTX_STACK_END = 16  # one past the last byte of the value stack
CTX_MEM_BASE = 24  # address of linear memory's first byte (fixed during a call)
CTX_MEM_SIZE = 32  # its size in bytes
CTX_GLOBALS = 40  # address of the globals area (8 bytes per global, by index)

# Exit codes returned to the trampoline (0: the call returned normally).
EXIT_UNREACHABLE = 1
EXIT_DIV_ZERO = 2
EXIT_OVERFLOW = 3
EXIT_STACK = 4
EXIT_OOB = 5
EXIT_CODES = (EXIT_UNREACHABLE, EXIT_DIV_ZERO, EXIT_OVERFLOW, EXIT_STACK, EXIT_OOB)

# Loads: name -> (access size, rex.w, opcode bytes of `op reg, r/m`).
LOADS = {
    "i32.load": (4, False, (0x8B,)),
    "i64.load": (8, True, (0x8B,)),
    "i32.load8_s": (1, False, (0x0F, 0xBE)),
    "i32.load8_u": (1, False, (0x0F, 0xB6)),
    "i32.load16_s": (2, False, (0x0F, 0xBF)),
    "i32.load16_u": (2, False, (0x0F, 0xB7)),
    "i64.load8_s": (1, True, (0x0F, 0xBE)),
    "i64.load8_u": (1, False, (0x0F, 0xB6)),
    "i64.load16_s": (2, True, (0x0F, 0xBF)),
    "i64.load16_u": (2, False, (0x0F, 0xB7)),
    "i64.load32_s": (4, True, (0x63,)),
    "i64.load32_u": (4, False, (0x8B,)),
}
# Stores: name -> (access size, prefix bytes + opcode of `op r/m, reg`).
STORES = {
    "i32.store": (4, (0x89,)),
    "i64.store": (8, (0x48, 0x89)),
    "i32.store8": (1, (0x88,)),
    "i64.store8": (1, (0x88,)),
    "i32.store16": (2, (0x66, 0x89)),
    "i64.store16": (2, (0x66, 0x89)),
    "i64.store32": (4, (0x89,)),
}
_LOAD_OPS = {OP[n]: v for n, v in LOADS.items()}
_STORE_OPS = {OP[n]: v for n, v in STORES.items()}

_VT = {I32, I64}
_BT = {-64: (), -1: (I32,), -2: (I64,)}


class Unsupported(Exception):
    """The function needs something stage 1 does not compile natively."""


def _binops() -> dict[int, tuple[str, Any, bool]]:
    t: dict[int, tuple[str, Any, bool]] = {}
    for p, w in (("i32", False), ("i64", True)):
        for n, code in (("add", 0x01), ("sub", 0x29), ("and", 0x21), ("or", 0x09), ("xor", 0x31)):
            t[OP[f"{p}.{n}"]] = ("alu", code, w)
        t[OP[f"{p}.mul"]] = ("mul", None, w)
        for n, ext in (("shl", 4), ("shr_s", 7), ("shr_u", 5), ("rotl", 0), ("rotr", 1)):
            t[OP[f"{p}.{n}"]] = ("shift", ext, w)
        for n, cc in (
            ("eq", "e"), ("ne", "ne"), ("lt_s", "l"), ("lt_u", "b"), ("gt_s", "g"), ("gt_u", "a"),
            ("le_s", "le"), ("le_u", "be"), ("ge_s", "ge"), ("ge_u", "ae"),
        ):  # fmt: skip
            t[OP[f"{p}.{n}"]] = ("cmp", cc, w)
        for n in ("div_s", "div_u", "rem_s", "rem_u"):
            t[OP[f"{p}.{n}"]] = ("div", n, w)
    return t


def _unops() -> dict[int, tuple[str, Any, bool]]:
    t: dict[int, tuple[str, Any, bool]] = {}
    for p, w in (("i32", False), ("i64", True)):
        t[OP[f"{p}.eqz"]] = ("eqz", None, w)
        t[OP[f"{p}.clz"]] = ("bit", 0xBD, w)
        t[OP[f"{p}.ctz"]] = ("bit", 0xBC, w)
        t[OP[f"{p}.popcnt"]] = ("bit", 0xB8, w)
        t[OP[f"{p}.extend8_s"]] = ("movx", 0xBE, w)
        t[OP[f"{p}.extend16_s"]] = ("movx", 0xBF, w)
    t[OP["i64.extend32_s"]] = ("sxd", None, True)
    t[OP["i64.extend_i32_s"]] = ("sxd", None, True)
    t[OP["i64.extend_i32_u"]] = ("zx", None, False)
    t[OP["i32.wrap_i64"]] = ("zx", None, False)
    return t


BINOPS = _binops()
UNOPS = _unops()
_C = {n: OP[n] for n in (
    "unreachable", "nop", "block", "loop", "if", "else", "end", "br", "br_if", "br_table",
    "return", "call", "drop", "select", "local.get", "local.set", "local.tee",
    "i32.const", "i64.const",
)}  # fmt: skip
_SELECT_T = OP.get("select_t", OP.get("select t"))
_MEMORY_SIZE = OP["memory.size"]
_GLOBAL_GET, _GLOBAL_SET = OP["global.get"], OP["global.set"]
SUPPORTED = set(BINOPS) | set(UNOPS) | set(_C.values()) | ({_SELECT_T} - {None})
SUPPORTED |= set(_LOAD_OPS) | set(_STORE_OPS) | {_MEMORY_SIZE, _GLOBAL_GET, _GLOBAL_SET}


def _blocktype(module: Module, bt: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    if bt in _BT:
        return (), _BT[bt]
    if bt >= 0:
        ft = module.types[bt]
        if all(v in _VT for v in ft.params + ft.results):
            return ft.params, ft.results
    raise Unsupported("block type")


def globals_used(module: Module, funcs: set[int]) -> tuple[list[int], list[int]]:
    """(globals read, globals written) by the native functions ``funcs``."""
    got: set[int] = set()
    put: set[int] = set()
    nimp = module.num_imported_funcs
    for fi in funcs:
        for op, imm, _ in module.codes[fi - nimp].body:
            if op == _GLOBAL_GET:
                got.add(imm)
            elif op == _GLOBAL_SET:
                put.add(imm)
    return sorted(got | put), sorted(put)


def native_candidates(module: Module) -> set[int]:
    """Defined functions that stage 1 can compile: only supported
    instructions and value types, and calls only to other candidates."""
    nimp = module.num_imported_funcs
    ftypes = module.func_types()
    gtypes = [g.val_type for g in module.all_globals()]
    cand: dict[int, set[int]] = {}
    for k, code in enumerate(module.codes):
        fi = nimp + k
        ft = ftypes[fi]
        try:
            if not all(v in _VT for v in ft.params + ft.results + tuple(code.locals)):
                continue
            callees = set()
            for op, imm, _ in code.body:
                if op not in SUPPORTED:
                    raise Unsupported(op)
                if op == _C["call"]:
                    callees.add(imm)
                elif op in (_C["block"], _C["loop"], _C["if"]):
                    _blocktype(module, imm)
                elif (op == _GLOBAL_GET or op == _GLOBAL_SET) and gtypes[imm] not in _VT:
                    raise Unsupported("global type")
        except Exception:  # noqa: BLE001 - unsupported, or a body that fails to decode
            continue
        cand[fi] = callees
    changed = True
    while changed:
        changed = False
        for fi in list(cand):
            if not cand[fi] <= cand.keys():
                del cand[fi]
                changed = True
    return set(cand)


class _Frame:
    __slots__ = ("kind", "label", "height", "nparams", "nresults", "else_label")

    def __init__(self, kind: str, label: Label, height: int, np: int, nr: int) -> None:
        self.kind, self.label, self.height, self.nparams, self.nresults = (
            kind,
            label,
            height,
            np,
            nr,
        )
        self.else_label: Label | None = None


class ModuleCompiler:
    """Compiles the native functions of one module into one code blob."""

    def __init__(self, module: Module, funcs: set[int]) -> None:
        self.module = module
        self.funcs = funcs
        self.ftypes = module.func_types()
        self.a = Asm()
        self.entry_labels = {fi: Label() for fi in funcs}
        self.traps = {code: Label() for code in EXIT_CODES}
        self.epilogue = Label()

    def compile(self) -> tuple[bytes, int, dict[int, int]]:
        a = self.a
        entry = a.here()
        self._trampoline()
        for fi in sorted(self.funcs):
            a.bind(self.entry_labels[fi])
            self._function(fi)
        code = a.resolve()
        return code, entry, {fi: lab.pos for fi, lab in self.entry_labels.items()}  # type: ignore[misc]

    def _trampoline(self) -> None:
        """entry(ctx=rdi, frame=rsi, fn=rdx) -> exit code (eax)."""
        a = self.a
        for r in (RBX, RBP, R12, R13, R14, R15):
            a.push(r)
        a.rr(0x89, R15, RDI, True)  # mov r15, rdi
        a.rr(0x89, RBX, RSI, True)  # mov rbx, rsi
        a.store(R15, CTX_SAVED_RSP, RSP)
        a.call_reg(RDX)
        a.rr(0x31, RAX, RAX, False)  # xor eax, eax
        a.bind(self.epilogue)
        for r in (R15, R14, R13, R12, RBP, RBX):
            a.pop(r)
        a.ret()
        for code, label in self.traps.items():
            # Unwind every native frame at once: back to the saved host rsp.
            a.bind(label)
            a.mov_imm(RAX, code)
            a.load(RSP, R15, CTX_SAVED_RSP)
            a.jmp(self.epilogue)

    # -- one function --------------------------------------------------------
    def _function(self, fi: int) -> None:
        a = self.a
        ft = self.ftypes[fi]
        code = self.module.codes[fi - self.module.num_imported_funcs]
        self.L = L = len(ft.params) + len(code.locals)
        self.maxh = 0
        # Prologue: call depth, value-stack room (patched below), zero locals.
        a.alu_mem_imm8(5, R15, CTX_DEPTH, 1)  # sub qword [r15+depth], 1
        a.jcc("l", self.traps[EXIT_STACK])
        a.lea(RAX, RBX, 0)
        room_at = a.here() - 4
        a.cmp_mem(RAX, R15, CTX_STACK_END)
        a.jcc("a", self.traps[EXIT_STACK])
        if L > len(ft.params):
            a.rr(0x31, RAX, RAX, False)
            for i in range(len(ft.params), L):
                a.store(RBX, 8 * i, RAX)
        self.ret_label = Label()
        self.nresults = len(ft.results)
        self.ctrl = [_Frame("func", self.ret_label, 0, 0, len(ft.results))]
        self.h = 0
        self.dead = 0  # > 0: skipping unreachable code, nesting depth + 1
        for op, imm, _ in code.body:
            self._instr(op, imm)
        room = 8 * (L + self.maxh + 1)
        a.buf[room_at : room_at + 4] = room.to_bytes(4, "little", signed=True)

    def _d(self, pos: int) -> int:
        return 8 * (self.L + pos)

    def _push(self) -> int:
        self.h += 1
        self.maxh = max(self.maxh, self.h)
        return self.h - 1

    def _copy(self, n: int, src: int, dst: int) -> None:
        if src == dst:
            return
        for k in range(n):
            self.a.load(RAX, RBX, self._d(src + k))
            self.a.store(RBX, self._d(dst + k), RAX)

    def _branch(self, depth: int) -> None:
        """Move the label's values into place and jump (stack unchanged)."""
        fr = self.ctrl[-1 - depth]
        n = fr.nparams if fr.kind == "loop" else fr.nresults
        self._copy(n, self.h - n, fr.height)
        self.a.jmp(fr.label)

    def _return(self) -> None:
        n = self.nresults
        for k in range(n):
            self.a.load(RAX, RBX, self._d(self.h - n + k))
            self.a.store(RBX, 8 * k, RAX)
        self.a.alu_mem_imm8(0, R15, CTX_DEPTH, 1)  # add qword [r15+depth], 1
        self.a.ret()

    def _instr(self, op: int, imm: Any) -> None:  # noqa: C901, PLR0912, PLR0915
        a, C = self.a, _C
        if self.dead:
            if op in (C["block"], C["loop"], C["if"]):
                self.dead += 1
            elif op == C["end"] or (op == C["else"] and self.dead == 1):
                self.dead -= 1
                if self.dead == 0:
                    self._instr(op, imm)
            return
        if op in BINOPS:
            kind, data, w = BINOPS[op]
            x, y = self._d(self.h - 2), self._d(self.h - 1)
            a.load(RAX, RBX, x)
            a.load(RCX, RBX, y)
            if kind == "alu":
                a.rr(data, RAX, RCX, w)
            elif kind == "mul":
                a.rr0f(0xAF, RAX, RCX, w)
            elif kind == "shift":
                a.group(0xD3, data, RAX, w)
            elif kind == "cmp":
                a.rr(0x39, RAX, RCX, w)
                a.setcc(data, RAX)
            else:
                self._div(data, w)
            a.store(RBX, x, RAX)
            self.h -= 1
        elif op in UNOPS:
            kind, data, w = UNOPS[op]
            x = self._d(self.h - 1)
            a.load(RAX, RBX, x)
            if kind == "eqz":
                a.rr(0x85, RAX, RAX, w)
                a.setcc("e", RAX)
            elif kind == "bit":
                a.rr0f(data, RAX, RAX, w, prefix=0xF3)  # lzcnt / tzcnt / popcnt
            elif kind == "movx":
                a.rr0f(data, RAX, RAX, w)
            elif kind == "sxd":
                a.movsxd(RAX, RAX)
            else:
                a.rr(0x89, RAX, RAX, False)  # mov eax, eax
            a.store(RBX, x, RAX)
        elif op == C["local.get"]:
            a.load(RAX, RBX, 8 * imm)
            a.store(RBX, self._d(self._push()), RAX)
        elif op in (C["local.set"], C["local.tee"]):
            a.load(RAX, RBX, self._d(self.h - 1))
            a.store(RBX, 8 * imm, RAX)
            if op == C["local.set"]:
                self.h -= 1
        elif op in (C["i32.const"], C["i64.const"]):
            a.mov_imm(RAX, imm)
            a.store(RBX, self._d(self._push()), RAX)
        elif op == C["drop"]:
            self.h -= 1
        elif op == C["select"] or op == _SELECT_T:
            a.load(RAX, RBX, self._d(self.h - 3))
            a.load(RCX, RBX, self._d(self.h - 2))
            a.load(RDX, RBX, self._d(self.h - 1))
            a.rr(0x85, RDX, RDX, False)
            a.rr0f(0x44, RAX, RCX, True)  # cmovz rax, rcx
            a.store(RBX, self._d(self.h - 3), RAX)
            self.h -= 2
        elif op == C["nop"]:
            pass
        elif op in _LOAD_OPS:
            size, w, opcode = _LOAD_OPS[op]
            x = self._d(self.h - 1)
            self._address(x, imm[1], size)
            if w:
                a.b(0x48)
            a.b(*opcode, 0x01)  # reg = eax/rax, r/m = [rcx]
            a.store(RBX, x, RAX)
        elif op in _STORE_OPS:
            size, opcode = _STORE_OPS[op]
            self._address(self._d(self.h - 2), imm[1], size)
            a.load(RAX, RBX, self._d(self.h - 1))
            a.b(*opcode, 0x01)  # r/m = [rcx], reg = al/ax/eax/rax
            self.h -= 2
        elif op == _GLOBAL_GET:
            a.load(RDX, R15, CTX_GLOBALS)
            a.load(RAX, RDX, 8 * imm)
            a.store(RBX, self._d(self._push()), RAX)
        elif op == _GLOBAL_SET:
            self.h -= 1
            a.load(RDX, R15, CTX_GLOBALS)
            a.load(RAX, RBX, self._d(self.h))
            a.store(RDX, 8 * imm, RAX)
        elif op == _MEMORY_SIZE:
            a.load(RAX, R15, CTX_MEM_SIZE)
            a.b(0x48, 0xC1, 0xE8, 16)  # shr rax, 16
            a.store(RBX, self._d(self._push()), RAX)
        elif op in (C["block"], C["loop"]):
            params, results = _blocktype(self.module, imm)
            fr = _Frame(
                "block" if op == C["block"] else "loop",
                Label(),
                self.h - len(params),
                len(params),
                len(results),
            )
            if op == C["loop"]:
                a.bind(fr.label)
            self.ctrl.append(fr)
        elif op == C["if"]:
            params, results = _blocktype(self.module, imm)
            self.h -= 1
            a.load(RAX, RBX, self._d(self.h))
            a.rr(0x85, RAX, RAX, False)
            fr = _Frame("if", Label(), self.h - len(params), len(params), len(results))
            fr.else_label = Label()
            a.jcc("e", fr.else_label)
            self.ctrl.append(fr)
        elif op == C["else"]:
            fr = self.ctrl[-1]
            a.jmp(fr.label)
            a.bind(fr.else_label)  # type: ignore[arg-type]
            fr.else_label = None
            fr.kind = "else"
            self.h = fr.height + fr.nparams
        elif op == C["end"]:
            fr = self.ctrl.pop()
            if fr.else_label is not None:  # an if without else: params pass through
                a.bind(fr.else_label)
            if fr.kind == "func":
                a.bind(fr.label)
                self.h = fr.nresults
                self._return()
                return
            if fr.kind != "loop":
                a.bind(fr.label)
            self.h = fr.height + fr.nresults
        elif op == C["br"]:
            self._branch(imm)
            self._kill()
        elif op == C["br_if"]:
            self.h -= 1
            a.load(RAX, RBX, self._d(self.h))
            a.rr(0x85, RAX, RAX, False)
            skip = Label()
            a.jcc("e", skip)
            self._branch(imm)
            a.bind(skip)
        elif op == C["br_table"]:
            labels, default = imm
            self.h -= 1
            a.load(RCX, RBX, self._d(self.h))
            for i, depth in enumerate(labels):
                nxt = Label()
                a.mov_imm(RAX, i)
                a.rr(0x39, RCX, RAX, False)  # cmp ecx, eax
                a.jcc("ne", nxt)
                self._branch(depth)
                a.bind(nxt)
            self._branch(default)
            self._kill()
        elif op == C["return"]:
            self._return()
            self._kill()
        elif op == C["unreachable"]:
            a.jmp(self.traps[EXIT_UNREACHABLE])
            self._kill()
        elif op == C["call"]:
            ft = self.ftypes[imm]
            base = self.h - len(ft.params)
            disp = self._d(base)
            # The callee's frame must fit: room for its results too.
            self.maxh = max(self.maxh, base + len(ft.results))
            a.add_imm(RBX, disp)
            a.call(self.entry_labels[imm])
            a.add_imm(RBX, -disp)
            self.h = base + len(ft.results)
        else:
            raise Unsupported(op)

    def _address(self, slot: int, offset: int, size: int) -> None:
        """rcx = the host address of the access at the i32 address in
        ``slot`` + ``offset``, after checking that its ``size`` bytes lie
        within the memory (else the out-of-bounds trap). 64-bit arithmetic:
        address + offset + size < 2**34 cannot wrap."""
        a = self.a
        a.mov_imm(RCX, offset)
        a.load(RAX, RBX, slot)
        a.rr(0x01, RCX, RAX, True)  # add rcx, rax
        a.lea(RDX, RCX, size)
        a.cmp_mem(RDX, R15, CTX_MEM_SIZE)
        a.jcc("a", self.traps[EXIT_OOB])
        a.add_mem(RCX, R15, CTX_MEM_BASE)

    def _kill(self) -> None:
        """The rest of the current block is unreachable."""
        self.dead = 1
        self.h = self.ctrl[-1].height

    def _div(self, name: str, w: bool) -> None:
        """rax = rax op rcx for div_s/div_u/rem_s/rem_u, with the traps."""
        a = self.a
        a.rr(0x85, RCX, RCX, w)
        a.jcc("e", self.traps[EXIT_DIV_ZERO])
        done = Label()
        if name.endswith("_s"):
            normal = Label()
            a.mov_imm(RDX, -1 if w else 0xFFFFFFFF)
            a.rr(0x39, RCX, RDX, w)  # cmp rcx, -1
            a.jcc("ne", normal)
            if name == "div_s":
                a.mov_imm(RDX, 1 << 63 if w else 1 << 31)
                a.rr(0x39, RAX, RDX, w)
                a.jcc("e", self.traps[EXIT_OVERFLOW])
                a.group(0xF7, 3, RAX, w)  # neg rax: x / -1
                a.jmp(done)
            else:
                a.rr(0x31, RAX, RAX, False)  # x % -1 == 0
                a.jmp(done)
            a.bind(normal)
            a.cqo(w)
            a.group(0xF7, 7, RCX, w)  # idiv
        else:
            a.rr(0x31, RDX, RDX, False)
            a.group(0xF7, 6, RCX, w)  # div
        if name.startswith("rem"):
            a.rr(0x89, RAX, RDX, w)
        a.bind(done)
        if not w:
            a.rr(0x89, RAX, RAX, False)
