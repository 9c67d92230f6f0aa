"""The native engine (``RuntimeConfig(engine="native")``): the functions the
native compiler handles run as x86-64 code (compile.py); the others, and
every function where native code cannot run, run as the compiler engine
runs them. Calls between the two kinds work both ways: native code exits to
Python to call a Python function; a Python caller enters native code
through the function's wrapper made here.
"""

from __future__ import annotations

import ctypes
import os
import threading
import warnings
from types import FunctionType
from typing import Any

from ....errors import Trap, TrapKind
from ...numeric.bits import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from ...wasm.callstack import HOST_FRAME, current
from ...wasm.module import Module
from ...wasm.store import ModuleInstance
from ...wasm.types import EXTERNREF, F32, F64, FUNCREF
from ..code import CompiledCode, CompileError
from ..limits import NO_OPTIONS, TranslateOptions
from .asm import Asm, Label
from .compile import (
    EXIT_CALL,
    EXIT_CALL_INDIRECT,
    EXIT_GLOBAL_GET,
    EXIT_GLOBAL_SET,
    EXIT_GROW,
    EXIT_HELPER,
    EXIT_YIELD,
    HELPER_NAMES,
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
    EXIT_COMPILE,
    FRAME,
    FTAB,
    GLOBALS,
    GUEST_RSP,
    GUEST_TOP,
    ICS,
    MAX_DEPTH,
    MEM_OBJ,
    VS_LIMIT,
    VS_TOP,
    YIELD_EVERY,
    CodeBuffer,
    list_layout,
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
    TrapKind.INVALID_CONVERSION,
]
_M64 = 0xFFFFFFFFFFFFFFFF
_warned = False

# Lazy mode numbers call_indirect sites as functions are compiled; the first
# this many get an inline cache (16 bytes each, per instance).
LAZY_IC_SITES = 1 << 15
# Native calls nested through Python in one thread (each leaves a gap of
# the machine stack to the one it interrupted: well within its 4 MiB).
MAX_NESTED = 5000
_GLOBALS_KEY = "\x00native globals"  # in an instance's namespace (never a code name)
_ICS_KEY = "\x00native inline caches"
# The machine code's format in the disk cache: bumped whenever the encoder,
# the compiler or the ABI changes what the same module compiles to.
_CACHE_FORMAT = "wasmzero-native-3"
# call_indirect inline caches read a table's Python list from native code:
# only where its layout was checked on a live list.
_INLINE_CACHES = list_layout()


def _cpu_key() -> str:
    """What the code depends on in the CPU: the machine and the optional
    instructions it may use (and whether it reads Python lists)."""
    from .. import host_platform

    flags = _cpu_flags()
    used = ",".join(f for f in ("abm", "bmi1", "popcnt", "sse4_1") if f in flags)
    return f"{host_platform()[1]}:{used}:ic={int(_INLINE_CACHES)}"


def _from_cache(
    entry: Any, nfuncs: int
) -> tuple[bytes, dict[int, int], int, frozenset[int], int] | None:
    """A cache entry's machine code when it is ours, for this CPU, and well
    formed; else None (and the module is compiled again)."""
    if not (isinstance(entry, tuple) and len(entry) == 7):
        return None
    fmt, cpu, made, offsets, fallbacks, owned, nsites = entry
    if not (isinstance(nsites, int) and 0 <= nsites <= len(made)):
        return None
    if fmt != _CACHE_FORMAT or cpu != _cpu_key() or not isinstance(made, bytes):
        return None
    if not isinstance(offsets, tuple) or not isinstance(fallbacks, int):
        return None
    out: dict[int, int] = {}
    for pair in offsets:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            return None
        i, off = pair
        if not (isinstance(i, int) and isinstance(off, int) and 0 <= i < nfuncs):
            return None
        if not 0 <= off < len(made):
            return None
        out[i] = off
    if not (isinstance(owned, tuple) and all(isinstance(k, int) for k in owned)):
        return None
    return made, out, fallbacks, frozenset(owned), nsites


