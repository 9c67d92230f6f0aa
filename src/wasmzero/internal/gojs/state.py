"""The state of one running ``GOOS=js`` program: its JavaScript value table
(with Go's reference counts), its timers and its event loop.

It follows the protocol of Go's ``misc/wasm/wasm_exec.js`` (``lib/wasm`` since
Go 1.24): every import takes Go's stack pointer ``sp`` and finds its
arguments at ``sp + 8``; a JavaScript value crosses as 8 bytes, a float64
for a number other than 0 and NaN, else a NaN box holding a type flag and an
index into the value table; the program is started by its ``run(argc,
argv)`` export and resumed by ``resume()`` for each timer or callback.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

from ...errors import ExitError
from .values import (
    UNDEFINED,
    JSArray,
    JSFunction,
    JSObject,
    JSThrow,
    is_number,
    js_string,
)

_F64 = struct.Struct("<d")
_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")
_I64 = struct.Struct("<q")
_NAN_HEAD = 0x7FF80000

# Keys of the predefined values in the id table (JavaScript's Map compares
# numbers and strings by value, objects by identity).
_ZERO = ("number", 0)
_NULL = ("null",)
_TRUE = ("bool", True)
_FALSE = ("bool", False)

#: Where ``run`` writes argv and the environment, and the most they may use.
ARGS_OFFSET = 4096
ARGS_LIMIT = 4096 + 8192


class GoError(ExitError):
    """A Go program's exit with a message worth printing: an uncaught
    JavaScript exception (exit code 1, as ``node`` exits), a start-up
    failure, or a failure after it asked for globals the host lacks."""


def _key(v: Any) -> Any:
    if v is None:
        return _NULL
    if v is True:
        return _TRUE
    if v is False:
        return _FALSE
    if type(v) is str:
        return v
    if is_number(v) and v == 0:
        return _ZERO
    return id(v)


def _type_flag(v: Any) -> int:
    if type(v) is str:
        return 2
    if isinstance(v, JSFunction):
        return 4
    if isinstance(v, JSObject):
        return 1
    return 0


class GoState:
    """One program's side of the ``gojs`` host.

    ``memory()`` is the guest's linear memory (a ``bytearray``, fetched anew
    on every call since ``memory.grow`` may replace it); ``getsp`` and
    ``resume_export`` call the program's exports.
    """

    def __init__(self, memory: Callable[[], bytearray], sys: Any, global_object: JSObject) -> None:
        self.memory = memory
        self.sys = sys
        self.nanotime: Callable[[], int] = sys.nanotime
        self.walltime: Callable[[], int] = sys.walltime
        self.nanosleep: Callable[[int], None] = sys.nanosleep
        self.random: Callable[[int], bytes] = sys.random
        self.global_object = global_object
        # Globals the program asked for that the host does not provide.
        self.missing_globals: list[str] = []
        go = JSObject()
        go.props["_pendingEvent"] = None
        go.props["_makeFuncWrapper"] = JSFunction(self._make_func_wrapper, "_makeFuncWrapper")
        self.go_object = go
        self.values: list[Any] = [math.nan, 0.0, None, True, False, global_object, go]
        self.refcounts: list[float] = [math.inf] * len(self.values)
        self.ids: dict[Any, int] = {
            _ZERO: 1,
            _NULL: 2,
            _TRUE: 3,
            _FALSE: 4,
            id(global_object): 5,
            id(go): 6,
        }
        self.id_pool: list[int] = []
        self.exited = False
        self.exit_code = 0
        # Timer id -> deadline (nanotime); Go asks for one at a time.
        self.timeouts: dict[int, int] = {}
        self.next_timeout_id = 1
        self.getsp: Callable[[], int] = lambda: 0
        self.resume_export: Callable[[], None] = lambda: None

    # -- memory --------------------------------------------------------

    def get_i64(self, addr: int) -> int:
        return _I64.unpack_from(self.memory(), addr)[0]

    def get_u32(self, addr: int) -> int:
        return _U32.unpack_from(self.memory(), addr)[0]

    def get_i32(self, addr: int) -> int:
        return _I32.unpack_from(self.memory(), addr)[0]

    def set_i64(self, addr: int, v: int) -> None:
        _I64.pack_into(self.memory(), addr, int(v))

    def set_i32(self, addr: int, v: int) -> None:
        _U32.pack_into(self.memory(), addr, int(v) & 0xFFFFFFFF)

    def set_u8(self, addr: int, v: int) -> None:
        self.memory()[addr] = v

    def slice_bounds(self, addr: int) -> tuple[int, int]:
        """(start, end) of the Go slice (pointer, length) at ``addr``."""
        mem = self.memory()
        ptr, n = _I64.unpack_from(mem, addr)[0], _I64.unpack_from(mem, addr + 8)[0]
        if ptr < 0 or n < 0 or ptr + n > len(mem):
            raise JSThrow(JSObject({"message": "slice out of bounds of memory"}))
        return ptr, ptr + n

    def load_string(self, addr: int) -> str:
        start, end = self.slice_bounds(addr)
        return bytes(self.memory()[start:end]).decode("utf-8", "replace")

    def load_value(self, addr: int) -> Any:
        mem = self.memory()
        f = _F64.unpack_from(mem, addr)[0]
        if f == 0:
            return UNDEFINED
        if f == f:
            return f
        ref = _U32.unpack_from(mem, addr)[0]
        values = self.values
        if ref >= len(values):
            raise JSThrow(JSObject({"message": f"invalid JavaScript value reference {ref}"}))
        return values[ref]

    def load_values(self, addr: int) -> list[Any]:
        start, end = self.slice_bounds(addr)
        count = (end - start) if end > start else 0
        return [self.load_value(start + 8 * i) for i in range(count)]

    def store_value(self, addr: int, v: Any) -> None:
        mem = self.memory()
        if is_number(v) and v != 0:
            if v != v:
                _U32.pack_into(mem, addr + 4, _NAN_HEAD)
                _U32.pack_into(mem, addr, 0)
            else:
                _F64.pack_into(mem, addr, float(v))
            return
        if v is UNDEFINED:
            _F64.pack_into(mem, addr, 0.0)
            return
        key = _key(v)
        ref = self.ids.get(key)
        if ref is None:
            if self.id_pool:
                ref = self.id_pool.pop()
                self.values[ref] = v
                self.refcounts[ref] = 0
            else:
                ref = len(self.values)
                self.values.append(v)
                self.refcounts.append(0)
            self.ids[key] = ref
        self.refcounts[ref] += 1
        _U32.pack_into(mem, addr + 4, _NAN_HEAD | _type_flag(v))
        _U32.pack_into(mem, addr, ref)

    def finalize_ref(self, ref: int) -> None:
        if ref >= len(self.refcounts):
            return
        self.refcounts[ref] -= 1
        if self.refcounts[ref] == 0:
            v = self.values[ref]
            self.values[ref] = None
            self.ids.pop(_key(v), None)
            self.id_pool.append(ref)

    def get_global(self, name: str) -> Any:
        v = self.global_object.get(name)
        if v is UNDEFINED and name not in self.missing_globals:
            self.missing_globals.append(name)
        return v

    def missing_hint(self) -> str:
        if not self.missing_globals:
            return ""
        names = ", ".join(repr(n) for n in self.missing_globals)
        return f" (JavaScript globals not provided by the gojs host: {names})"

    def write_fd(self, fd: int, data: bytes) -> None:
        """Write to the program's stdout (1) or stderr (2)."""
        stream = self.sys.stdout if fd == 1 else self.sys.stderr if fd == 2 else None
        if stream is not None:
            stream.write(data)

    # -- events --------------------------------------------------------

    def _make_func_wrapper(self, this: Any, args: list[Any]) -> JSFunction:
        func_id = args[0] if args else UNDEFINED

        def wrapper(this: Any, args: list[Any]) -> Any:
            event = JSObject({"id": func_id, "this": this, "args": JSArray(args)})
            self.go_object.props["_pendingEvent"] = event
            self.resume()
            return event.get("result")

        return JSFunction(wrapper, f"goFunc{js_string(func_id)}")

    def resume(self) -> None:
        if self.exited:
            raise JSThrow(JSObject({"message": "Go program has already exited"}))
        self.resume_export()

    def schedule_timeout(self, delay_ms: int) -> int:
        tid = self.next_timeout_id
        self.next_timeout_id += 1
        self.timeouts[tid] = self.nanotime() + max(delay_ms, 0) * 1_000_000
        return tid

    def clear_timeout(self, tid: int) -> None:
        self.timeouts.pop(tid, None)

    def event_loop(self) -> None:
        """Run timers until the program exits; with nothing left to wait
        for, let Go report its deadlock as ``node`` does."""
        while not self.exited:
            if not self.timeouts:
                self.go_object.props["_pendingEvent"] = JSObject({"id": 0})
                self.resume()
                if not self.exited:  # Go found no deadlock to report
                    return
                continue
            tid = min(self.timeouts, key=lambda t: (self.timeouts[t], t))
            wait = self.timeouts[tid] - self.nanotime()
            if wait > 0:
                self.nanosleep(wait)
            del self.timeouts[tid]
            self.resume()
