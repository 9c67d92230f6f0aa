"""C++ exceptions lowered through ``invoke_*`` (Emscripten's JavaScript
exception runtime, ``-fexceptions`` with ``DISABLE_EXCEPTION_CATCHING=0``
and no wasm exception-handling proposal), as Emscripten 3.1's
``library_exceptions.js`` defines them.

``__cxa_throw`` fills the ``__cxa_exception`` header the module's
``__cxa_allocate_exception`` put before the thrown object and raises
:class:`CppException`, which unwinds the wasm frames as a longjmp does up to
the nearest ``invoke_*``; that one calls ``setThrew(1, 0)`` and the
module's landing pad asks ``__cxa_find_matching_catch_N`` which of its
catch clauses takes the exception (through the module's own
``__cxa_can_catch``). The state of the runtime (the last exception thrown,
the stack of caught ones, the uncaught count) is per calling instance.

An exception no ``invoke_*`` catches reaches the embedder as a
:class:`CppException` trap naming the thrown type.

The protocol and the header layout are Emscripten 3.1.6's (Debian's, with
which the test program is built); later releases moved parts of this
runtime into libc++abi and changed the header, and are not covered.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from ...errors import Trap, TrapKind
from ...internal.printable import printable
from ...internal.wasm.store import type_id
from ...internal.wasm.types import EXTERN_FUNC, I32, FuncType

__all__ = ["CppException", "cxa_functions", "find_matching_catch", "temp_cell"]

_STATE_KEY = "emscripten.cxa"
_TEMP_KEY = "emscripten.tempRet0"
_U32 = struct.Struct("<I")
# struct __cxa_exception of Emscripten's libc++abi (wasm32), before the
# thrown object: referenceCount, exceptionType, exceptionDestructor, caught
# (u8), rethrown (u8).
_HEADER = 16
_REFCOUNT, _TYPE, _DESTRUCTOR, _CAUGHT, _RETHROWN = 0, 4, 8, 12, 13
# A CatchInfo (malloc'd): the thrown object's base pointer, then the
# pointer adjusted to the type a catch clause names.
_CATCH_INFO_SIZE = 8
_NAME_MAX = 256
# A destructor: (this) -> this, as on ARM.
_DESTRUCTOR_TYPE = type_id(FuncType((I32,), (I32,)))


class CppException(Trap):
    """A C++ exception unwinding the wasm frames to the nearest ``invoke_*``;
    seen by the embedder only when nothing catches it: then it is this trap.

    Attributes:
        ptr: the thrown object's address in the module's memory.
        type_name: the thrown type's (mangled) ``type_info`` name, escaped
            for printing, or None if it could not be read.
    """

    def __init__(self, ptr: int, type_name: str | None = None) -> None:
        what = f" of type {type_name}" if type_name else ""
        # Trap.__init__ without its chain of calls: one is made per throw.
        Exception.__init__(self, f"uncaught C++ exception{what}")
        self.kind = TrapKind.UNREACHABLE
        self.wasm_stack: list[str] = []
        self.ptr = ptr
        self.type_name = type_name


class _State:
    """One calling instance's exception runtime: what it needs of the
    module (looked up once) and the state library_exceptions.js keeps."""

    __slots__ = (
        "memory",
        "table",
        "malloc",
        "free",
        "can_catch",
        "is_pointer_type",
        "set_threw",
        "last",
        "caught",
        "uncaught",
        "names",
    )

    def __init__(self, inst: Any) -> None:
        funcs = {n: e[1] for n, e in inst.exports.items() if e[0] == EXTERN_FUNC}
        names = ("malloc", "free", "__cxa_can_catch", "__cxa_is_pointer_type", "setThrew")
        missing = [n for n in names if n not in funcs]
        if missing or not inst.memories:
            raise Trap(
                TrapKind.UNREACHABLE,
                "C++ exceptions: the module does not export " + ", ".join(missing or ["a memory"]),
            )
        self.memory = inst.memories[0]
        self.table = inst.tables[0].elements if inst.tables else []
        # Function instances: their fn changes when compiled or tiered up.
        # Called by position from here, a Python call of a Python function
        # (no C recursion: the call depth is the recursion limit's, as for
        # wasm calls), not through invoke()'s host round trip.
        self.malloc = funcs["malloc"]
        self.free = funcs["free"]
        self.can_catch = funcs["__cxa_can_catch"]
        self.is_pointer_type = funcs["__cxa_is_pointer_type"]
        self.set_threw = funcs["setThrew"]
        self.last = 0  # exceptionLast: the object being thrown
        self.caught: list[int] = []  # exceptionCaught: CatchInfo pointers
        self.uncaught = 0  # uncaughtExceptionCount
        self.names: dict[int, str | None] = {}  # type_info -> its name

    def load(self, addr: int) -> int:
        data = self.memory.data
        if addr < 0 or addr + 4 > len(data):
            raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS)
        return _U32.unpack_from(data, addr)[0]

    def store(self, addr: int, value: int) -> None:
        data = self.memory.data
        if addr < 0 or addr + 4 > len(data):
            raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS)
        _U32.pack_into(data, addr, value & 0xFFFFFFFF)

    def load8(self, addr: int) -> int:
        data = self.memory.data
        if addr < 0 or addr >= len(data):
            raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS)
        return data[addr]

    def store8(self, addr: int, value: int) -> None:
        data = self.memory.data
        if addr < 0 or addr >= len(data):
            raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS)
        data[addr] = value

    def alloc(self, size: int) -> int:
        ptr = self.malloc.fn(size)
        if not ptr:
            raise Trap(TrapKind.UNREACHABLE, "C++ exceptions: malloc failed")
        return ptr

    # ExceptionInfo: the header before the thrown object at ptr.

    def add_ref(self, ptr: int) -> None:
        self.store(ptr - _HEADER + _REFCOUNT, self.load(ptr - _HEADER + _REFCOUNT) + 1)

    def dec_ref(self, ptr: int) -> None:
        head = ptr - _HEADER
        prev = self.load(head + _REFCOUNT)
        self.store(head + _REFCOUNT, prev - 1)
        # A rethrown exception can reach 0: its next handler takes it again.
        if prev == 1 and not self.load8(head + _RETHROWN):
            destructor = self.load(head + _DESTRUCTOR)
            if destructor:
                self._entry(destructor).fn(ptr)  # returns `this`, as on ARM
            self.free.fn(head)

    def _entry(self, index: int) -> Any:
        table = self.table
        if index >= len(table):
            raise Trap(TrapKind.UNDEFINED_ELEMENT)
        fi = table[index]
        if fi is None:
            raise Trap(TrapKind.UNINITIALIZED_ELEMENT)
        if fi.type_id != _DESTRUCTOR_TYPE:
            raise Trap(TrapKind.INDIRECT_CALL_TYPE_MISMATCH)
        return fi

    # CatchInfo

    def exception_ptr(self, catch_info: int) -> int:
        """The pointer the catch clause receives."""
        base = self.load(catch_info)
        if self.is_pointer_type.fn(self.load(base - _HEADER + _TYPE)):
            return self.load(base)
        return self.load(catch_info + 4) or base

    def throw(self, ptr: int) -> CppException:
        return CppException(ptr, self.type_name(ptr))

    def type_name(self, ptr: int) -> str | None:
        """The thrown type's type_info name (std::type_info: vtable, then
        the name's address), escaped; read once per type_info."""
        try:
            ti = self.load(ptr - _HEADER + _TYPE)
        except Trap:
            return None
        names = self.names
        if ti in names:
            return names[ti]
        name = None
        try:
            addr = self.load(ti + 4) if ti else 0
        except Trap:
            addr = 0
        data = self.memory.data
        if addr and addr < len(data):
            raw = bytes(data[addr : addr + _NAME_MAX])
            name = printable(raw.split(b"\0", 1)[0].decode("utf-8", "replace"))
        if len(names) < 4096:
            names[ti] = name
        return name


