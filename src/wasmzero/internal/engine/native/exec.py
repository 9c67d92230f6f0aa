"""Executable memory, the context block and the trampolines between Python
and native code (see RATIONALE, "The native engine").

Native code runs on a machine stack of its own (one per thread, mmapped,
with an inaccessible guard region below it) and keeps wasm values in a
value stack of its own (8 bytes a slot). It never calls Python: to run a
host function, a function that is not native, or to trap, it stores an exit
code in the context block and jumps to the exit stub, which saves its
machine stack pointer and returns to Python from the entry (or resume)
trampoline. Python acts and either resumes (the resume trampoline switches
back to the saved stack and returns into the code after its exit) or, for a
trap, drops that stack.

Code is written into read-write memory and then made read+execute with
``mprotect``: never writable and executable at once.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import threading
from typing import Any

from ...wasm.zeroed import OB_SIZE, OB_START, bytearray_layout
from .. import foreign_platform
from .asm import CC_E, R12, R13, R14, R15, RAX, RBP, RBX, RCX, RDI, RDX, RSI, RSP, Asm, Label

# The context block: one per thread, an array of u64 (indices).
HOST_RSP, GUEST_RSP, EXIT_CODE, EXIT_A, EXIT_B, MEM_OBJ, MEM_SIZE, VS_LIMIT = range(8)
DEPTH, BUDGET, FRAME, GUEST_TOP, EXIT_STUB, VS_TOP, TRACE, GLOBALS, ICS, FTAB = range(8, 18)
CTX_WORDS = 19
EXIT_COMPILE = 10  # a lazily compiled module's function reached first (compile.py's codes)

# A CPython list object: ob_size and ob_item (checked by list_layout()).
LIST_SIZE, LIST_ITEMS = 16, 24
# A CPython bytearray: ob_size and ob_start (checked by bytearray_layout()).
BYTES_SIZE, BYTES_START = OB_SIZE, OB_START

GUEST_STACK = 4 << 20  # bytes of machine stack per thread
GUARD = 64 << 10  # inaccessible bytes below it
VALUE_STACK = 16 << 20  # bytes of value stack per thread (2M slots)
MAX_DEPTH = 100_000  # native calls nested (16 bytes of machine stack each)
YIELD_EVERY = 1 << 20  # loop iterations between returns to Python

_PROT_NONE, _PROT_READ, _PROT_WRITE, _PROT_EXEC = 0, 1, 2, 4

_libc: Any = None
_unavailable: str | None = None
_probed = False
_lock = threading.Lock()


def _load_libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long,
    ]  # fmt: skip
    libc.mprotect.restype = ctypes.c_int
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    libc.munmap.restype = ctypes.c_int
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    return libc


def _map(size: int) -> int:
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
    addr = _libc.mmap(None, size, _PROT_READ | _PROT_WRITE, flags, -1, 0)
    if addr is None or addr == ctypes.c_void_p(-1).value:
        raise MemoryError(f"mmap of {size} bytes failed (errno {ctypes.get_errno()})")
    return int(addr)


def unavailable() -> str | None:
    """Why native code cannot run here (None: it can). Probed once: x86-64
    Linux, and a page that can be made executable."""
    global _libc, _unavailable, _probed
    with _lock:
        if _probed:
            return _unavailable
        _probed = True
        if os.environ.get("WASMZERO_NATIVE_UNAVAILABLE"):  # tests force the fallback
            _unavailable = "disabled by WASMZERO_NATIVE_UNAVAILABLE"
        elif (why := foreign_platform()) is not None:
            _unavailable = why
        elif not bytearray_layout():
            _unavailable = "this Python's bytearray layout is not the one native code reads"
        else:
            try:
                _libc = _load_libc()
                page = _map(mmap.PAGESIZE)
                ctypes.memmove(page, b"\xc3", 1)
                if _libc.mprotect(page, mmap.PAGESIZE, _PROT_READ | _PROT_EXEC) != 0:
                    _unavailable = f"executable memory refused (errno {ctypes.get_errno()})"
                _libc.munmap(page, mmap.PAGESIZE)
            except (OSError, MemoryError, AttributeError) as e:
                _unavailable = f"executable memory unavailable: {e}"
        return _unavailable


class CodeBuffer:
    """Machine code placed in its own pages, read+execute only."""

    def __init__(self, code: bytes) -> None:
        size = max(mmap.PAGESIZE, -(-len(code) // mmap.PAGESIZE) * mmap.PAGESIZE)
        self.size = size
        self.addr = _map(size)
        ctypes.memmove(self.addr, code, len(code))
        if _libc.mprotect(self.addr, size, _PROT_READ | _PROT_EXEC) != 0:
            raise MemoryError(f"mprotect failed (errno {ctypes.get_errno()})")

    def __del__(self) -> None:
        if _libc is not None and getattr(self, "addr", 0):
            _libc.munmap(self.addr, self.size)


_CALLEE_SAVED = (RBX, RBP, R12, R13, R14, R15)


def _memory(a: Asm) -> None:
    """r14 and MEM_SIZE from the linear memory's bytearray, read at every
    entry and resume while the GIL is held: nothing can move the bytes
    between this read and the native code's accesses (memory moves only
    while Python runs, and Python runs only at exits)."""
    none, done = Label(), Label()
    a.load64(RAX, R15, 8 * MEM_OBJ)
    a.test(RAX, RAX, 1)
    a.jcc(CC_E, none)
    a.load64(RCX, RAX, BYTES_SIZE)
    a.store64(R15, 8 * MEM_SIZE, RCX)
    a.load64(R14, RAX, BYTES_START)
    a.jmp(done)
    a.bind(none)
    a.alu(6, R14, R14, 1)
    a.store_imm64(R15, 8 * MEM_SIZE, 0)
    a.bind(done)


def _trampolines() -> tuple[bytes, dict[str, Label]]:
    a = Asm()
    enter, exit_stub, leave, resume = Label(), Label(), Label(), Label()
    # enter(ctx: rdi, frame: rsi, target: rdx) -> 0 returned, 1 exited
    a.bind(enter)
    for r in _CALLEE_SAVED:
        a.push(r)
    a.store64(RDI, 8 * HOST_RSP, RSP)
    a.mov(R15, RDI)
    a.mov(R12, RSI)
    _memory(a)
    a.load64(RSP, R15, 8 * GUEST_TOP)
    a.call_reg(RDX)
    a.alu(6, RAX, RAX, 0)  # xor eax, eax
    a.jmp(leave)
    # exit stub: reached by `call [r15+EXIT_STUB]` from native code
    a.align(16)
    a.bind(exit_stub)
    a.store64(R15, 8 * GUEST_RSP, RSP)
    a.store64(R15, 8 * FRAME, R12)
    a.mov_imm(RAX, 1)
    a.bind(leave)
    a.load64(RSP, R15, 8 * HOST_RSP)
    for r in reversed(_CALLEE_SAVED):
        a.pop(r)
    a.ret()
    # resume(ctx: rdi) -> as enter
    a.align(16)
    a.bind(resume)
    for r in _CALLEE_SAVED:
        a.push(r)
    a.store64(RDI, 8 * HOST_RSP, RSP)
    a.mov(R15, RDI)
    a.load64(R12, R15, 8 * FRAME)
    _memory(a)
    a.load64(RSP, R15, 8 * GUEST_RSP)
    a.ret()
    # The first call of a function of a lazily compiled module (eax: its
    # index) exits to have it compiled; Python answers the address to go on
    # at in EXIT_A: the function's entry, or ret_stub once Python has made
    # the call itself (a function that is not native).
    lazy, ret_stub = Label(), Label()
    a.align(16)
    a.bind(lazy)
    a.store64(R15, 8 * EXIT_A, RAX)
    a.store_imm64(R15, 8 * EXIT_CODE, EXIT_COMPILE)
    a.call_mem(R15, 8 * EXIT_STUB)
    a.load64(RAX, R15, 8 * EXIT_A)
    a.jmp_reg(RAX)
    a.align(16)
    a.bind(ret_stub)
    a.ret()
    labels = {"enter": enter, "exit": exit_stub, "resume": resume, "lazy": lazy, "ret": ret_stub}
    return a.finish(), labels


class _Process:
    """The trampolines, made once per process."""

    def __init__(self) -> None:
        code, labels = _trampolines()
        self.buffer = CodeBuffer(code)
        base = self.buffer.addr
        proto = ctypes.PYFUNCTYPE(
            ctypes.c_uint64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p
        )
        self.enter = proto(base + labels["enter"].pos)
        self.resume = ctypes.PYFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p)(
            base + labels["resume"].pos
        )
        self.exit_stub = base + labels["exit"].pos
        self.lazy_stub = base + labels["lazy"].pos
        self.ret_stub = base + labels["ret"].pos


_process: _Process | None = None


def process() -> _Process:
    global _process
    if _process is None:
        why = unavailable()
        if why is not None:
            raise RuntimeError(f"native code cannot run here: {why}")
        with _lock:
            if _process is None:
                _process = _Process()
    return _process


class ThreadState:
    """One thread's context block, machine stack and value stack."""

    def __init__(self) -> None:
        p = process()
        self.ctx = (ctypes.c_uint64 * CTX_WORDS)()
        self.ctx_addr = ctypes.addressof(self.ctx)
        self.stack = _map(GUEST_STACK + GUARD)
        _libc.mprotect(self.stack, GUARD, _PROT_NONE)  # overflow faults, never corrupts
        self.values = _map(VALUE_STACK)
        ctx = self.ctx
        ctx[EXIT_STUB] = p.exit_stub
        self.stack_top = self.stack + GUARD + GUEST_STACK - 64
        ctx[GUEST_TOP] = self.stack_top
        ctx[VS_LIMIT] = self.values + VALUE_STACK - 4096
        ctx[BUDGET] = YIELD_EVERY
        # trace[d]: the function running at depth d (for traps' stack traces)
        self.trace = (ctypes.c_uint32 * (MAX_DEPTH + 1))()
        ctx[TRACE] = ctypes.addressof(self.trace)
        self.vs_top = self.values  # the first free value slot
        self.refs: list[Any] = []  # references held in slots (engine.py)
        self.active = 0  # native calls in progress (nested through Python)
        # 64-bit view of the value stack, for reading and writing slots.
        self.slots = (ctypes.c_uint64 * (VALUE_STACK // 8)).from_address(self.values)

    def __del__(self) -> None:
        if _libc is not None:
            _libc.munmap(self.stack, GUEST_STACK + GUARD)
            _libc.munmap(self.values, VALUE_STACK)


_local = threading.local()


def thread_state() -> ThreadState:
    try:
        return _local.state  # type: ignore[no-any-return]
    except AttributeError:
        st = _local.state = ThreadState()
        return st


def list_layout() -> bool:
    """Whether lists are laid out as the inline caches read them (CPython
    with the GIL: ob_size at 16, ob_item at 24), checked on a live list."""
    import sys
    import sysconfig

    if sys.implementation.name != "cpython" or sysconfig.get_config_var("Py_GIL_DISABLED"):
        return False
    probe = [object(), object(), object()]
    base = id(probe)
    size = ctypes.c_ssize_t.from_address(base + LIST_SIZE).value
    items = ctypes.c_void_p.from_address(base + LIST_ITEMS).value
    if size != 3 or not items:
        return False
    return all(ctypes.c_void_p.from_address(items + 8 * i).value == id(probe[i]) for i in range(3))