def _owned_globals(
    module: Module, modes: list[str], lo: int, hi: int, native: list[int]
) -> frozenset[int]:
    from ...wasm.instructions import OP

    gtypes = module.all_globals()
    owned = {
        k for k, g in enumerate(gtypes)
        if modes[k] != "cell" and g.val_type not in (FUNCREF, EXTERNREF)
    }  # fmt: skip
    ops = (OP["global.get"], OP["global.set"])
    chosen = set(native)
    for i in range(lo, hi):
        if i not in chosen:
            for op, imm, _ in module.codes[i - lo].body:
                if op in ops:
                    owned.discard(imm)
    return frozenset(owned)


def _lazy_from_cache(
    entry: Any, nfuncs: int
) -> tuple[frozenset[int], dict[int, tuple[bytes, int]]] | None:
    """A lazily compiled module's cached functions when the entry is ours,
    for this CPU, and well formed; else None."""
    if not (isinstance(entry, tuple) and len(entry) == 4):
        return None
    fmt, cpu, owned, funcs = entry
    if fmt != _CACHE_FORMAT or cpu != _cpu_key() or not isinstance(funcs, dict):
        return None
    if not (isinstance(owned, tuple) and all(isinstance(k, int) for k in owned)):
        return None
    out: dict[int, tuple[bytes, int, int]] = {}
    for i, v in funcs.items():
        if not (isinstance(i, int) and 0 <= i < nfuncs and isinstance(v, tuple) and len(v) == 3):
            return None
        made, off, sites = v
        if not (isinstance(made, bytes) and isinstance(off, int) and 0 <= off < len(made)):
            return None
        if not (isinstance(sites, int) and 0 <= sites <= LAZY_IC_SITES):
            return None
        out[i] = (made, off, sites)
    return frozenset(owned), out


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            return set(f.read().split())
    except OSError:
        return set()


def _to_bits(t: int) -> Any:
    """Python value -> slot bits, for a value type."""
    if t == F32:
        return f32_to_bits
    if t == F64:
        return f64_to_bits
    if t == FUNCREF or t == EXTERNREF:
        return _ref_to_handle
    return _mask


def _from_bits(t: int) -> Any:
    if t == F32:
        return f32_from_bits
    if t == F64:
        return f64_from_bits
    if t == FUNCREF or t == EXTERNREF:
        return _handle_to_ref
    return None


def _ref_to_handle(ref: Any) -> int:
    """A reference in a slot: 0 for null, else 1 + its place in the thread's
    registry (emptied when the thread's outermost native call returns)."""
    if ref is None:
        return 0
    refs = thread_state().refs
    refs.append(ref)
    return len(refs)


def _handle_to_ref(h: int) -> Any:
    return None if h == 0 else thread_state().refs[h - 1]


def _mask(v: int) -> int:
    return v & _M64


