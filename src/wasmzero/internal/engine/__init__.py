"""Engines: the pluggable part of the runtime that executes functions.

``ENGINES`` maps an engine name (``RuntimeConfig(engine=...)``) to a factory
returning the engine object; engines are imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _compiler() -> Any:
    from .compiler.engine import CompilerEngine

    return CompilerEngine()


def _interpreter() -> Any:
    from .interpreter.engine import InterpreterEngine

    return InterpreterEngine()


def _native() -> Any:
    from .native.engine import NativeEngine

    return NativeEngine()


ENGINES: dict[str, Callable[[], Any]] = {
    "compiler": _compiler,
    "interpreter": _interpreter,
    "native": _native,
}


def available_engines() -> list[str]:
    return sorted(ENGINES)
