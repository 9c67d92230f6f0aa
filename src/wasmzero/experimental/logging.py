"""The logging listener: every call printed in wazero's format.

Ex.::

    import sys
    from wasmzero import Runtime, RuntimeConfig
    from wasmzero.experimental.logging import LoggingListenerFactory

    rt = Runtime(RuntimeConfig(listener_factory=LoggingListenerFactory(sys.stderr)))

prints, for a WASI program::

    --> ._start()
        ==> wasi_snapshot_preview1.environ_sizes_get()
        <== (environc=1,environv_len=8,errno=ESUCCESS)
        ==> wasi_snapshot_preview1.fd_write(fd=1,iovs=1024,iovs_len=1)
        <== (nwritten=6,errno=ESUCCESS)
    <-- ()

``-->``/``<--`` are functions defined in wasm (shown only with
``wasm=True``), ``==>``/``<==`` host functions; parameters and results are
named where the definition has names; WASI results are errno names, and the
values WASI wrote through its result pointers are shown after the call;
nested calls are indented by a tab. ``scopes`` filters host functions like
wazero's log scopes: ``all``, ``clock``, ``filesystem``, ``memory``,
``proc``, ``poll``, ``random``, ``sock``. Names taken from a module are
escaped, so a module cannot forge log lines.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from ..internal.printable import printable
from ..internal.wasip1 import errno as _errno
from .listener import FunctionListener

__all__ = ["SCOPES", "LoggingListenerFactory", "scope_of"]

#: The log scopes, as wazero names them.
SCOPES = ("all", "clock", "filesystem", "memory", "proc", "poll", "random", "sock")
_WASI = ("wasi_snapshot_preview1", "wasi_unstable")
# Result pointers read as 64-bit values (the others as 32-bit).
_U64_RESULTS = {"timestamp", "resolution", "newoffset"}
# Result pointers to structures: shown as their bytes in hex.
_STRUCT_SIZES = {"stat": 24, "buf": 64, "prestat": 8}
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


def scope_of(module_name: str, name: str) -> str | None:
    """The log scope of a host function (None outside WASI)."""
    if module_name not in _WASI:
        return None
    if name.startswith("clock_"):
        return "clock"
    if name.startswith(("fd_", "path_")):
        return "filesystem"
    if name.startswith(("args_", "environ_", "proc_", "sched_")):
        return "proc"
    if name == "poll_oneoff":
        return "poll"
    if name == "random_get":
        return "random"
    if name.startswith("sock_"):
        return "sock"
    return "memory"


def _signed(v: Any, t: str) -> Any:
    if t == "i32" and isinstance(v, int) and v & 0x80000000:
        return v - (1 << 32)
    if t == "i64" and isinstance(v, int) and v & (1 << 63):
        return v - (1 << 64)
    return v


class _Depth:
    def __init__(self) -> None:
        self.n = 0


class _Logger(FunctionListener):
    def __init__(self, out: TextIO, host: bool, wasi: bool, depth: _Depth) -> None:
        self.out = out
        self.host = host
        self.wasi = wasi
        self.depth = depth
        self._pending: list[Any] = []  # params of the calls running (they nest)

    def _line(self, text: str) -> None:
        self.out.write("\t" * self.depth.n + text + "\n")

    def before(self, module: Any, definition: Any, params: Any, stack: Any) -> None:
        shown = []
        names = definition.param_names
        for i, (v, t) in enumerate(zip(params, definition.param_types, strict=False)):
            name = names[i] if i < len(names) else ""
            if name.startswith("result."):
                continue  # written by the call: shown after it
            value = _signed(v, t)
            shown.append(f"{printable(name)}={value}" if name else str(value))
        arrow = "==>" if self.host else "-->"
        self._line(f"{arrow} {printable(definition.debug_name)}({','.join(shown)})")
        self.depth.n += 1
        self._pending.append(params)  # for the result pointers, after the call

    def _results(self, module: Any, definition: Any, results: Sequence[Any]) -> str:
        params = self._pending.pop() if self._pending else ()
        parts = []
        if self.wasi:
            errno = results[0] if results else 0
            mem = module.memory if module is not None else None
            for v, name in zip(params, definition.param_names, strict=False):
                if not name.startswith("result."):
                    continue
                short = name[len("result.") :]
                parts.append(f"{short}={self._pointed(mem, short, v) if errno == 0 else ''}")
            if definition.result_names:
                parts.append(f"errno={_errno.errno_name(errno)}")
            if len(parts) == 1 and parts[0].startswith("errno="):
                return parts[0]
            return f"({','.join(parts)})"
        names = definition.result_names
        for i, (v, t) in enumerate(zip(results, definition.result_types, strict=False)):
            name = names[i] if i < len(names) else ""
            value = _signed(v, t)
            parts.append(f"{printable(name)}={value}" if name else str(value))
        return f"({','.join(parts)})"

    @staticmethod
    def _pointed(mem: Any, name: str, ptr: int) -> str:
        if mem is None:
            return "?"
        try:
            if name in _STRUCT_SIZES:
                return mem.read(ptr, _STRUCT_SIZES[name]).hex()
            if name in _U64_RESULTS:
                return str(mem.read_u64(ptr))
            return str(mem.read_u32(ptr))
        except (IndexError, ValueError):
            return "?"

    def after(self, module: Any, definition: Any, results: Any) -> None:
        self.depth.n -= 1
        arrow = "<==" if self.host else "<--"
        self._line(f"{arrow} {self._results(module, definition, results)}")

    def abort(self, module: Any, definition: Any, error: BaseException) -> None:
        # As wazero: an aborted call (a trap, proc_exit) prints no "<==".
        self.depth.n -= 1
        if self._pending:
            self._pending.pop()


class LoggingListenerFactory:
    """A listener factory printing calls to ``out`` (a text stream).

    Args:
        out: where lines go (``sys.stderr`` for the CLI).
        scopes: host function scopes to log (``SCOPES``); ``("all",)`` by
            default.
        wasm: also log the calls of functions defined in wasm.
    """

    def __init__(self, out: TextIO, scopes: Iterable[str] = ("all",), wasm: bool = False) -> None:
        scopes = tuple(scopes)
        bad = [s for s in scopes if s not in SCOPES]
        if bad:
            raise ValueError(f"unknown log scope {bad[0]!r}: use {', '.join(SCOPES)}")
        self.out = out
        self.scopes = frozenset(scopes)
        self.wasm = wasm
        self.depth = _Depth()

    def __call__(self, module_name: str, definition: Any) -> FunctionListener | None:
        if not definition.is_host:
            return _Logger(self.out, False, False, self.depth) if self.wasm else None
        mod = definition.module_name
        scope = scope_of(mod, definition.name)
        if "all" not in self.scopes and (scope is None or scope not in self.scopes):
            return None
        return _Logger(self.out, True, mod in _WASI, self.depth)