class NativeCode(CompiledCode):
    """A module's code for the native engine."""

    def __init__(self, module: Module, options: TranslateOptions = NO_OPTIONS) -> None:
        super().__init__(module, options=options)
        self.native_lock = threading.Lock()
        self.entries: dict[int, int] | None = None
        self.buffer: CodeBuffer | None = None
        self.fallbacks = 0  # defined functions run by the compiler engine instead
        # Globals that live in native memory: not exported, not imported
        # mutable, not references, and used by no function that falls back.
        self.owned: frozenset[int] = frozenset()
        # Lazy mode: whether a function may run in Python (fall back) while
        # globals are owned; their values then move between native memory
        # and the instance's namespace at each crossing (_native_function).
        self.sync_globals = False
        self.nsites = 0  # call_indirect inline caches
        # Large modules compile each function on its first call (lazily):
        # calls go through ftab, a table of entry addresses.
        self.lazy = False
        self.ftab: Any = None
        self.not_native: set[int] = set()
        self.buffers: list[CodeBuffer] = []
        # The disk cache of a lazily compiled module: each function's code
        # and entry offset (code of one function is position-independent).
        # index -> (machine code, entry offset, sites numbered up to its end)
        self.lazy_cached: dict[int, tuple[bytes, int, int]] = {}
        self.lazy_owned: frozenset[int] | None = None
        self.lazy_made: dict[int, tuple[bytes, int, int]] = {}
        # The disk cache: machine code read back (checked), or to be stored.
        self.cached: tuple[bytes, dict[int, int], int, frozenset[int], int] | None = None
        self.made: bytes | None = None
        self.native_saved = False

    def preload(self, codes: dict[Any, Any]) -> None:
        super().preload(codes)
        self.cached = _from_cache(codes.get("native"), len(self.ctx.func_types))
        self.native_saved = self.cached is not None
        got = _lazy_from_cache(codes.get("native-lazy"), len(self.ctx.func_types))
        if got is not None:
            self.lazy_owned, self.lazy_cached = got
            # new sites are numbered after those of the cached functions
            self.nsites = max((v[2] for v in self.lazy_cached.values()), default=0)

    def unsaved(self) -> dict[Any, Any]:
        out: dict[Any, Any] = dict(super().unsaved())
        if self.lazy and self.lazy_made:
            # every function compiled so far (the entry is replaced whole)
            funcs = {**self.lazy_cached, **self.lazy_made}
            out["native-lazy"] = (_CACHE_FORMAT, _cpu_key(), tuple(sorted(self.owned)), funcs)
        if self.made is not None and not self.native_saved and self.entries is not None:
            base = self.buffer.addr if self.buffer is not None else 0
            offsets = tuple((i, a - base) for i, a in self.entries.items())
            out["native"] = (_CACHE_FORMAT, _cpu_key(), self.made, offsets, self.fallbacks,
                             tuple(sorted(self.owned)), self.nsites)  # fmt: skip
        return out

    def mark_saved(self, codes: dict[Any, Any]) -> None:
        super().mark_saved(codes)
        if "native" in codes:
            self.native_saved = True
        if "native-lazy" in codes:
            self.lazy_cached.update(self.lazy_made)
            self.lazy_made = {}

    def translate_all(self) -> dict[int, Any]:
        """Compile every defined function now (``wasmzero compile``): the
        whole module at once into one piece of code, kept in the disk cache,
        or, when functions already run lazily, each one not yet compiled;
        a function that falls back is translated for the compiler engine."""
        lo, hi = self.ctx.num_imported_funcs, len(self.ctx.func_types)
        entries = self.compile_native(whole=True)
        for index in range(lo, hi):
            if self.entry(index) is None:
                try:
                    self.code(index)
                except CompileError:
                    pass  # raised again if the function is ever called
        return dict(entries)

    def compile_native(self, whole: bool = False) -> dict[int, int]:
        """The native entries so far. Functions are compiled at their first
        call (lazy mode: a run pays for the functions it uses) unless
        ``whole`` (or the disk cache holds the whole module's code)."""
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
            if self.cached is not None:  # machine code from the disk cache
                made, offsets, self.fallbacks, self.owned, self.nsites = self.cached
                self.buffer = CodeBuffer(made) if made else None
                base = self.buffer.addr if self.buffer is not None else 0
                self.entries = {i: base + off for i, off in offsets.items()}
                return self.entries
            flags = _cpu_flags()
            bitcount = {"abm", "bmi1", "popcnt"} <= flags  # lzcnt, tzcnt, popcnt
            sse41 = "sse4_1" in flags  # roundsd/roundss
            self.flags = (bitcount, sse41)
            # tests: "0" compiles whole modules at once, as ``whole`` does
            if not whole and os.environ.get("WASMZERO_NATIVE_LAZY") != "0":
                return self._start_lazy(lo, hi, bitcount and sse41)
            eligible = [
                i for i in range(lo, hi)
                if supported(self.module, i, ctx.func_types, bitcount, sse41)
            ]  # fmt: skip
            self.owned = owned = _owned_globals(self.module, ctx.global_modes, lo, hi, eligible)
            labels = {i: Label() for i in eligible}
            a = Asm()
            sites = [0] if _INLINE_CACHES else None
            for i in eligible:
                FunctionCompiler(
                    a, self.module, ctx.func_types, i, labels[i], labels, owned, sites
                ).compile()
            self.nsites = sites[0] if sites is not None else 0
            self.made = a.finish() if eligible else b""
            self.buffer = CodeBuffer(self.made) if eligible else None
            base = self.buffer.addr if self.buffer is not None else 0
            self.fallbacks = (hi - lo) - len(eligible)
            self.entries = {i: base + labels[i].pos for i in eligible}
            return self.entries

    def _start_lazy(self, lo: int, hi: int, all_flags: bool) -> dict[int, int]:
        """Lazy mode: nothing compiled yet; every defined function's table
        entry is the lazy stub. Every global that can live natively does
        (a Go program's stack pointer is read and written constantly); when
        a function may fall back -- the module may use SIMD, or this CPU
        lacks an optional instruction -- owned globals are synchronised
        with Python at each crossing instead (sync_globals)."""
        self.lazy = True
        stub = process().lazy_stub
        self.ftab = (ctypes.c_uint64 * max(hi, 1))()
        for i in range(lo, hi):
            self.ftab[i] = stub
        self.owned = _owned_globals(self.module, self.ctx.global_modes, lo, hi, list(range(lo, hi)))
        self.sync_globals = bool(self.owned) and (self.module.uses_simd or not all_flags)
        self.entries = {}
        return self.entries

    def entry(self, index: int) -> int | None:
        """Function ``index``'s native entry (compiled now in lazy mode), or
        None when it runs in the compiler engine."""
        entries = self.compile_native()
        addr = entries.get(index)
        if addr is None and self.lazy and index not in self.not_native:
            addr = self._compile_one(index)
        return addr

    def _compile_one(self, index: int) -> int | None:
        with self.native_lock:
            got = self.entries.get(index) if self.entries is not None else None
            if got is not None or index in self.not_native:
                return got
            ctx = self.ctx
            # Code read back from the cache was compiled from this module's
            # body (the cache is keyed by the module's bytes), decoded and
            # validated then: the body is not decoded again.
            cached = self.lazy_cached.get(index) if self.lazy_owned == self.owned else None
            if cached is None and not supported(self.module, index, ctx.func_types, *self.flags):
                self.not_native.add(index)
                self.fallbacks += 1
                return None
            if cached is not None:
                made, entry, _ = cached
            else:
                a, lab = Asm(), Label()
                sites = [self.nsites] if _INLINE_CACHES else None
                FunctionCompiler(
                    a, self.module, ctx.func_types, index, lab, {}, self.owned, sites,
                    lazy=True, max_sites=LAZY_IC_SITES,
                ).compile()  # fmt: skip
                if sites is not None:
                    self.nsites = sites[0]
                made, entry = a.finish(), lab.pos
                self.lazy_made[index] = (made, entry, self.nsites)
            buf = CodeBuffer(made)
            self.buffers.append(buf)
            addr = buf.addr + entry
            self.entries[index] = addr  # type: ignore[index]
            self.ftab[index] = addr
            return addr

    def materialize(self, inst: ModuleInstance, index: int) -> Any:
        # Function listeners see calls at Python boundaries, and calls
        # between native functions have none: with listeners, an instance
        # runs as the compiler engine runs it.
        addr = self.entry(index) if inst.listening is None else None
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
    gtypes = [g.val_type for g in code.module.all_globals()]
    to_bits = [_to_bits(t) for t in ft.params]
    gvals = ns.get(_GLOBALS_KEY)
    if gvals is None:
        # The instance's owned globals, moved into native memory once.
        gvals = ns[_GLOBALS_KEY] = (ctypes.c_uint64 * max(len(gtypes), 1))()
        for k in code.owned:
            gvals[k] = _to_bits(gtypes[k])(ns[f"g{k}"])
    gaddr = ctypes.addressof(gvals)
    # Owned globals whose Python copies code running in Python may read or
    # write (code.sync_globals): moved to native memory when native code is
    # entered or resumed, back to the namespace when Python code runs.
    synced = tuple(
        (k, f"g{k}", _to_bits(gtypes[k]), _from_bits(gtypes[k])) for k in sorted(code.owned)
    ) if code.sync_globals else ()  # fmt: skip

    def to_native() -> None:
        for k, name, to, _ in synced:
            gvals[k] = to(ns[name])

    def to_python() -> None:
        for k, name, _, back in synced:
            v = gvals[k]
            ns[name] = v if back is None else back(v)

    ic_holder = ns.get(_ICS_KEY)
    if ic_holder is None:
        tables = [ns[f"T{k}"] for k in range(len(inst.tables))]
        # lazy mode: room for every site that may get a cache (a site's
        # number is fixed when its function is compiled, perhaps later)
        nsites = LAZY_IC_SITES if code.lazy else code.nsites
        ics_arr = (ctypes.c_uint64 * (len(tables) + 2 * nsites + 1))()
        for k, lst in enumerate(tables):
            ics_arr[k] = id(lst)  # kept alive by the holder and the instance
        ic_holder = ns[_ICS_KEY] = (ics_arr, tables, {})
    ics_arr, _tables, ic_keep = ic_holder
    ics_addr = ctypes.addressof(ics_arr)
    ntables = len(_tables)
    from_bits = [_from_bits(t) for t in ft.results]

    # The memory's bytearray: the trampolines read its address and size at
    # every entry and resume (exec._memory); it is grown in place, never
    # replaced, and the instance keeps it alive.
    mem_obj = id(mem.data) if mem is not None else 0
    ftab_addr = ctypes.addressof(code.ftab) if code.ftab is not None else 0

    def call_from_python(th: Any, ctx: Any, slots: Any, idx: int) -> None:
        """A call of a function that is not native reached through the
        table: its arguments are the callee frame's first slots (FRAME)."""
        f = ftypes[idx]
        base = (ctx[FRAME] - th.values) >> 3
        n, nr = len(f.params), len(f.results)
        saved = (
            th.vs_top, ctx[GUEST_TOP], ctx[GUEST_RSP], ctx[FRAME], ctx[DEPTH], ctx[VS_TOP],
            ctx[GLOBALS], ctx[ICS], ctx[MEM_OBJ], ctx[FTAB],
        )  # fmt: skip
        th.vs_top = ctx[FRAME] + 8 * (max(n, nr) + 1)
        ctx[GUEST_TOP] = (ctx[GUEST_RSP] - 256) & ~15
        try:
            r = ns[f"f{idx}"](*_args(f, slots[base : base + n]))
            _results(slots, base, r, f)
        finally:
            (
                th.vs_top, ctx[GUEST_TOP], ctx[GUEST_RSP], ctx[FRAME], ctx[DEPTH], ctx[VS_TOP],
                ctx[GLOBALS], ctx[ICS], ctx[MEM_OBJ], ctx[FTAB],
            ) = saved  # fmt: skip

    def handle(th: Any, ctx: Any, exit_code: int) -> None:
        slots = th.slots
        top = (ctx[VS_TOP] - th.values) >> 3
        if exit_code == EXIT_YIELD:
            ctx[BUDGET] = YIELD_EVERY
            return
        if exit_code == EXIT_COMPILE:
            target = code.entry(ctx[EXIT_A])
            if target is not None:
                ctx[EXIT_A] = target
                return
            if synced:
                to_python()
            try:
                call_from_python(th, ctx, slots, ctx[EXIT_A])
            finally:
                if synced:
                    to_native()
            ctx[EXIT_A] = process().ret_stub
            return
        if exit_code == EXIT_GLOBAL_GET:
            k = ctx[EXIT_A]
            v = ns[f"G{k}"].value if modes[k] == "cell" else ns[f"g{k}"]
            slots[top] = _to_bits(gtypes[k])(v)
            return
        if exit_code == EXIT_GLOBAL_SET:
            k = ctx[EXIT_A]
            back = _from_bits(gtypes[k])
            v = slots[top - 1] if back is None else back(slots[top - 1])
            if modes[k] == "cell":
                ns[f"G{k}"].value = v
            else:
                ns[f"g{k}"] = v
            return
        # The rest may run Python that enters native code again: it gets
        # the stacks above this exit's, and this exit's state back after.
        saved = (
            th.vs_top, ctx[GUEST_TOP], ctx[GUEST_RSP], ctx[FRAME], ctx[DEPTH], ctx[VS_TOP],
            ctx[GLOBALS], ctx[ICS], ctx[MEM_OBJ], ctx[FTAB],
        )  # fmt: skip
        th.vs_top = ctx[VS_TOP] + 8
        ctx[GUEST_TOP] = (ctx[GUEST_RSP] - 256) & ~15
        if synced:
            to_python()
        try:
            if exit_code == EXIT_CALL:
                f = ftypes[ctx[EXIT_A]]
                n = len(f.params)
                r = ns[f"f{ctx[EXIT_A]}"](*_args(f, slots[top - n : top]))
                _results(slots, top - n, r, f)
            elif exit_code == EXIT_CALL_INDIRECT:
                f = types[ctx[EXIT_A]]
                n = len(f.params)
                table = ns[f"T{ctx[EXIT_B] & 0xFFFFFFFF}"]
                callee = ns["_ci"](table, slots[top - 1], ns[f"TY{ctx[EXIT_A]}"])
                target = _native_target(callee, inst, code)
                if target:
                    ctx[EXIT_A] = target  # native code of this instance: called natively
                    site = ctx[EXIT_B] >> 32
                    if site:  # remember it at the site (the entry kept alive)
                        entry = table[slots[top - 1]]
                        ic_keep[site] = entry
                        at = ntables + 2 * (site - 1)
                        ics_arr[at] = id(entry)
                        ics_arr[at + 1] = target
                    return
                ctx[EXIT_A] = 0
                r = callee(*_args(f, slots[top - 1 - n : top - 1]))
                _results(slots, top - 1 - n, r, f)
            elif exit_code == EXIT_HELPER:
                _helper(ns, HELPER_NAMES[ctx[EXIT_A]], ctx[EXIT_B], slots, top)
            elif exit_code == EXIT_GROW:
                slots[top - 1] = ns["_grow"](slots[top - 1]) & 0xFFFFFFFF
            else:  # pragma: no cover - the compiler emits no other code
                raise AssertionError(f"unknown native exit {exit_code}")
        finally:
            if synced:
                to_native()
            (
                th.vs_top, ctx[GUEST_TOP], ctx[GUEST_RSP], ctx[FRAME], ctx[DEPTH], ctx[VS_TOP],
                ctx[GLOBALS], ctx[ICS], ctx[MEM_OBJ], ctx[FTAB],
            ) = saved  # fmt: skip

    def native_call(*args: Any) -> Any:
        th = thread_state()
        ctx = th.ctx
        cst = None
        if th.active:
            # Entered again from Python inside a native call: this costs the
            # thread's C stack (ctypes and Python frames) and the machine
            # stack's gap: bounded, as host round trips are (wasm/callstack).
            cst = current()
            left = cst.left - HOST_FRAME
            if left < 0 or th.active >= MAX_NESTED:
                raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
            cst.left = left
        base = th.vs_top
        if base + 8 * (nparams + nresults) > ctx[VS_LIMIT]:
            raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
        k = (base - th.values) >> 3
        slots = th.slots
        for j in range(nparams):
            slots[k + j] = to_bits[j](args[j])
        outer = th.active == 0
        if outer:
            ctx[DEPTH] = min(MAX_DEPTH, inst.max_call_depth)
            ctx[GUEST_TOP] = th.stack_top
            ctx[BUDGET] = YIELD_EVERY
        prev_mem, prev_ftab = ctx[MEM_OBJ], ctx[FTAB]
        ctx[MEM_OBJ] = mem_obj
        ctx[FTAB] = ftab_addr
        prev_globals, prev_ics = ctx[GLOBALS], ctx[ICS]
        ctx[GLOBALS] = gaddr
        ctx[ICS] = ics_addr
        th.active += 1
        entry_depth = ctx[DEPTH]
        if synced:
            to_native()
        try:
            exited = enter(th.ctx_addr, base, addr)
            while exited:
                exit_code = ctx[EXIT_CODE]
                if exit_code >= TRAP_BASE:
                    raise Trap(_TRAPS[exit_code - TRAP_BASE])
                handle(th, ctx, exit_code)
                exited = resume(th.ctx_addr)
        except Trap as e:
            # The native frames below this entry, outermost first, read by
            # wasm/instance.wasm_stack from this frame for the trap's trace.
            native_trace = _callees(th, entry_depth, ctx[DEPTH], inst, e)  # noqa: F841
            raise
        finally:
            if synced:
                to_python()
            th.active -= 1
            if cst is not None:
                cst.left += HOST_FRAME
            ctx[GLOBALS] = prev_globals
            ctx[ICS] = prev_ics
            ctx[MEM_OBJ] = prev_mem
            ctx[FTAB] = prev_ftab
        if nresults == 1:
            back = from_bits[0]
            r = slots[k] if back is None else back(slots[k])
        elif nresults == 0:
            r = None
        else:
            r = tuple(_args_res(from_bits, slots[k : k + nresults]))
        if not th.active and th.refs:
            th.refs.clear()
        return r

    # Named f<index> with the instance in its globals, as translated code
    # is, so that a trap's wasm stack trace names it.
    # The wrapper keeps the machine code mapped while the instance lives.
    scope = {"__wasmzero__": inst, "run": native_call, "code": code}
    shim = FunctionType(_SHIM.replace(co_name=f"f{index}"), scope, f"f{index}")
    shim._wz_native = (inst, addr)  # type: ignore[attr-defined]
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


