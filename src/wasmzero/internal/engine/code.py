"""The code of one compiled module, shared by both engines, and where they
meet: a function runs translated to Python (the compiler engine) or
interpreted (the interpreter engine, and the compiler engine's fallback for
a function CPython cannot compile).

A :class:`CompiledCode` belongs to one compiled module and caches one code
object per function, translated lazily on the function's first call in any
instance. Each instance executes those code objects with a namespace of its
own (``namespace.py``: its memory, tables, globals, functions), so
instantiating many times never re-translates.

This module is the one place that knows both engines; they import only
the shared parts (``context.py``, ``namespace.py``, ``semantics.py``), never
each other.
"""

from __future__ import annotations

import threading
from types import CodeType, FunctionType
from typing import TYPE_CHECKING, Any

from ..wasm.module import Code, Module
from ..wasm.store import FunctionInstance, ModuleInstance, type_id
from .context import ModuleContext
from .limits import NO_OPTIONS, TranslateOptions

if TYPE_CHECKING:
    from .interpreter.interp import Prepared
from .namespace import Segments, base_namespace, bind_memory, bind_tables, make_views


class CompileError(Exception):
    """A valid function that CPython cannot compile once translated (more
    than 20 nested loops that are branched to, parser limits): the engine
    runs it in the interpreter instead. Never leaves the engine."""

    def __init__(self, message: str, func_index: int) -> None:
        super().__init__(f"function[{func_index}]: {message}")
        self.func_index = func_index


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
        self.loops: dict[tuple[int, int], Any] = {}  # translated loops (osr.py)
        self.failed: dict[int, CompileError] = {}  # functions CPython cannot compile
        # Which code objects (and whether the module) the disk cache has.
        self.saved: set[int] = set()
        self.module_saved = False

    def source(self, index: int) -> str:
        from .compiler.translate import translate_function

        return translate_function(self.ctx, index)

    def code(self, index: int) -> CodeType:
        code = self.codes.get(index)
        if code is None:
            with self.lock:
                code = self.codes.get(index)
                if code is None:
                    failed = self.failed.get(index)
                    if failed is not None:
                        raise failed
                    try:
                        code = _translate(self.ctx, index)
                    except CompileError as e:
                        self.failed[index] = e
                        raise
                    self.codes[index] = code
                    self.translations += 1
        return code

    def prepared(self, index: int) -> Prepared:
        from .interpreter.interp import Prepared

        with self.lock:
            prep = self.interpreted.get(index)
            if prep is None:
                prep = Prepared(self.module, index, self.ctx.global_modes, self.ctx.func_types)
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
        module = self.module
        ns = base_namespace(module.uses_simd)
        ns["__wasmzero__"] = inst
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
            bind_memory(ns, inst.memories[0], segments)
            inst.memories[0].bind_views(inst, make_views)
        bind_tables(ns, inst, segments)

    def materialize(self, inst: ModuleInstance, index: int) -> Any:
        # The interpreter and tiering are imported when first used (a
        # native or translated run never does: start-up time).
        ns = inst.ns
        fuel = self.ctx.options.fuel
        threshold = inst.tier_threshold
        try:
            if self.interpret:
                raise CompileError("interpreter engine", index)
            if threshold != 0 and index not in self.codes and index not in self.failed:
                from .interpreter.interp import interpreted_function
                from .tiering import Tier

                # Tiering (tiering.py): interpreted until hot; None: always.
                tier = None if threshold is None else Tier(self, inst, index, threshold)
                fn = interpreted_function(self.prepared(index), ns, fuel, tier)
            else:
                fn = FunctionType(self.code(index), ns, f"f{index}")
        except CompileError:
            from .interpreter.interp import interpreted_function

            # Beyond what CPython compiles: this function is interpreted.
            fn = interpreted_function(self.prepared(index), ns, fuel)
        self.install(inst, index, fn)
        return fn

    def install(self, inst: ModuleInstance, index: int, fn: Any) -> None:
        # With function listeners, what is installed is fn wrapped in them
        # (internal/listen.py); the caller (the lazy stub) runs fn itself.
        listening = inst.listening
        installed = fn if listening is None else listening.wrap(index, fn)
        inst.ns[f"f{index}"] = installed
        inst.functions[index].fn = installed

    def translated(self, inst: ModuleInstance, index: int) -> Any:
        """Tiering up: function ``index`` translated and installed in
        ``inst`` (the function itself, not its listeners' wrapper), or None
        when it cannot be translated."""
        try:
            fn = FunctionType(self.code(index), inst.ns, f"f{index}")
        except CompileError:
            return None
        self.install(inst, index, fn)
        return fn

    def loop_function(self, inst: ModuleInstance, index: int, pc: int) -> Any:
        """On-stack replacement (osr.py): the loop at ``pc`` of function
        ``index`` translated, bound to ``inst``: (function, its
        LoopFunction, the pc after the loop's end); None if it cannot be
        translated."""
        got = self.loop_code(index, pc)
        if got is None:
            return None
        code, lf, after = got
        return FunctionType(code, inst.ns, "osr"), lf, after

    def loop_code(self, index: int, pc: int) -> Any:
        key = (index, pc)
        got = self.loops.get(key, 0)
        if got != 0:
            return got
        ctx = self.ctx
        module = self.module
        code = module.codes[index - ctx.num_imported_funcs]
        ft = ctx.func_types[index]
        from .osr import loop_end, loop_function

        lf = loop_function(module.types, ft, [*ft.params, *code.locals], code.body, pc)
        n = len(ctx.func_types)
        extended = _Extended(
            module, module.types + lf.types, [*module.codes, Code(lf.locals, lf.body)]
        )
        if ctx.global_align is None:
            from .compiler.passes.align import global_alignment

            ctx.global_align = global_alignment(module, ctx.func_types)
        # Its loop header charges fuel (the interpreter charged the entry).
        options = TranslateOptions(fuel=ctx.options.fuel, entry_charge=False)
        sub = ModuleContext(
            extended, [*ctx.func_types, lf.type], ctx.global_modes, ctx.num_imported_funcs,
            ctx.global_align, options,
        )  # fmt: skip
        got = None
        try:
            fn_code = _translate(sub, n)
            got = (fn_code.replace(co_name="osr"), lf, loop_end(code.body, pc) + 1)
        except CompileError:
            pass
        with self.lock:
            self.loops[key] = got
        return got

    def stub_factory(self, inst_ref: list) -> Any:
        compiled = self

        def factory(index: int) -> Any:
            def stub(*args: Any) -> Any:
                return compiled.materialize(inst_ref[0], index)(*args)

            stub._wz_lazy = (compiled, inst_ref, index)  # type: ignore[attr-defined]
            return stub

        return factory


