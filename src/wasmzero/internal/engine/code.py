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
from typing import Any

from ..wasm.module import Module
from ..wasm.store import FunctionInstance, ModuleInstance, type_id
from .context import ModuleContext
from .interpreter.interp import Prepared, interpreted_function
from .limits import NO_OPTIONS, TranslateOptions
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
                    try:
                        src = self.source(index)
                        obj = compile(src, f"<wasm function {index}>", "exec")
                    except CompileError:
                        raise
                    except Exception as e:
                        from .compiler.translate import TranslationLimit

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
