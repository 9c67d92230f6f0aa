"""The compiler engine: wasm functions translated to Python, compiled by
CPython, run as Python functions.

A :class:`CompiledCode` belongs to one compiled module and caches one code
object per function, translated lazily on the function's first call in any
instance. Each instance executes those code objects with a namespace of its
own (its memory, tables, globals, functions), so instantiating many times
never re-translates.

The namespace's ``__builtins__`` holds only a few pure functions (``len``,
``int``, ``float``, ``abs``, ``bool``, ``range``, ``zip``): translated code
needs nothing else.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator
from types import CodeType, FunctionType
from typing import Any

from ....errors import Trap, TrapKind
from ...numeric.bits import f32_from_bits, f32_to_bits, f64_from_bits
from ...wasm.module import Module
from ...wasm.store import FunctionInstance, ModuleInstance, type_id
from ..interpreter.interp import Prepared, interpreted_function
from ..limits import NO_OPTIONS, TranslateOptions
from .context import ModuleContext

_S = struct.Struct


class CompileError(Exception):
    """A valid function that CPython cannot compile once translated (more
    than 20 nested loops that are branched to, parser limits): the engine
    runs it in the interpreter instead. Never leaves the engine."""

    def __init__(self, message: str, func_index: int) -> None:
        super().__init__(f"function[{func_index}]: {message}")
        self.func_index = func_index


def _trap_unreachable() -> Trap:
    return Trap(TrapKind.UNREACHABLE)


def _ci(table: list, i: int, tid: int) -> Any:
    """``call_indirect``: the callee after the spec's checks."""
    try:
        e = table[i]
    except IndexError:
        raise Trap(TrapKind.UNDEFINED_ELEMENT) from None
    if e is None:
        raise Trap(TrapKind.UNINITIALIZED_ELEMENT)
    if e.type_id != tid:
        raise Trap(TrapKind.INDIRECT_CALL_TYPE_MISMATCH)
    return e.fn


_ldI = _S("<I").unpack_from


def _ldf32(mem: bytearray, a: int) -> float:
    return f32_from_bits(_ldI(mem, a)[0])


_stI = _S("<I").pack_into


def _stf32(mem: bytearray, a: int, v: float) -> None:
    _stI(mem, a, f32_to_bits(v))


def _tget(table: list, i: int) -> Any:
    if i >= len(table):
        raise Trap(TrapKind.TABLE_OUT_OF_BOUNDS)
    return table[i]


def _tset(table: list, i: int, v: Any) -> None:
    if i >= len(table):
        raise Trap(TrapKind.TABLE_OUT_OF_BOUNDS)
    table[i] = v


def _base_namespace() -> dict[str, Any]:
    from ...numeric.runtime import F32_CELL, HELPERS

    ns: dict[str, Any] = dict(HELPERS)
    ns.update(
        _ldI=_ldI,
        _ldQ=_S("<Q").unpack_from,
        _ldd=_S("<d").unpack_from,
        _ldb=_S("<b").unpack_from,
        _ldh=_S("<h").unpack_from,
        _ldH=_S("<H").unpack_from,
        _ldi=_S("<i").unpack_from,
        _ldf32=_ldf32,
        _ldf=_S("<f").unpack_from,
        _stf=_S("<f").pack_into,
        _stI=_stI,
        _stQ=_S("<Q").pack_into,
        _std=_S("<d").pack_into,
        _stH=_S("<H").pack_into,
        _stf32=_stf32,
        _ci=_ci,
        _tget=_tget,
        _tset=_tset,
        _trap_unreachable=_trap_unreachable,
        _inf=float("inf"),
        # What an unwrapped address out of range raises (see Translator.address).
        _OOB=(IndexError, struct.error, OverflowError),
        _f32nan=f32_from_bits,
        _r32c=F32_CELL,  # f32 rounding (see Translator.numeric)
        _f64nan=f64_from_bits,
    )
    ns["__builtins__"] = {
        "len": len,
        "int": int,
        "float": float,
        "abs": abs,
        "bool": bool,
        "range": range,
        "zip": zip,
    }
    return ns


_BASE: dict[str, Any] | None = None


class Segments:
    """An instance's element and data segments (emptied when dropped)."""

    __slots__ = ("elems", "datas")

    def __init__(self) -> None:
        self.elems: list[list[Any]] = []
        self.datas: list[bytes] = []


