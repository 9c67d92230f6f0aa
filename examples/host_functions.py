"""Host functions: a Python ``log`` import that reads guest memory through
the calling module, and a raw one for hot paths.

Run from the repository root: ``python examples/host_functions.py``
"""

from pathlib import Path

from wasmzero import Module, Runtime, i32

HERE = Path(__file__).parent


def log(caller: Module, ptr: i32, length: i32) -> None:
    """The first parameter, annotated ``Module``, receives the caller."""
    print("guest says:", caller.memory.read(ptr, length).decode())


with Runtime() as rt:
    rt.host_module("env").function("log", log).instantiate()
    mod = rt.instantiate((HERE / "host_log.wasm").read_bytes())
    mod.exported_function("greet")()
    print(rt.module("env").exported_functions["log"].param_names)
