"""What the compiler tests share: wasmtime as the oracle, and the Python the
translator writes for a function. Callers import wasmtime first with
``pytest.importorskip``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def wasmtime_export(wasm: bytes, name: str = "run") -> Callable[..., Any]:
    """The export ``name`` of ``wasm`` instantiated in wasmtime (no imports),
    called with plain arguments."""
    import wasmtime

    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), [])
    fn = inst.exports(store)[name]
    return lambda *args: fn(store, *args)


def translated(text: str, index: int | None = None) -> str:
    """The generated source of function ``index`` of the module in WAT
    ``text`` (by default its last function)."""
    import wasmtime

    from wasmzero.internal.binary.decoder import decode_module
    from wasmzero.internal.engine.compiler.translate import ModuleContext, translate_function

    ctx = ModuleContext.of(decode_module(wasmtime.wat2wasm(text)))
    if index is None:
        index = ctx.num_imported_funcs + len(ctx.module.codes) - 1
    return translate_function(ctx, index)


def outcome(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``, or "trap" where it traps (in either runtime)."""
    import wasmtime

    from wasmzero import Trap

    try:
        return fn(*args)
    except (Trap, wasmtime.Trap, wasmtime.WasmtimeError):
        return "trap"


def agree(text: str, calls: list[tuple[int, ...]], name: str = "run") -> None:
    """Each call of the export ``name`` of the module in WAT ``text`` gives
    wasmzero the result (or trap) it gives wasmtime."""
    import wasmtime

    from wasmzero import Runtime, RuntimeConfig

    wasm = wasmtime.wat2wasm(text)
    expect = wasmtime_export(wasm, name)
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        run = rt.instantiate(wasm).exported_function(name)
        for args in calls:
            assert outcome(run, *args) == outcome(expect, *args), args