class CompiledCode:
    """Translated code of one module, shared by all its instances."""

    def __init__(
        self, module: Module, interpret: bool = False, options: TranslateOptions = NO_OPTIONS
    ) -> None:
        self.module = module
        self.interpret = interpret  # interpret every function (the interpreter engine)
        self.ctx = ModuleContext.of(module, options)
        self.codes: dict[int, CodeType] = {}
        self.lock = threading.Lock()
        self.translations = 0  # how many functions were translated
        self.interpreted: dict[int, Prepared] = {}  # functions CPython cannot compile
        # Which code objects (and whether the module) the disk cache has.
        self.saved: set[int] = set()
        self.module_saved = False

    def source(self, index: int) -> str:
        from .translate import translate_function

        return translate_function(self.ctx, index)

    def code(self, index: int) -> CodeType:
        code = self.codes.get(index)
        if code is None:
            with self.lock:
                code = self.codes.get(index)
                if code is None:
                    try:
                        src = self.source(index)
                        obj = compile(src, f"<wasm function {index}>", "exec")
                    except CompileError:
                        raise
                    except Exception as e:
                        from .translate import TranslationLimit

                        if isinstance(e, TranslationLimit):
                            raise CompileError(str(e), index) from None
                        if isinstance(e, (SyntaxError, RecursionError, MemoryError)):
                            # CPython's own limits (nesting, parser depth).
                            raise CompileError(f"CPython cannot compile it: {e}", index) from None
                        raise
                    scope: dict[str, Any] = {}
                    exec(obj, scope)  # noqa: S102
                    code = scope[f"f{index}"].__code__
                    self.codes[index] = code
                    self.translations += 1
        return code

    def prepared(self, index: int) -> Prepared:
        with self.lock:
            prep = self.interpreted.get(index)
            if prep is None:
                prep = Prepared(self.module, index, self.ctx.global_modes)
                self.interpreted[index] = prep
            return prep

    def translate_all(self) -> dict[int, CodeType]:
        """Translate every defined function now (for the disk cache)."""
        if self.interpret:
            return {}
        for index in range(self.ctx.num_imported_funcs, len(self.ctx.func_types)):
            try:
                self.code(index)
            except CompileError:
                pass  # raised again if the function is ever called
        return dict(self.codes)

    def preload(self, codes: dict[Any, Any]) -> None:
        """Use code objects read back from the disk cache."""
        lo, hi = self.ctx.num_imported_funcs, len(self.ctx.func_types)
        with self.lock:
            for index, code in codes.items():
                if isinstance(index, int) and lo <= index < hi and isinstance(code, CodeType):
                    self.codes.setdefault(index, code)
                    self.saved.add(index)
            self.module_saved = "module" in codes

    def unsaved(self) -> dict[int, CodeType]:
        """The code objects translated since the disk cache was read or
        written."""
        with self.lock:
            return {i: c for i, c in self.codes.items() if i not in self.saved}

    def mark_saved(self, codes: dict[int, CodeType]) -> None:
        with self.lock:
            self.saved.update(codes)
            self.module_saved = True

    def instantiate(self, inst: ModuleInstance, segments: Segments) -> None:
        """Build the namespace of ``inst`` and point its defined functions at
        lazy translation."""
        global _BASE
        if _BASE is None:
            _BASE = _base_namespace()
        ns = dict(_BASE)
        ns["__wasmzero__"] = inst
        module = self.module
        if module.uses_simd:
            from ...numeric.simd import SIMD_HELPERS

            ns.update(SIMD_HELPERS)
        for k, t in enumerate(module.types):
            ns[f"TY{k}"] = type_id(t)
        for i, fi in enumerate(inst.functions):
            ns[f"F{i}"] = fi
            if fi.host or fi.module is not inst:
                _ensure_translated(fi)
            ns[f"f{i}"] = fi.fn
        for i, gi in enumerate(inst.globals):
            mode = self.ctx.global_modes[i]
            if mode == "cell":
                ns[f"G{i}"] = gi
            else:
                ns[f"g{i}"] = gi.value
        for i, ti in enumerate(inst.tables):
            ns[f"T{i}"] = ti.elements
        inst.ns = ns
        if self.ctx.options.fuel:  # limits: the instance's fuel meter
            inst.fuel.bind(ns)
        if inst.memories:
            _bind_memory(ns, inst.memories[0], segments)
            inst.memories[0].bind_views(inst)
        _bind_tables(ns, inst, segments)

    def materialize(self, inst: ModuleInstance, index: int) -> Any:
        ns = inst.ns
        try:
            if self.interpret:
                raise CompileError("interpreter engine", index)
            fn = FunctionType(self.code(index), ns, f"f{index}")
        except CompileError:
            # Beyond what CPython compiles: this function is interpreted.
            fn = interpreted_function(self.prepared(index), ns, self.ctx.options.fuel)
        # With function listeners, what is installed is fn wrapped in them
        # (internal/listen.py); the caller (the lazy stub) runs fn itself.
        listening = inst.listening
        installed = fn if listening is None else listening.wrap(index, fn)
        ns[f"f{index}"] = installed
        inst.functions[index].fn = installed
        return fn

    def stub_factory(self, inst_ref: list) -> Any:
        compiled = self

        def factory(index: int) -> Any:
            def stub(*args: Any) -> Any:
                return compiled.materialize(inst_ref[0], index)(*args)

            stub._wz_lazy = (compiled, inst_ref, index)  # type: ignore[attr-defined]
            return stub

        return factory


