"""The native engine (``RuntimeConfig(engine="native")``): the functions the
native compiler handles run as x86-64 code (compile.py); the others, and
every function where native code cannot run, run as the compiler engine
runs them. Calls between the two kinds work both ways: native code exits to
Python to call a Python function; a Python caller enters native code
through the function's wrapper made here.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from types import FunctionType
from typing import Any

from ....errors import Trap, TrapKind
from ...wasm.module import Module
from ...wasm.store import ModuleInstance
from ..code import CompiledCode
from ..limits import NO_OPTIONS, TranslateOptions
from .asm import Asm, Label
from .compile import (
    EXIT_CALL,
    EXIT_CALL_INDIRECT,
    EXIT_COPY,
    EXIT_FILL,
    EXIT_GLOBAL_GET,
    EXIT_GLOBAL_SET,
    EXIT_GROW,
    EXIT_YIELD,
    TRAP_BASE,
    FunctionCompiler,
    supported,
)  # fmt: skip
from .exec import (
    BUDGET,
    DEPTH,
    EXIT_A,
    EXIT_B,
    EXIT_CODE,
    FRAME,
    GUEST_RSP,
    GUEST_TOP,
    MAX_DEPTH,
    MEM_BASE,
    MEM_SIZE,
    VS_LIMIT,
    VS_TOP,
    YIELD_EVERY,
    CodeBuffer,
    buffer_address,
    process,
    thread_state,
    unavailable,
)  # fmt: skip

_TRAPS = [
    TrapKind.UNREACHABLE,
    TrapKind.MEMORY_OUT_OF_BOUNDS,
    TrapKind.INTEGER_DIVIDE_BY_ZERO,
    TrapKind.INTEGER_OVERFLOW,
    TrapKind.CALL_STACK_EXHAUSTED,
]
_M64 = 0xFFFFFFFFFFFFFFFF
_warned = False


def _cpu_bitcount() -> bool:
    """Whether lzcnt, tzcnt and popcnt may be used (abm, bmi1, popcnt)."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return {"abm", "bmi1", "popcnt"} <= set(flags)


class NativeCode(CompiledCode):
    """A module's code for the native engine."""

    def __init__(self, module: Module, options: TranslateOptions = NO_OPTIONS) -> None:
        super().__init__(module, options=options)
        self.native_lock = threading.Lock()
        self.entries: dict[int, int] | None = None
        self.buffer: CodeBuffer | None = None
        self.fallbacks = 0  # defined functions run by the compiler engine instead

    def compile_native(self) -> dict[int, int]:
        entries = self.entries
        if entries is not None:
            return entries
        with self.native_lock:
            if self.entries is not None:
                return self.entries
            global _warned
            ctx = self.ctx
            lo, hi = ctx.num_imported_funcs, len(ctx.func_types)
            why = unavailable()
            if why is not None or ctx.options.fuel:
                if why is not None and not _warned:
                    _warned = True
                    warnings.warn(f"wasmzero: native engine unavailable ({why}); "
                                  "using the compiler engine", RuntimeWarning, stacklevel=2)  # fmt: skip
                self.fallbacks = hi - lo
                self.entries = {}
                return self.entries
            bitcount = _cpu_bitcount()
            eligible = [
                i for i in range(lo, hi) if supported(self.module, i, ctx.func_types, bitcount)
            ]
            labels = {i: Label() for i in eligible}
            a = Asm()
            for i in eligible:
                FunctionCompiler(a, self.module, ctx.func_types, i, labels[i], labels).compile()
            self.buffer = CodeBuffer(a.finish()) if eligible else None
            base = self.buffer.addr if self.buffer is not None else 0
            self.fallbacks = (hi - lo) - len(eligible)
            self.entries = {i: base + labels[i].pos for i in eligible}
            return self.entries

    def materialize(self, inst: ModuleInstance, index: int) -> Any:
        addr = self.compile_native().get(index)
        if addr is None:
            return super().materialize(inst, index)
        fn = _native_function(self, inst, index, addr)
        self.install(inst, index, fn)
        return fn


