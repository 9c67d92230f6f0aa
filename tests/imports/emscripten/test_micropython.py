"""A real interpreter built with Emscripten-style setjmp/longjmp runs a
script: MicroPython (testdata/micropython, as the pure-Python peer pwasm
ships it) raises and catches its exceptions with setjmp/longjmp through
invoke_*; its own env functions (host_write, ...) go beside ours in one
builder (export_functions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wasmzero import Runtime, RuntimeConfig
from wasmzero.imports import emscripten

WASM = (Path(__file__).parent / "testdata" / "micropython" / "micropython.wasm").read_bytes()

SCRIPT = """
def dive(n):
    if n == 0:
        raise ValueError("bottom")
    return dive(n - 1)

caught = []
for depth in (1, 5, 20):
    try:
        dive(depth)
    except ValueError as e:
        caught.append((depth, str(e)))
print(caught)
print(sum(i * i for i in range(100)), {k: k * 2 for k in "ab"})
try:
    int("x")
except ValueError:
    print("int failed")
"""


class _Guest:
    def __init__(self, engine: str) -> None:
        self.rt = Runtime(RuntimeConfig(engine=engine))
        self.out: dict[int, bytearray] = {1: bytearray(), 2: bytearray()}
        compiled = self.rt.compile_module(WASM)
        env = self.rt.host_module("env")
        env.function("host_write", self._write, ["i32"] * 3, [], raw=True)
        env.function("host_call", lambda m, s: [0], ["i32"] * 4, ["i32"], raw=True)
        env.function("host_take", lambda m, s: [], ["i32"] * 2, [], raw=True)
        emscripten.export_functions(env, compiled)
        env.instantiate()
        self.mod = self.rt.instantiate_module(compiled)
        self.mod.exported_function("_initialize")()
        assert self.mod.exported_function("mp_sandbox_init")(256 * 1024) == 0

    def _write(self, caller: Any, stack: list[int]) -> list[int]:
        fd, ptr, n = stack
        self.out[1 if fd == 1 else 2].extend(caller.memory.read(ptr, n))
        return []

    def exec(self, code: str) -> tuple[int, str, str]:
        src = code.encode()
        ptr = self.mod.exported_function("malloc")(len(src) + 1)
        self.mod.memory.write(ptr, src + b"\0")
        status = self.mod.exported_function("mp_sandbox_exec")(ptr, len(src))
        self.mod.exported_function("free")(ptr)
        out, err = bytes(self.out[1]).decode(), bytes(self.out[2]).decode()
        self.out[1].clear()
        self.out[2].clear()
        return status, out, err


@pytest.mark.parametrize("engine", ["compiler", "interpreter", "native"])
def test_micropython_runs_a_script_with_exceptions(engine: str) -> None:
    g = _Guest(engine)
    status, out, err = g.exec(SCRIPT)
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "[(1, 'bottom'), (5, 'bottom'), (20, 'bottom')]",
        "328350 {'a': 'aa', 'b': 'bb'}",
        "int failed",
    ]
    # An uncaught exception is reported, and the interpreter goes on.
    status, out, err = g.exec("raise KeyError('gone')")
    assert status != 0 and "KeyError: gone" in err
    assert g.exec("print(6 * 7)") == (0, "42\n", "")
