"""The compiler engine: wasm functions translated to Python (``translate.py``),
compiled by CPython, run as Python functions (see ``..code``)."""

from __future__ import annotations

from ...wasm.module import Module
from ..code import CompiledCode
from ..limits import NO_OPTIONS, TranslateOptions


class CompilerEngine:
    """Registered as ``"compiler"`` in ``ENGINES``."""

    name = "compiler"

    def compile(self, module: Module, options: TranslateOptions = NO_OPTIONS) -> CompiledCode:
        return CompiledCode(module, options=options)
