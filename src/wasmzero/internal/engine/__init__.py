"""Engines: the pluggable part of the runtime that executes functions.

``ENGINES`` maps an engine name (``RuntimeConfig(engine=...)``) to a factory
returning the engine object; engines are imported on first use. ``"auto"`` (the default) is
the native engine where it can run, else the compiler engine.
"""

from __future__ import annotations

import os
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


def host_platform() -> tuple[str, str]:
    """(system, machine), e.g. ("Linux", "x86_64"), without importing
    ``platform`` where ``os.uname`` answers (start-up time)."""
    uname = getattr(os, "uname", None)
    if uname is None:  # Windows
        import platform

        return platform.system(), platform.machine()
    u = uname()
    return u.sysname, u.machine


def foreign_platform() -> str | None:
    """Why this machine is not one native code is made for (x86-64 Linux),
    or None."""
    system, machine = host_platform()
    if machine not in ("x86_64", "AMD64") or system != "Linux":
        return f"native code is x86-64 Linux only (this is {system} {machine})"
    return None


def native_unavailable() -> str | None:
    """Why the native engine cannot run here (None: it can); probed once.
    The native package is not imported on another platform."""
    why = foreign_platform()
    if why is not None:
        return why
    from .native.exec import unavailable

    return unavailable()


def _auto() -> Any:
    """The default: the native engine where machine code can run (x86-64
    Linux with executable memory), else the compiler engine -- as wazero
    picks its compiler where it has one and its interpreter elsewhere."""
    return _native() if native_unavailable() is None else _compiler()


ENGINES: dict[str, Callable[[], Any]] = {
    "auto": _auto,
    "compiler": _compiler,
    "interpreter": _interpreter,
    "native": _native,
}


def available_engines() -> list[str]:
    return sorted(ENGINES)
