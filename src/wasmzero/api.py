"""Public types shared by the whole API: core features and value types.

See https://webassembly.github.io/spec/core/appendix/changes.html
"""

from __future__ import annotations

from enum import IntFlag

from .internal.record import record

__all__ = [
    "CoreFeatures",
    "FunctionDefinition",
    "MemoryDefinition",
    "i32",
    "i64",
    "f32",
    "f64",
    "v128",
    "funcref",
    "externref",
]


class CoreFeatures(IntFlag):
    """WebAssembly Core features, as flags (wazero's ``api.CoreFeatures``).

    ``V1`` is WebAssembly Core 1.0 (the MVP plus mutable-global imports and
    exports); ``V2`` is Core 2.0, the default.

    Ex.::

        RuntimeConfig(features=CoreFeatures.V1 | CoreFeatures.SIGN_EXTENSION)
    """

    MUTABLE_GLOBAL = 1 << 0
    SIGN_EXTENSION = 1 << 1
    MULTI_VALUE = 1 << 2
    NONTRAPPING_FLOAT_TO_INT = 1 << 3
    BULK_MEMORY = 1 << 4
    REFERENCE_TYPES = 1 << 5
    SIMD = 1 << 6

    V1 = MUTABLE_GLOBAL
    V2 = (
        MUTABLE_GLOBAL
        | SIGN_EXTENSION
        | MULTI_VALUE
        | NONTRAPPING_FLOAT_TO_INT
        | BULK_MEMORY
        | REFERENCE_TYPES
        | SIMD
    )

    @classmethod
    def from_name(cls, name: str) -> CoreFeatures:
        """The flag for an instruction-table feature name such as
        ``"bulk_memory"``; ``"v1"`` gives ``V1``."""
        return cls.V1 if name == "v1" else cls[name.upper()]


class _ValueType(str):
    """A wasm value type usable as a Python annotation (``def f(x: i32)``)."""

    __slots__ = ()


i32 = _ValueType("i32")
i64 = _ValueType("i64")
f32 = _ValueType("f32")
f64 = _ValueType("f64")
v128 = _ValueType("v128")
funcref = _ValueType("funcref")
externref = _ValueType("externref")


@record(frozen=True)
class FunctionDefinition:
    """What a module says of one function, before or after instantiation
    (wazero's ``api.FunctionDefinition``).

    Attributes:
        module_name: the defining module's name (name section, host module
            name, or "").
        index: position in the module's function index space (imports
            first).
        import_: ``(module, name)`` when the function is imported, else None.
        export_names: names it is exported under, in export order.
        name: its name from the name section (or host function name), or "".
        debug_name: ``module.name`` or ``module.$index`` (``env.abort`` for
            an import), as used in stack traces.
        param_types, result_types: value type names (``"i32"`` ...).
        param_names, result_names: names where known, else "".
        is_host: whether it is implemented in Python.
    """

    module_name: str
    index: int
    import_: tuple[str, str] | None
    export_names: tuple[str, ...]
    name: str
    debug_name: str
    param_types: tuple[str, ...]
    result_types: tuple[str, ...]
    param_names: tuple[str, ...]
    result_names: tuple[str, ...]
    is_host: bool = False


@record(frozen=True)
class MemoryDefinition:
    """A memory a module imports or defines: limits in pages."""

    module_name: str
    index: int
    import_: tuple[str, str] | None
    export_names: tuple[str, ...]
    min_pages: int
    max_pages: int | None
