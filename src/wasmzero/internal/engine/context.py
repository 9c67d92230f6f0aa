"""What the engines know about a module before running or translating any of
its functions (shared: the interpreter reads the globals' modes, the
compiler everything; kept apart from the translator, which is imported only
when a function is first translated)."""

from __future__ import annotations

from ..record import record
from ..wasm.module import Module
from ..wasm.types import EXTERN_GLOBAL, FuncType
from .limits import NO_OPTIONS, TranslateOptions


@record
class ModuleContext:
    """What the translator needs to know about the module, computed once."""

    module: Module
    func_types: list[FuncType]
    # Per global index: "plain" (ns variable, may be written with `global`),
    # "const" (immutable ns variable), or "cell" (shared GlobalInstance).
    global_modes: list[str]
    num_imported_funcs: int
    # Known alignment of each global (align.py), computed when a function
    # is first translated.
    global_align: list[int] | None = None
    # What the code includes beyond the module's semantics (fuel charges).
    options: TranslateOptions = NO_OPTIONS

    @classmethod
    def of(cls, module: Module, options: TranslateOptions = NO_OPTIONS) -> ModuleContext:
        exported = {e.index for e in module.exports if e.kind == EXTERN_GLOBAL}
        modes = []
        for i, gt in enumerate(module.all_globals()):
            imported = i < module.num_imported_globals
            if not gt.mutable:
                modes.append("const")
            elif imported or i in exported:
                modes.append("cell")
            else:
                modes.append("plain")
        return cls(module, module.func_types(), modes, module.num_imported_funcs, None, options)


def global_read(ctx: ModuleContext, index: int) -> str:
    return f"G{index}.value" if ctx.global_modes[index] == "cell" else f"g{index}"
