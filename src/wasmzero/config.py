"""Configuration: :class:`RuntimeConfig` for a runtime, :class:`ModuleConfig`
for one instantiation. Both are frozen; derive variants with
``dataclasses.replace``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .api import CoreFeatures

__all__ = ["RuntimeConfig", "ModuleConfig"]


@dataclass(frozen=True)
class RuntimeConfig:
    """How a :class:`~wasmzero.Runtime` compiles and runs modules.

    Ex.::

        Runtime(RuntimeConfig(engine="compiler", features=CoreFeatures.V1))

    Attributes:
        engine: ``"compiler"`` (WebAssembly translated to Python; default).
        features: the core features enabled; ``CoreFeatures.V2`` by default.
        memory_limit_pages: the most pages (64 KiB each) any memory may have;
            ``memory.grow`` beyond it returns -1. Default 65536 (4 GiB).
    """

    engine: str = "compiler"
    features: CoreFeatures = CoreFeatures.V2
    memory_limit_pages: int = 65536


@dataclass(frozen=True)
class ModuleConfig:
    """Per-instantiation settings.

    Attributes:
        name: the instance's name, by which other modules import from it; ""
            for an anonymous instance (any number of them may exist).
        start_functions: exported functions called after instantiation, in
            order, if they exist; ``()`` for none. The spec's start section
            always runs first.
    """

    name: str = ""
    start_functions: tuple[str, ...] = ("_start",)
