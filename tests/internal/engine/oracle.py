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