def _native_function(code: NativeCode, inst: ModuleInstance, index: int, addr: int) -> Any:
    """The Python callable that runs native function ``index`` of ``inst``."""
    p = process()
    enter, resume = p.enter, p.resume
    ft = code.ctx.func_types[index]
    nparams, nresults = len(ft.params), len(ft.results)
    ns = inst.ns
    modes = code.ctx.global_modes
    ftypes = code.ctx.func_types
    types = code.module.types
    mem = inst.memories[0] if inst.memories else None

    def refresh(ctx: Any) -> None:
        if mem is not None:
            data = mem.data
            ctx[MEM_BASE] = buffer_address(data)
            ctx[MEM_SIZE] = len(data)

    def handle(th: Any, ctx: Any, exit_code: int) -> None:
        slots = th.slots
        top = (ctx[VS_TOP] - th.values) >> 3
        if exit_code == EXIT_YIELD:
            ctx[BUDGET] = YIELD_EVERY
            return
        if exit_code == EXIT_GLOBAL_GET:
            k = ctx[EXIT_A]
            slots[top] = (ns[f"G{k}"].value if modes[k] == "cell" else ns[f"g{k}"]) & _M64
            return
        if exit_code == EXIT_GLOBAL_SET:
            k = ctx[EXIT_A]
            if modes[k] == "cell":
                ns[f"G{k}"].value = slots[top - 1]
            else:
                ns[f"g{k}"] = slots[top - 1]
            return
        # The rest may run Python that enters native code again: it gets
        # the stacks above this exit's, and this exit's state back after.
        saved = (th.vs_top, ctx[GUEST_TOP], ctx[GUEST_RSP], ctx[FRAME], ctx[DEPTH], ctx[VS_TOP])
        th.vs_top = ctx[VS_TOP] + 8
        ctx[GUEST_TOP] = (ctx[GUEST_RSP] - 256) & ~15
        try:
            if exit_code == EXIT_CALL:
                f = ftypes[ctx[EXIT_A]]
                n = len(f.params)
                r = ns[f"f{ctx[EXIT_A]}"](*slots[top - n : top])
                _results(slots, top - n, r, len(f.results))
            elif exit_code == EXIT_CALL_INDIRECT:
                f = types[ctx[EXIT_A]]
                n = len(f.params)
                table = ns[f"T{ctx[EXIT_B]}"]
                callee = ns["_ci"](table, slots[top - 1], ns[f"TY{ctx[EXIT_A]}"])
                r = callee(*slots[top - 1 - n : top - 1])
                _results(slots, top - 1 - n, r, len(f.results))
            elif exit_code == EXIT_GROW:
                slots[top - 1] = ns["_grow"](slots[top - 1]) & 0xFFFFFFFF
            elif exit_code == EXIT_FILL:
                ns["_mfill"](slots[top - 3], slots[top - 2], slots[top - 1])
            elif exit_code == EXIT_COPY:
                ns["_mcopy"](slots[top - 3], slots[top - 2], slots[top - 1])
            else:  # pragma: no cover - the compiler emits no other code
                raise AssertionError(f"unknown native exit {exit_code}")
        finally:
            th.vs_top, ctx[GUEST_TOP], ctx[GUEST_RSP], ctx[FRAME], ctx[DEPTH], ctx[VS_TOP] = saved

    def native_call(*args: Any) -> Any:
        th = thread_state()
        ctx = th.ctx
        base = th.vs_top
        if base + 8 * (nparams + nresults) > ctx[VS_LIMIT]:
            raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
        k = (base - th.values) >> 3
        slots = th.slots
        for j in range(nparams):
            slots[k + j] = args[j] & _M64
        outer = th.active == 0
        if outer:
            ctx[DEPTH] = min(MAX_DEPTH, inst.max_call_depth)
            ctx[GUEST_TOP] = th.stack_top
            ctx[BUDGET] = YIELD_EVERY
        refresh(ctx)
        th.active += 1
        entry_depth = ctx[DEPTH]
        try:
            exited = enter(th.ctx_addr, base, addr)
            while exited:
                exit_code = ctx[EXIT_CODE]
                if exit_code >= TRAP_BASE:
                    raise Trap(_TRAPS[exit_code - TRAP_BASE])
                handle(th, ctx, exit_code)
                refresh(ctx)
                exited = resume(th.ctx_addr)
        except Trap as e:
            # The native frames below this entry, outermost first, read by
            # wasm/instance.wasm_stack from this frame for the trap's trace.
            native_trace = _callees(th, entry_depth, ctx[DEPTH], inst, e)  # noqa: F841
            raise
        finally:
            th.active -= 1
        if nresults == 1:
            return slots[k]
        if nresults == 0:
            return None
        return tuple(slots[k : k + nresults])

    # Named f<index> with the instance in its globals, as translated code
    # is, so that a trap's wasm stack trace names it.
    # The wrapper keeps the machine code mapped while the instance lives.
    scope = {"__wasmzero__": inst, "run": native_call, "code": code.buffer}
    shim = FunctionType(_SHIM.replace(co_name=f"f{index}"), scope, f"f{index}")
    return shim


def _shim(*args: Any) -> Any:
    return run(*args)  # type: ignore[name-defined]  # noqa: F821 - bound per function


_SHIM = _shim.__code__


def _callees(th: Any, entry_depth: int, depth: int, inst: Any, trap: Trap) -> list:
    if depth >= 1 << 63:
        depth -= 1 << 64  # below zero: the call that exhausted the stack
    lo = max(depth, 0)
    hi = entry_depth - 2
    if trap.kind is TrapKind.CALL_STACK_EXHAUSTED:
        hi = min(hi, lo + 18)  # as the other engines: 20 frames, the innermost
    trace = th.trace
    return [(inst, trace[d]) for d in range(hi, lo - 1, -1)]


def _results(slots: Any, at: int, r: Any, n: int) -> None:
    if n == 1:
        slots[at] = r & _M64
    elif n > 1:
        for j, v in enumerate(r):
            slots[at + j] = v & _M64


class NativeEngine:
    """Registered as ``"native"`` in ``ENGINES``."""

    name = "native"

    def compile(self, module: Module, options: TranslateOptions = NO_OPTIONS) -> NativeCode:
        return NativeCode(module, options)