def _state(caller: Any) -> _State:
    host_state = caller._inst.sys.host_state
    st = host_state.get(_STATE_KEY)
    if st is None:
        st = host_state[_STATE_KEY] = _State(caller._inst)
    return st


Fn = Callable[[Any, list[Any]], list[Any]]


def cxa_functions() -> dict[str, tuple[Fn, list[str], list[str], list[str]]]:
    """The functions of library_exceptions.js but
    ``__cxa_find_matching_catch_N``, by import name: (function, params,
    results, parameter names)."""

    def allocate_exception(caller: Any, stack: list[Any]) -> list[Any]:
        return [_state(caller).alloc(stack[0] + _HEADER) + _HEADER]

    def free_exception(caller: Any, stack: list[Any]) -> list[Any]:
        st = _state(caller)
        st.free.fn(stack[0] - _HEADER)
        return []

    def increment_refcount(caller: Any, stack: list[Any]) -> list[Any]:
        if stack[0]:
            _state(caller).add_ref(stack[0])
        return []

    def decrement_refcount(caller: Any, stack: list[Any]) -> list[Any]:
        if stack[0]:
            _state(caller).dec_ref(stack[0])
        return []

    def throw(caller: Any, stack: list[Any]) -> list[Any]:
        st = _state(caller)
        ptr, type_, destructor = stack
        head = ptr - _HEADER
        st.store(head + _TYPE, type_)
        st.store(head + _DESTRUCTOR, destructor)
        st.store(head + _REFCOUNT, 0)
        st.store8(head + _CAUGHT, 0)
        st.store8(head + _RETHROWN, 0)
        st.last = ptr
        st.uncaught += 1
        raise st.throw(ptr)

    def rethrow(caller: Any, stack: list[Any]) -> list[Any]:
        st = _state(caller)
        if not st.caught:
            raise Trap(TrapKind.UNREACHABLE, "C++ exceptions: no exception to rethrow")
        catch_info = st.caught.pop()
        ptr = st.load(catch_info)
        head = ptr - _HEADER
        if not st.load8(head + _RETHROWN):
            st.caught.append(catch_info)
            st.store8(head + _RETHROWN, 1)
            st.store8(head + _CAUGHT, 0)
            st.uncaught += 1
        else:
            st.free.fn(catch_info)
        st.last = ptr
        raise st.throw(ptr)

    def begin_catch(caller: Any, stack: list[Any]) -> list[Any]:
        st = _state(caller)
        catch_info = stack[0]
        head = st.load(catch_info) - _HEADER
        if not st.load8(head + _CAUGHT):
            st.store8(head + _CAUGHT, 1)
            st.uncaught -= 1
        st.store8(head + _RETHROWN, 0)
        st.caught.append(catch_info)
        st.add_ref(head + _HEADER)
        return [st.exception_ptr(catch_info)]

    def end_catch(caller: Any, stack: list[Any]) -> list[Any]:
        st = _state(caller)
        st.set_threw.fn(0, 0)
        if not st.caught:
            raise Trap(TrapKind.UNREACHABLE, "C++ exceptions: __cxa_end_catch outside a catch")
        catch_info = st.caught.pop()
        st.dec_ref(st.load(catch_info))
        st.free.fn(catch_info)
        st.last = 0
        return []

    def get_exception_ptr(caller: Any, stack: list[Any]) -> list[Any]:
        return [_state(caller).exception_ptr(stack[0])]

    def uncaught_exceptions(caller: Any, stack: list[Any]) -> list[Any]:
        return [_state(caller).uncaught]

    def call_unexpected(caller: Any, stack: list[Any]) -> list[Any]:
        raise Trap(TrapKind.UNREACHABLE, "C++ exceptions: unexpected exception (std::unexpected)")

    def current_primary_exception(caller: Any, stack: list[Any]) -> list[Any]:
        st = _state(caller)
        if not st.caught:
            return [0]
        ptr = st.load(st.caught[-1])
        st.add_ref(ptr)
        return [ptr]

    def rethrow_primary_exception(caller: Any, stack: list[Any]) -> list[Any]:
        ptr = stack[0]
        if not ptr:
            return []
        st = _state(caller)
        catch_info = st.alloc(_CATCH_INFO_SIZE)
        st.store(catch_info, ptr)
        st.store(catch_info + 4, 0)
        st.caught.append(catch_info)
        st.store8(ptr - _HEADER + _RETHROWN, 1)
        return rethrow(caller, [])

    def resume_exception(caller: Any, stack: list[Any]) -> list[Any]:
        st = _state(caller)
        ptr = st.load(stack[0])
        if not st.last:
            st.last = ptr
        st.free.fn(stack[0])
        raise st.throw(ptr)

    def typeid_for(caller: Any, stack: list[Any]) -> list[Any]:
        return [stack[0]]

    i32 = ["i32"]
    return {
        "__cxa_allocate_exception": (allocate_exception, i32, i32, ["size"]),
        "__cxa_free_exception": (free_exception, i32, [], ["ptr"]),
        "__cxa_increment_exception_refcount": (increment_refcount, i32, [], ["ptr"]),
        "__cxa_decrement_exception_refcount": (decrement_refcount, i32, [], ["ptr"]),
        "__cxa_throw": (throw, ["i32"] * 3, [], ["ptr", "type", "destructor"]),
        "__cxa_rethrow": (rethrow, [], [], []),
        "__cxa_begin_catch": (begin_catch, i32, i32, ["ptr"]),
        "__cxa_end_catch": (end_catch, [], [], []),
        "__cxa_get_exception_ptr": (get_exception_ptr, i32, i32, ["ptr"]),
        "__cxa_uncaught_exceptions": (uncaught_exceptions, [], i32, []),
        "__cxa_call_unexpected": (call_unexpected, i32, [], ["exception"]),
        "__cxa_current_primary_exception": (current_primary_exception, [], i32, []),
        "__cxa_rethrow_primary_exception": (rethrow_primary_exception, i32, [], ["ptr"]),
        "__resumeException": (resume_exception, i32, [], ["catchInfo"]),
        "llvm_eh_typeid_for": (typeid_for, i32, i32, ["type"]),
    }


