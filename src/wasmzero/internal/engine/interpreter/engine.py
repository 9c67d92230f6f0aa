"""The interpreter engine: every function runs in the interpreter
(``interp.py``, see ``..code``)."""

from __future__ import annotations

from ...wasm.module import Module
from ..code import CompiledCode
from ..limits import NO_OPTIONS, TranslateOptions


class InterpreterEngine:
    """Registered as ``"interpreter"`` in ``ENGINES``: every function runs in
    the interpreter (same instances, same semantics definitions); no
    translation to Python. Slower; useful as a cross-check of the compiler
    and where compiling is not wanted."""

    name = "interpreter"

    def compile(self, module: Module, options: TranslateOptions = NO_OPTIONS) -> CompiledCode:
        return CompiledCode(module, interpret=True, options=options)
