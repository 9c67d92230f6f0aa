"""The compiler engine: wasm functions translated to Python (``translate.py``),
compiled by CPython, run as Python functions (see ``..code``)."""

from __future__ import annotations

from ...wasm.module import Module
from ..code import CompiledCode


class CompilerEngine:
    """Registered as ``"compiler"`` in ``ENGINES``."""

    name = "compiler"

    def compile(self, module: Module) -> CompiledCode:
        return CompiledCode(module)
