"""The host functions AssemblyScript programs import from ``env``, as
wazero's ``imports/assemblyscript``: ``abort``, ``trace`` and ``seed``.

Ex.::

    from wasmzero import Runtime
    from wasmzero.imports import assemblyscript

    with Runtime() as rt:
        assemblyscript.instantiate(rt)          # module "env"
        mod = rt.instantiate(wasm)

- ``abort(message, fileName, lineNumber, columnNumber)``: writes
  ``message at fileName:line:column`` to the module's stderr (unless
  ``abort_message=False``), then closes the module with exit code 255 (an
  ``ExitError``), as AssemblyScript's WASI shim expects.
- ``trace(message, nArgs, arg0..arg4)``: off by default; ``trace="stdout"``
  or ``"stderr"`` writes ``trace: message arg0,arg1,...``.
- ``seed()``: 8 bytes of the module config's random source, as an f64.

Strings are AssemblyScript's: UTF-16LE, their byte length in the 4 bytes
before the pointer. Programs that import their own functions from ``env``
too can add these to their host module builder with
:func:`export_functions` (wazero's ``FunctionExporter``).
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from ...errors import ExitError

if TYPE_CHECKING:
    from ...builder import HostModuleBuilder
    from ...runtime import Module, Runtime

__all__ = ["MODULE_NAME", "instantiate", "export_functions", "read_string"]

MODULE_NAME = "env"
_U32 = struct.Struct("<I")
_F64 = struct.Struct("<d")
_Q = struct.Struct("<Q")


def read_string(memory: bytearray, ptr: int) -> str | None:
    """The AssemblyScript string at ``ptr``, or None if it is not one
    (out of bounds, odd length)."""
    if ptr < 4 or ptr > len(memory):
        return None
    n = _U32.unpack_from(memory, ptr - 4)[0]
    if n % 2 or ptr + n > len(memory):
        return None
    return bytes(memory[ptr : ptr + n]).decode("utf-16-le", "replace")


def _memory(caller: Any) -> bytearray:
    mems = caller._inst.memories
    return mems[0].data if mems else bytearray()


def _format_float(f: float) -> str:
    """Go's strconv.FormatFloat(f, 'g', -1, 64), as wazero prints."""
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    if f == int(f) and abs(f) < 1e21:
        return str(int(f))
    text = repr(f)
    return text.replace("e-0", "e-").replace("e+0", "e+")


def _abort(message_enabled: bool) -> Any:
    def abort(caller: Any, stack: list[Any]) -> list[Any]:
        if message_enabled:
            stderr = caller._inst.sys.stderr
            mem = _memory(caller)
            msg = read_string(mem, stack[0])
            file = read_string(mem, stack[1])
            if stderr is not None and msg is not None and file is not None:
                line = f"{msg} at {file}:{stack[2]}:{stack[3]}\n"
                stderr.write(line.encode("utf-8", "replace"))
        caller.close(255)
        raise ExitError(255)

    return abort


def _trace(stream: str | None) -> Any:
    def trace(caller: Any, stack: list[Any]) -> list[Any]:
        if stream is None:
            return []
        out = getattr(caller._inst.sys, stream)
        msg = read_string(_memory(caller), stack[0])
        if out is None or msg is None:
            return []  # tracing never fails the program
        n = min(stack[1], 5)
        text = "trace: " + msg
        if n:
            text += " " + ",".join(_format_float(v) for v in stack[2 : 2 + n])
        out.write((text + "\n").encode("utf-8", "replace"))
        return []

    return trace


def _seed(caller: Any, stack: list[Any]) -> list[Any]:
    bits = _Q.unpack(bytes(caller._inst.sys.random(8)))[0]
    return [_F64.unpack(_Q.pack(bits))[0]]


def export_functions(
    builder: HostModuleBuilder, abort_message: bool = True, trace: str | None = None
) -> HostModuleBuilder:
    """Add ``abort``, ``trace`` and ``seed`` to ``builder`` (the embedder's
    own ``env`` module, say). ``trace``: None (off), ``"stdout"`` or
    ``"stderr"``."""
    if trace not in (None, "stdout", "stderr"):
        raise ValueError(f"trace must be None, 'stdout' or 'stderr', got {trace!r}")
    builder.function(
        "abort",
        _abort(abort_message),
        ["i32"] * 4,
        [],
        raw=True,
        param_names=["message", "fileName", "lineNumber", "columnNumber"],
    )
    builder.function(
        "trace",
        _trace(trace),
        ["i32", "i32"] + ["f64"] * 5,
        [],
        raw=True,
        param_names=["message", "nArgs", "arg0", "arg1", "arg2", "arg3", "arg4"],
    )
    builder.function("seed", _seed, [], ["f64"], raw=True, result_names=["rand"])
    return builder


def instantiate(runtime: Runtime, abort_message: bool = True, trace: str | None = None) -> Module:
    """Instantiate the functions as module ``env`` in ``runtime``."""
    return export_functions(runtime.host_module(MODULE_NAME), abort_message, trace).instantiate()