def _translate(ctx: ModuleContext, index: int) -> CodeType:
    """The code object of function ``index`` translated (CompileError when
    CPython cannot compile it)."""
    from .compiler.translate import TranslationLimit, translate_function

    try:
        src = translate_function(ctx, index)
        obj = compile(src, f"<wasm function {index}>", "exec")
    except TranslationLimit as e:
        raise CompileError(str(e), index) from None
    except (SyntaxError, RecursionError, MemoryError) as e:
        # CPython's own limits (nesting, parser depth).
        raise CompileError(f"CPython cannot compile it: {e}", index) from None
    scope: dict[str, Any] = {}
    exec(obj, scope)  # noqa: S102
    return scope[f"f{index}"].__code__


class _Extended:
    """A module seen with more types and function bodies (a loop function's,
    osr.py), for translating one function; everything else is the module's."""

    def __init__(self, module: Module, types: list, codes: list) -> None:
        self._module = module
        self.types = types
        self.codes = codes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def _ensure_translated(fi: FunctionInstance) -> None:
    """An imported wasm function is bound directly, not through its stub."""
    lazy = getattr(fi.fn, "_wz_lazy", None)
    if lazy is not None:
        compiled, inst_ref, index = lazy
        if inst_ref[0] is not None and inst_ref[0].ns is not None:
            compiled.materialize(inst_ref[0], index)
