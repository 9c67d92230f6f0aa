"""Host modules: Python functions, memories, tables and globals exported to
WebAssembly under a module name.

Ex.::

    def add(a: i32, b: i32) -> i32:
        return a + b

    rt.host_module("env").function("add", add).instantiate()
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .internal.wasm.definitions import host_function_definition
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
from .internal.wasm.values import FROM_RAW, TO_RAW, check_raw_for, describe

if TYPE_CHECKING:
    from .runtime import Module, Runtime

__all__ = ["HostModuleBuilder"]


def _type_name(n: Any) -> str:
    # ``float`` is a Python double: exactly f64, so it is accepted as such.
    # ``int`` is not: i32 or i64 would be a guess.
    if n is float or n == "float":
        return "f64"
    return str(n)


def _types(names: Sequence[Any], what: str = "") -> tuple[int, ...]:
    out = []
    for n in names:
        t = VALTYPE_BY_NAME.get(_type_name(n))
        if t is None:
            where = f" in {what}" if what else ""
            hint = ""
            if n is int or n == "int":
                hint = " (a Python int could be i32 or i64: annotate with wasmzero.i32 or wasmzero.i64)"
            raise TypeError(
                f"unknown value type {getattr(n, '__name__', n)!r}{where}: use wasmzero.i32, "
                f"i64, f32, f64, v128, funcref or externref (or their names){hint}"
            )
        out.append(t)
    return tuple(out)


def _is_module_annotation(annotation: Any, module_type: type) -> bool:
    """Whether a parameter annotation is the public module type
    (``module_type``, handed over by the runtime: builder.py does not import
    runtime.py, which imports it)."""
    return annotation is module_type or annotation in ("Module", "wasmzero.Module")


def _positional_count(fn: Callable[..., Any]) -> int:
    """How many parameters ``fn`` takes; read from the code object for
    plain functions and methods (importing ``inspect`` costs start-up)."""
    code = getattr(fn, "__code__", None)
    if code is not None and not code.co_flags & 0x0C:  # no *args / **kwargs
        n = code.co_argcount + code.co_kwonlyargcount
        return n - 1 if getattr(fn, "__self__", None) is not None else n
    import inspect

    return len(inspect.signature(fn).parameters)


def _signature_of(
    fn: Callable[..., Any], module_type: type
) -> tuple[bool, list[str], list[str], list[str]]:
    """(takes the caller module, param types, result types, param names)
    from ``fn``'s annotations."""
    import inspect  # only for typed host functions (inspect is slow to import)

    sig = inspect.signature(fn)
    ps = list(sig.parameters.values())
    takes_module = bool(ps) and _is_module_annotation(ps[0].annotation, module_type)
    if takes_module:
        ps = ps[1:]
    params = []
    for p in ps:
        if p.annotation is inspect.Parameter.empty:
            raise TypeError(f"parameter {p.name!r} of {fn.__name__} has no wasm type annotation")
        params.append(str(p.annotation))
    ret = sig.return_annotation
    if ret is inspect.Signature.empty or ret is None or ret == "None":
        results: list[str] = []
    elif isinstance(ret, tuple):
        results = [str(r) for r in ret]
    elif isinstance(ret, str) and ret.startswith("tuple[") and ret.endswith("]"):
        results = [r.strip() for r in ret[6:-1].split(",") if r.strip()]
    else:
        args = getattr(ret, "__args__", None)
        results = (
            [str(r) for r in args]
            if args and getattr(ret, "__origin__", None) is tuple
            else [str(ret)]
        )
    return takes_module, params, results, [p.name for p in ps]


def _signature_of_lenient(
    fn: Callable[..., Any], module_type: type
) -> tuple[bool, list[str], list[str], list[str]]:
    try:
        import inspect

        ps = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False, [], [], []
    takes_module = bool(ps) and _is_module_annotation(ps[0].annotation, module_type)
    if takes_module:
        ps = ps[1:]
    return takes_module, [], [], [p.name for p in ps]


def _unbound(*args: Any) -> Any:
    raise TypeError("this host function needs a calling module; call it from WebAssembly")


def _raw_adapter(
    fn: Callable[..., Any], ft: FuncType, takes_module: bool
) -> Callable[[ModuleInstance | None], Callable[..., Any]]:
    nres = len(ft.results)
    checks = [check_raw_for(t) for t in ft.results]
    fname = getattr(fn, "__name__", "host function")

    def results(out: Any) -> Any:
        # Checked once per call at the boundary: the count and each value's
        # raw type, so a wrong result fails here, naming the function.
        try:
            if len(out) != nres:
                raise TypeError(f"returned {len(out)} results, expected {nres}")
            vals = [c(v) for c, v in zip(checks, out, strict=True)]
        except TypeError as e:
            raise TypeError(
                f"raw host function {fname} must return a list of {nres} raw values "
                f"{describe(ft.results)}: {e}"
            ) from None
        if nres == 0:
            return None
        return vals[0] if nres == 1 else tuple(vals)

    def bind(caller: ModuleInstance | None) -> Callable[..., Any]:
        if takes_module:

            def call(*args: Any) -> Any:
                return results(fn(caller.api, list(args)))  # type: ignore[union-attr]

        else:

            def call(*args: Any) -> Any:
                return results(fn(list(args)))

        return call

    return bind


