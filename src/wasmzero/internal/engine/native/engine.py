"""The native engine (``RuntimeConfig(engine="native")``).

Each module's natively compilable functions (``compile.native_candidates``)
become one blob of x86-64 code; every other function runs as in the compiler
engine (``..code.CompiledCode``), and ``fallbacks`` counts them. Where this
process cannot run native code (``exec.probe``), a warning says so once and
every function runs in the compiler engine.
"""

from __future__ import annotations

import ctypes
import threading
import warnings
from typing import Any

from ....errors import Trap, TrapKind
from ...wasm.module import Module
from ...wasm.store import ModuleInstance
from ...wasm.types import I32
from ..code import CompiledCode
from . import compile as nc
from .exec import CodeBlob, NoExecutableMemory, probe

STACK_SLOTS = 1 << 17  # 1 MiB of value stack per thread
MAX_DEPTH = 20000  # native calls deep (8 bytes of machine stack each)

_TRAPS = {
    nc.EXIT_UNREACHABLE: TrapKind.UNREACHABLE,
    nc.EXIT_DIV_ZERO: TrapKind.INTEGER_DIVIDE_BY_ZERO,
    nc.EXIT_OVERFLOW: TrapKind.INTEGER_OVERFLOW,
    nc.EXIT_STACK: TrapKind.CALL_STACK_EXHAUSTED,
    nc.EXIT_OOB: TrapKind.MEMORY_OUT_OF_BOUNDS,
}

_warned = False
_warn_lock = threading.Lock()


def _warn_once(reason: str) -> None:
    global _warned
    with _warn_lock:
        if not _warned:
            _warned = True
            warnings.warn(
                f"wasmzero: native engine unavailable ({reason}); using the compiler engine",
                RuntimeWarning,
                stacklevel=3,
            )


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.stack = (ctypes.c_uint64 * STACK_SLOTS)()
        self.ctx = (ctypes.c_uint64 * 8)()
        self.stack_addr = ctypes.addressof(self.stack)
        self.stack_end = self.stack_addr + 8 * STACK_SLOTS
        self.ctx_addr = ctypes.addressof(self.ctx)
        self.globals = (ctypes.c_uint64 * 16)()
        self.busy = False


_state = _ThreadState()


class NativeCode(CompiledCode):
    """A module's code: native functions in a blob, the rest as the compiler
    engine's."""

    def __init__(self, module: Module) -> None:
        super().__init__(module)
        self.blob: CodeBlob | None = None
        self.offsets: dict[int, int] = {}
        self.entry: Any = None
        # Globals the native code reads (copied in before each call) and
        # writes (copied back after it).
        self.globals_in: list[int] = []
        self.globals_out: list[int] = []
        reason = probe()
        if reason is None:
            funcs = nc.native_candidates(module)
            if funcs:
                try:
                    code, entry, offsets = nc.ModuleCompiler(module, funcs).compile()
                    self.blob = CodeBlob(code)
                    self.entry = self.blob.entry(entry)
                    self.offsets = offsets
                    self.globals_in, self.globals_out = nc.globals_used(module, funcs)
                except NoExecutableMemory as e:
                    _warn_once(str(e))
                except (nc.Unsupported, ValueError, IndexError, KeyError):
                    # A construct the candidate scan let through: the whole
                    # module runs in the compiler engine.
                    self.offsets = {}
        else:
            _warn_once(reason)
        self.fallbacks = len(module.codes) - len(self.offsets)

    def materialize(self, inst: ModuleInstance, index: int) -> Any:
        offset = self.offsets.get(index)
        if offset is None:
            return super().materialize(inst, index)
        fn = self._native_function(inst, index, self.blob.addr + offset)  # type: ignore[union-attr]
        listening = inst.listening
        installed = fn if listening is None else listening.wrap(index, fn)
        inst.ns[f"f{index}"] = installed
        inst.functions[index].fn = installed
        return fn

    def _native_function(self, inst: ModuleInstance, index: int, addr: int) -> Any:
        ft = self.ctx.func_types[index]
        masks = tuple(0xFFFFFFFF if t == I32 else 0xFFFFFFFFFFFFFFFF for t in ft.params)
        nres = len(ft.results)
        entry = self.entry
        blob = self.blob  # the closure keeps the code mapped while fn lives
        mem = inst.memories[0] if inst.memories else None
        modes = self.ctx.global_modes
        ns = inst.ns
        cells = {i: ns[f"G{i}"] for i in self.globals_in if modes[i] == "cell"}
        g_in = tuple((i, cells.get(i), f"g{i}") for i in self.globals_in)
        g_out = tuple((i, cells.get(i), f"g{i}") for i in self.globals_out)
        nglobals = max(self.globals_in, default=-1) + 1

        def fn(*args: Any) -> Any:
            st = _state
            assert blob is not None
            if st.busy:  # cannot happen in stage 1: native code never calls Python
                raise RuntimeError("native engine re-entered")
            stack, ctx = st.stack, st.ctx
            for k, m in enumerate(masks):
                stack[k] = args[k] & m
            ctx[1] = MAX_DEPTH
            ctx[2] = st.stack_end
            pin = None
            if mem is not None:
                # The memory's address, pinned for the call: while `pin`
                # exports the bytearray it cannot be resized or moved (and
                # nothing in native code can grow it).
                data = mem.data
                n = len(data)
                if n:
                    pin = ctypes.c_char.from_buffer(data)
                    ctx[3] = ctypes.addressof(pin)
                else:
                    ctx[3] = 0
                ctx[4] = n
            else:
                ctx[3] = ctx[4] = 0
            if g_in:
                gl = st.globals
                if len(gl) < nglobals:
                    gl = st.globals = (ctypes.c_uint64 * nglobals)()
                for i, cell, name in g_in:
                    gl[i] = (cell.value if cell is not None else ns[name]) & 0xFFFFFFFFFFFFFFFF
                ctx[5] = ctypes.addressof(gl)
            st.busy = True
            try:
                rc = entry(st.ctx_addr, st.stack_addr, addr)
            finally:
                st.busy = False
                del pin
                for i, cell, name in g_out:
                    # Written back even after a trap: a set before it stands.
                    if cell is not None:
                        cell.value = gl[i]
                    else:
                        ns[name] = gl[i]
            if rc:
                raise Trap(_TRAPS[rc])
            if nres == 1:
                return stack[0]
            if nres == 0:
                return None
            return tuple(stack[:nres])

        fn.__name__ = f"f{index}"
        return fn


class NativeEngine:
    """Registered as ``"native"`` in ``ENGINES``."""

    name = "native"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._native = 0
        self._fallbacks = 0

    def compile(self, module: Module) -> CompiledCode:
        code = NativeCode(module)
        with self._lock:
            self._native += len(code.offsets)
            self._fallbacks += code.fallbacks
        return code

    def counts(self) -> tuple[int, int]:
        """(functions compiled to machine code, functions that fell back)
        over every module this engine compiled."""
        with self._lock:
            return self._native, self._fallbacks
