"""wasmzero: a zero-dependency WebAssembly runtime in pure Python.

Ex.::

    from wasmzero import Runtime

    with Runtime() as rt:
        module = rt.instantiate(open("add.wasm", "rb").read())
        print(module.exported_function("add")(1, 2))
"""

from .api import (
    CoreFeatures,
    FunctionDefinition,
    MemoryDefinition,
    externref,
    f32,
    f64,
    funcref,
    i32,
    i64,
    v128,
)
from .builder import HostModuleBuilder
from .cache import CompilationCache
from .config import ModuleConfig, Mount, RuntimeConfig
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
from .runtime import CompiledModule, Function, Global, Memory, Module, Runtime, Table
from .version import __version__

__all__ = [
    "__version__",
    "Runtime",
    "RuntimeConfig",
    "ModuleConfig",
    "Mount",
    "CompilationCache",
    "CompiledModule",
    "Module",
    "Function",
    "Global",
    "Memory",
    "Table",
    "HostModuleBuilder",
    "FunctionDefinition",
    "MemoryDefinition",
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