def _typed_adapter(
    fn: Callable[..., Any], ft: FuncType, takes_module: bool
) -> Callable[[ModuleInstance | None], Callable[..., Any]]:
    to_py = [FROM_RAW[t] for t in ft.params]
    to_raw = [TO_RAW[t] for t in ft.results]
    nres = len(ft.results)

    fname = getattr(fn, "__name__", "host function")

    def convert(out: Any) -> Any:
        try:
            if nres == 0:
                return None
            if nres == 1:
                return to_raw[0](out)
            out = tuple(out)
            if len(out) != nres:
                raise TypeError(f"returned {len(out)} results, expected {nres}")
            return tuple(c(v) for c, v in zip(to_raw, out, strict=True))
        except TypeError as e:
            raise TypeError(f"host function {fname} -> {describe(ft.results)}: {e}") from None

    def bind(caller: ModuleInstance | None) -> Callable[..., Any]:
        if takes_module:

            def call(*args: Any) -> Any:
                return convert(fn(caller.api, *[c(a) for c, a in zip(to_py, args, strict=True)]))  # type: ignore[union-attr]

        else:

            def call(*args: Any) -> Any:
                return convert(fn(*[c(a) for c, a in zip(to_py, args, strict=True)]))

        return call

    return bind


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
        param_names: Sequence[str] | None = None,
        result_names: Sequence[str] | None = None,
    ) -> HostModuleBuilder:
        """Export a Python function.

        Types come from ``params``/``results`` (value type names such as
        ``"i32"`` or ``wasmzero.i32``) or from the annotations. A first
        parameter annotated :class:`wasmzero.Module` receives the calling
        module (for its memory). Several results are returned as a tuple.

        With ``raw=True`` the function receives the raw argument list (and,
        if it takes two parameters, the calling module first) and returns a
        list of raw results: the fast path for hot imports.
        """
        takes_module = False
        sig_names: list[str] = []
        if raw:
            if params is None or results is None:
                raise TypeError("a raw host function needs explicit params and results")
            takes_module = _positional_count(fn) == 2
        elif params is None or results is None:
            takes_module, p, r, sig_names = _signature_of(fn, self._runtime._module_type)
            params = p if params is None else params
            results = r if results is None else results
        else:
            takes_module, _, _, sig_names = _signature_of_lenient(fn, self._runtime._module_type)
        ft = FuncType(_types(params, name), _types(results, name))
        call = _raw_adapter(fn, ft, takes_module) if raw else _typed_adapter(fn, ft, takes_module)
        pnames = tuple(param_names) if param_names is not None else tuple(sig_names)
        if takes_module:
            return self._add_function(name, ft, _unbound, call, pnames, result_names)
        return self._add_function(name, ft, call(None), None, pnames, result_names)

    def _function_binder(
        self,
        name: str,
        binder: Callable[[ModuleInstance], Callable[..., Any]],
        params: Sequence[Any],
        results: Sequence[Any],
        param_names: Sequence[str],
    ) -> HostModuleBuilder:
        """Export a host function made for each importing instance by
        ``binder(importer)`` at link time, in the engines' own calling
        convention (raw arguments by position; None, the raw result or a
        tuple of them), unchecked: for wasmzero's own host modules' hottest
        functions (Emscripten's invoke_*), not a public API."""
        ft = FuncType(_types(params, name), _types(results, name))
        return self._add_function(name, ft, _unbound, binder, tuple(param_names), None)

    def _add_function(
        self,
        name: str,
        ft: FuncType,
        fn: Callable[..., Any],
        bind: Callable[[ModuleInstance], Callable[..., Any]] | None,
        pnames: tuple[str, ...],
        result_names: Sequence[str] | None,
    ) -> HostModuleBuilder:
        idx = len(self._inst.functions)
        fi = FunctionInstance(ft, fn, self._inst, idx, True)
        fi.bind = bind
        self._inst.functions.append(fi)
        if len(pnames) != len(ft.params):
            pnames = ("",) * len(ft.params)
        rnames = tuple(result_names) if result_names is not None else ("",) * len(ft.results)
        if len(rnames) != len(ft.results):
            raise ValueError(f"{len(rnames)} result names for {len(ft.results)} results")
        self._inst.definitions.append(
            host_function_definition(self._name, idx, name, ft, pnames, rnames)
        )
        self._inst.func_names[idx] = name
        self._inst.exports[name] = (EXTERN_FUNC, fi)
        return self

    def global_(self, name: str, type: str, value: Any, mutable: bool = False) -> HostModuleBuilder:
        """Export a global holding ``value``: a Python value checked and
        converted as for :attr:`Global.value` (an i32 of -1 is stored as
        0xFFFFFFFF), or the raw representation."""
        t = _types([type], name)[0]
        try:
            raw = TO_RAW[t](value)
        except TypeError as e:
            raise TypeError(f"global {name!r} ({_type_name(type)}): {e}") from None
        gi = GlobalInstance(GlobalType(t, mutable), raw)
        self._inst.globals.append(gi)
        self._inst.exports[name] = (EXTERN_GLOBAL, gi)
        return self

    def table(
        self, name: str, elem_type: str, min: int, max: int | None = None
    ) -> HostModuleBuilder:
        ti = TableInstance(
            TableType(_types([elem_type])[0], Limits(min, max)),
            None,
            self._runtime.config.table_limit_elements,
        )
        self._inst.tables.append(ti)
        self._inst.exports[name] = (EXTERN_TABLE, ti)
        return self

    def memory(self, name: str, min: int, max: int | None = None) -> HostModuleBuilder:
        mi = MemoryInstance(
            min, max, self._runtime.config.memory_limit_pages, self._runtime._budget
        )
        self._inst.memories.append(mi)
        self._inst.exports[name] = (EXTERN_MEMORY, mi)
        return self

    def instantiate(self) -> Module:
        return self._runtime._add_host(self._inst)
