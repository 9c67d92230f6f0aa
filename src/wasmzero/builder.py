"""Host modules: Python functions, memories, tables and globals exported to
WebAssembly under a module name.

Ex.::

    def add(a: i32, b: i32) -> i32:
        return a + b

    rt.host_module("env").function("add", add).instantiate()
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .internal.wasm.store import (
    FunctionInstance,
    GlobalInstance,
    MemoryInstance,
    ModuleInstance,
    TableInstance,
)
from .internal.wasm.types import (
    EXTERN_FUNC,
    EXTERN_GLOBAL,
    EXTERN_MEMORY,
    EXTERN_TABLE,
    VALTYPE_BY_NAME,
    FuncType,
    GlobalType,
    Limits,
    TableType,
)
from .internal.wasm.values import FROM_RAW, TO_RAW

if TYPE_CHECKING:
    from .runtime import Module, Runtime

__all__ = ["HostModuleBuilder"]


def _types(names: Sequence[Any]) -> tuple[int, ...]:
    out = []
    for n in names:
        t = VALTYPE_BY_NAME.get(str(n))
        if t is None:
            raise TypeError(f"unknown value type {n!r}")
        out.append(t)
    return tuple(out)


def _signature_of(fn: Callable[..., Any]) -> tuple[list[str], list[str]]:
    sig = inspect.signature(fn)
    params = []
    for p in sig.parameters.values():
        if p.annotation is inspect.Parameter.empty:
            raise TypeError(f"parameter {p.name!r} of {fn.__name__} has no wasm type annotation")
        params.append(str(p.annotation))
    ret = sig.return_annotation
    if ret is inspect.Signature.empty or ret is None or ret == "None":
        results: list[str] = []
    elif isinstance(ret, tuple):
        results = [str(r) for r in ret]
    else:
        results = [str(ret)]
    return params, results


class HostModuleBuilder:
    """Collects exports of a host module, then :meth:`instantiate` it."""

    def __init__(self, runtime: Runtime, name: str) -> None:
        self._runtime = runtime
        self._name = name
        self._inst = ModuleInstance(name)

    def function(
        self,
        name: str,
        fn: Callable[..., Any],
        params: Sequence[Any] | None = None,
        results: Sequence[Any] | None = None,
        raw: bool = False,
    ) -> HostModuleBuilder:
        """Export a Python function. Types come from ``params``/``results``
        (value type names) or from the annotations. With ``raw=True`` the
        function receives the raw argument list and returns a list of raw
        results."""
        if params is None or results is None:
            p, r = _signature_of(fn)
            params = p if params is None else params
            results = r if results is None else results
        ft = FuncType(_types(params), _types(results))
        idx = len(self._inst.functions)
        if raw:

            def call(*args: Any) -> Any:
                out = fn(list(args))
                n = len(ft.results)
                if n == 0:
                    return None
                return out[0] if n == 1 else tuple(out)

        else:
            to_py = [FROM_RAW[t] for t in ft.params]
            to_raw = [TO_RAW[t] for t in ft.results]
            nres = len(ft.results)

            def call(*args: Any) -> Any:
                out = fn(*[c(a) for c, a in zip(to_py, args, strict=True)])
                if nres == 0:
                    return None
                if nres == 1:
                    return to_raw[0](out)
                out = tuple(out)
                if len(out) != nres:
                    raise TypeError(f"host function returned {len(out)} results, expected {nres}")
                return tuple(c(v) for c, v in zip(to_raw, out, strict=True))

        fi = FunctionInstance(ft, call, self._inst, idx, True)
        self._inst.functions.append(fi)
        self._inst.func_names[idx] = name
        self._inst.exports[name] = (EXTERN_FUNC, fi)
        return self

    def global_(self, name: str, type: str, value: Any, mutable: bool = False) -> HostModuleBuilder:
        """Export a global holding ``value`` (raw representation)."""
        gi = GlobalInstance(GlobalType(_types([type])[0], mutable), value)
        self._inst.globals.append(gi)
        self._inst.exports[name] = (EXTERN_GLOBAL, gi)
        return self

    def table(
        self, name: str, elem_type: str, min: int, max: int | None = None
    ) -> HostModuleBuilder:
        ti = TableInstance(TableType(_types([elem_type])[0], Limits(min, max)))
        self._inst.tables.append(ti)
        self._inst.exports[name] = (EXTERN_TABLE, ti)
        return self

    def memory(self, name: str, min: int, max: int | None = None) -> HostModuleBuilder:
        mi = MemoryInstance(min, max, self._runtime.config.memory_limit_pages)
        self._inst.memories.append(mi)
        self._inst.exports[name] = (EXTERN_MEMORY, mi)
        return self

    def instantiate(self) -> Module:
        return self._runtime._add_host(self._inst)