def _native_target(fn: Any, inst: Any, code: NativeCode) -> int:
    """The entry address of ``fn`` when it is native code of ``inst`` (its
    wrapper, or its lazy stub), else 0."""
    mark = getattr(fn, "_wz_native", None)
    if mark is not None:
        return mark[1] if mark[0] is inst else 0
    lazy = getattr(fn, "_wz_lazy", None)
    if lazy is not None and lazy[0] is code and lazy[1][0] is inst:
        return code.entry(lazy[2]) or 0
    return 0


def _args(ft: Any, bits: list[int]) -> list[Any]:
    """Slot bits -> Python values, by the parameter types of ``ft``."""
    out = list(bits)
    for j, t in enumerate(ft.params):
        back = _from_bits(t)
        if back is not None:
            out[j] = back(out[j])
    return out


def _helper(ns: dict[str, Any], name: str, imm: int, slots: Any, top: int) -> None:
    """An instruction native code leaves to Python (compile.HELPERS): its
    operands are the top slots, its result replaces them."""
    x0, x1 = imm & 0xFFFFFFFF, imm >> 32
    if name == "memory.init":
        ns["_minit"](x0, slots[top - 3], slots[top - 2], slots[top - 1])
    elif name == "data.drop":
        ns["_ddrop"](imm)
    elif name == "elem.drop":
        ns["_edrop"](imm)
    elif name == "table.get":
        slots[top - 1] = _ref_to_handle(ns["_tget"](ns[f"T{imm}"], slots[top - 1]))
    elif name == "table.set":
        ns["_tset"](ns[f"T{imm}"], slots[top - 2], _handle_to_ref(slots[top - 1]))
    elif name == "table.size":
        slots[top] = len(ns[f"T{imm}"])
    elif name == "table.grow":
        r = ns["_tgrow"](imm, _handle_to_ref(slots[top - 2]), slots[top - 1])
        slots[top - 2] = r & 0xFFFFFFFF
    elif name == "table.fill":
        ns["_tfill"](imm, slots[top - 3], _handle_to_ref(slots[top - 2]), slots[top - 1])
    elif name == "table.copy":
        ns["_tcopy"](x0, x1, slots[top - 3], slots[top - 2], slots[top - 1])
    elif name == "table.init":
        ns["_tinit"](x1, x0, slots[top - 3], slots[top - 2], slots[top - 1])
    elif name == "ref.func":
        slots[top] = _ref_to_handle(ns[f"F{imm}"])
    else:  # pragma: no cover - compile.HELPERS lists no other
        raise AssertionError(name)


def _args_res(back: list[Any], bits: list[int]) -> list[Any]:
    return [v if f is None else f(v) for f, v in zip(back, bits, strict=True)]


def _results(slots: Any, at: int, r: Any, ft: Any) -> None:
    """Python results of a call of type ``ft`` -> slots from ``at``."""
    n = len(ft.results)
    if n == 1:
        slots[at] = _to_bits(ft.results[0])(r)
    elif n > 1:
        for j, (t, v) in enumerate(zip(ft.results, r, strict=True)):
            slots[at + j] = _to_bits(t)(v)


class NativeEngine:
    """Registered as ``"native"`` in ``ENGINES``."""

    name = "native"

    def compile(self, module: Module, options: TranslateOptions = NO_OPTIONS) -> NativeCode:
        return NativeCode(module, options)