def _ensure_translated(fi: FunctionInstance) -> None:
    """An imported wasm function is bound directly, not through its stub."""
    lazy = getattr(fi.fn, "_wz_lazy", None)
    if lazy is not None:
        compiled, inst_ref, index = lazy
        if inst_ref[0] is not None and inst_ref[0].ns is not None:
            compiled.materialize(inst_ref[0], index)


def _bind_memory(ns: dict[str, Any], mi: Any, segments: Segments) -> None:
    mem = mi.data
    ns["M"] = mem

    def _grow(n: int) -> int:
        return mi.grow(n) & 0xFFFFFFFF

    def _mfill(d: int, v: int, n: int) -> None:
        if d + n > len(mem):
            raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS)
        if n:
            mem[d : d + n] = bytes((v & 0xFF,)) * n

    def _mcopy(d: int, s: int, n: int) -> None:
        size = len(mem)
        if s + n > size or d + n > size:
            raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS)
        if n:
            mem[d : d + n] = mem[s : s + n]

    def _bytes_of(a: int, b: int) -> Iterator[int]:
        """The bytes a loop over a buffer reads (see Translator.byte_stream)."""
        if b > len(mem):
            raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS)
        return iter(mem[a:b])

    datas = segments.datas

    def _minit(seg: int, d: int, s: int, n: int) -> None:
        data = datas[seg]
        if s + n > len(data) or d + n > len(mem):
            raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS)
        if n:
            mem[d : d + n] = data[s : s + n]

    def _ddrop(seg: int) -> None:
        datas[seg] = b""

    ns.update(
        _grow=_grow,
        _mfill=_mfill,
        _mcopy=_mcopy,
        _minit=_minit,
        _ddrop=_ddrop,
        _bytes_of=_bytes_of,
    )


def _bind_tables(ns: dict[str, Any], inst: ModuleInstance, segments: Segments) -> None:
    tables = inst.tables
    elems = segments.elems

    def _tgrow(x: int, v: Any, n: int) -> int:
        return tables[x].grow(n, v) & 0xFFFFFFFF

    def _tfill(x: int, i: int, v: Any, n: int) -> None:
        t = tables[x].elements
        if i + n > len(t):
            raise Trap(TrapKind.TABLE_OUT_OF_BOUNDS)
        t[i : i + n] = [v] * n

    def _tcopy(dx: int, sx: int, d: int, s: int, n: int) -> None:
        dt = tables[dx].elements
        st = tables[sx].elements
        if s + n > len(st) or d + n > len(dt):
            raise Trap(TrapKind.TABLE_OUT_OF_BOUNDS)
        dt[d : d + n] = st[s : s + n]

    def _tinit(x: int, seg: int, d: int, s: int, n: int) -> None:
        t = tables[x].elements
        items = elems[seg]
        if s + n > len(items) or d + n > len(t):
            raise Trap(TrapKind.TABLE_OUT_OF_BOUNDS)
        t[d : d + n] = items[s : s + n]

    def _edrop(seg: int) -> None:
        elems[seg] = []

    ns.update(_tgrow=_tgrow, _tfill=_tfill, _tcopy=_tcopy, _tinit=_tinit, _edrop=_edrop)


class CompilerEngine:
    """Registered as ``"compiler"`` in ``ENGINES``."""

    name = "compiler"

    def compile(self, module: Module, options: TranslateOptions = NO_OPTIONS) -> CompiledCode:
        return CompiledCode(module, options=options)


class InterpreterEngine:
    """Registered as ``"interpreter"`` in ``ENGINES``: every function runs in
    the interpreter (same instances, same semantics definitions); no
    translation to Python. Slower; useful as a cross-check of the compiler
    and where compiling is not wanted."""

    name = "interpreter"

    def compile(self, module: Module, options: TranslateOptions = NO_OPTIONS) -> CompiledCode:
        return CompiledCode(module, interpret=True, options=options)
