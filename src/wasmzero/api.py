"""Public types shared by the whole API: core features and value types.

See https://webassembly.github.io/spec/core/appendix/changes.html
"""

from __future__ import annotations

from enum import IntFlag

__all__ = ["CoreFeatures", "i32", "i64", "f32", "f64", "v128", "funcref", "externref"]


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
