"""wasmzero: a zero-dependency WebAssembly runtime in pure Python."""

from .api import CoreFeatures, externref, f32, f64, funcref, i32, i64, v128
from .errors import (
    DecodeError,
    ExitError,
    InstantiationError,
    LinkError,
    Trap,
    TrapKind,
    ValidationError,
    WasmError,
)
from .version import __version__

__all__ = [
    "__version__",
    "CoreFeatures",
    "i32",
    "i64",
    "f32",
    "f64",
    "v128",
    "funcref",
    "externref",
    "WasmError",
    "DecodeError",
    "ValidationError",
    "LinkError",
    "InstantiationError",
    "Trap",
    "TrapKind",
    "ExitError",
]