def temp_cell(inst: Any) -> list[int]:
    """The calling instance's tempRet0 (setTempRet0/getTempRet0: the high
    half of an i64 result, the selector of a landing pad)."""
    cell: list[int] = inst.sys.host_state.setdefault(_TEMP_KEY, [0])
    return cell


def find_matching_catch(caller: Any, stack: list[Any]) -> list[Any]:
    """``__cxa_find_matching_catch_N(types...)``, for any N: a new CatchInfo
    for the exception being thrown, and (in tempRet0, for ``getTempRet0``)
    the type of the first catch clause that takes it, else the thrown type."""
    st = _state(caller)
    temp = temp_cell(caller._inst)
    thrown = st.last
    if not thrown:
        temp[0] = 0
        return [0]
    thrown_type = st.load(thrown - _HEADER + _TYPE)
    catch_info = st.alloc(_CATCH_INFO_SIZE)
    st.store(catch_info, thrown)
    st.store(catch_info + 4, thrown)
    if not thrown_type:
        temp[0] = 0
        return [catch_info]
    for caught_type in stack:
        if caught_type == 0 or caught_type == thrown_type:
            break  # catch (...) or the very type
        if st.can_catch.fn(caught_type, thrown_type, catch_info + 4):
            temp[0] = caught_type
            return [catch_info]
    temp[0] = thrown_type
    return [catch_info]
