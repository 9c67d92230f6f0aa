"""Emscripten's ``env`` imports for wasmtime-py, written in Python as an
embedder would (and as wasmzero's ``imports/emscripten`` does): each
``invoke_*`` calls the table entry and catches the unwinding a longjmp
starts (a Python exception, which wasmtime-py carries through the wasm
frames as a trap and raises again at the call), then restores the stack
and calls ``setThrew(1, 0)``. Used by the benchmarks that compare the two.
"""

from __future__ import annotations

from typing import Any

import wasmtime


class Longjmp(Exception):
    """The unwinding of one longjmp."""


class EmscriptenEnv:
    """Defines in ``linker`` what ``module`` imports from ``env`` (invoke_*,
    _emscripten_throw_longjmp, setTempRet0/getTempRet0, plus ``extra``: name
    -> (FuncType, callback taking the caller first)); call :meth:`bind` with
    the instance before running it."""

    def __init__(
        self,
        store: wasmtime.Store,
        linker: wasmtime.Linker,
        module: wasmtime.Module,
        extra: dict[str, tuple[wasmtime.FuncType, Any]] | None = None,
    ) -> None:
        self.store = store
        self.temp = 0
        self.table: Any = None
        self.save: Any = None
        self.restore: Any = None
        self.threw: Any = None
        extra = extra or {}
        for imp in module.imports:
            if imp.module != "env":
                continue
            ty = imp.type
            if imp.name in extra:
                ft, fn = extra[imp.name]
                linker.define(
                    store, "env", imp.name, wasmtime.Func(store, ft, fn, access_caller=True)
                )
            elif imp.name.startswith("invoke_"):
                fn = self._invoke(bool(ty.results))
                linker.define(store, "env", imp.name, wasmtime.Func(store, ty, fn))
            elif imp.name == "_emscripten_throw_longjmp":
                linker.define(store, "env", imp.name, wasmtime.Func(store, ty, self._longjmp))
            elif imp.name == "setTempRet0":
                linker.define(store, "env", imp.name, wasmtime.Func(store, ty, self._set_temp))
            elif imp.name == "getTempRet0":
                linker.define(store, "env", imp.name, wasmtime.Func(store, ty, self._get_temp))

    def bind(self, instance: wasmtime.Instance) -> None:
        ex = instance.exports(self.store)
        self.table = ex["__indirect_function_table"]
        self.save = ex["stackSave"] if "stackSave" in ex else ex["stack_save"]
        self.restore = ex["stackRestore"] if "stackRestore" in ex else ex["stack_restore"]
        self.threw = ex["setThrew"]

    def _invoke(self, has_result: bool) -> Any:
        store = self.store

        def invoke(index: int, *args: Any) -> Any:
            sp = self.save(store)
            try:
                return self.table.get(store, index)(store, *args)
            except Longjmp:
                self.restore(store, sp)
                self.threw(store, 1, 0)
                return 0 if has_result else None

        return invoke

    def _longjmp(self) -> None:
        raise Longjmp

    def _set_temp(self, value: int) -> None:
        self.temp = value

    def _get_temp(self) -> int:
        return self.temp
