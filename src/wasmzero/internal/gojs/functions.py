"""The functions a ``GOOS=js`` program imports from ``gojs`` (``go`` before
Go 1.21), as ``wasm_exec.js`` defines them. Each takes Go's stack pointer;
arguments and results live in the guest's memory at ``sp + 8`` onwards.

Every function is ``fn(state, sp)``; :data:`FUNCTIONS` maps import names to
them. A call that may run Go code again (a callback) re-reads ``sp``
through the ``getsp`` export afterwards, since Go may have moved its stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...errors import ExitError
from .state import GoState
from .values import (
    UNDEFINED,
    JSThrow,
    JSUint8Array,
    call_function,
    construct,
    get_property,
    instance_of,
    js_string,
    length_of,
    set_property,
    type_error,
)


def wasm_exit(st: GoState, sp: int) -> None:
    code = st.get_i32(sp + 8)
    st.exited = True
    st.exit_code = code
    raise ExitError(code)


def wasm_write(st: GoState, sp: int) -> None:
    fd = st.get_i64(sp + 8)
    p = st.get_i64(sp + 16)
    n = st.get_i32(sp + 24)
    mem = st.memory()
    if p < 0 or n < 0 or p + n > len(mem):
        return
    st.write_fd(fd, bytes(mem[p : p + n]))


def reset_memory_data_view(st: GoState, sp: int) -> None:
    # Memory is fetched anew on every access; nothing is cached to reset.
    return None


def nanotime1(st: GoState, sp: int) -> None:
    st.set_i64(sp + 8, st.nanotime())


def walltime(st: GoState, sp: int) -> None:
    ns = st.walltime()
    st.set_i64(sp + 8, ns // 1_000_000_000)
    st.set_i32(sp + 16, ns % 1_000_000_000)


def schedule_timeout_event(st: GoState, sp: int) -> None:
    tid = st.schedule_timeout(st.get_i64(sp + 8))
    st.set_i32(sp + 16, tid)


def clear_timeout_event(st: GoState, sp: int) -> None:
    st.clear_timeout(st.get_i32(sp + 8))


def get_random_data(st: GoState, sp: int) -> None:
    start, end = st.slice_bounds(sp + 8)
    st.memory()[start:end] = st.random(end - start)


def finalize_ref(st: GoState, sp: int) -> None:
    st.finalize_ref(st.get_u32(sp + 8))


def string_val(st: GoState, sp: int) -> None:
    st.store_value(sp + 24, st.load_string(sp + 8))


def value_get(st: GoState, sp: int) -> None:
    target = st.load_value(sp + 8)
    name = st.load_string(sp + 16)
    result = st.get_global(name) if target is st.global_object else get_property(target, name)
    st.store_value(st.getsp() + 32, result)


def value_set(st: GoState, sp: int) -> None:
    set_property(st.load_value(sp + 8), st.load_string(sp + 16), st.load_value(sp + 32))


def value_delete(st: GoState, sp: int) -> None:
    target = st.load_value(sp + 8)
    name = st.load_string(sp + 16)
    if hasattr(target, "delete"):
        target.delete(name)


def value_index(st: GoState, sp: int) -> None:
    target = st.load_value(sp + 8)
    i = st.get_i64(sp + 16)
    get = getattr(target, "get_index", None)
    st.store_value(sp + 24, get(i) if get is not None else get_property(target, str(i)))


def value_set_index(st: GoState, sp: int) -> None:
    target = st.load_value(sp + 8)
    i = st.get_i64(sp + 16)
    v = st.load_value(sp + 24)
    put = getattr(target, "set_index", None)
    if put is None:
        set_property(target, str(i), v)
    else:
        put(i, v)


def _outcome(st: GoState, offset: int, run: Callable[[], Any]) -> None:
    """Store ``run()``'s result and 1 at ``getsp() + offset``, or the thrown
    JavaScript value and 0."""
    try:
        result, ok = run(), 1
    except JSThrow as e:
        result, ok = e.value, 0
    sp = st.getsp()
    st.store_value(sp + offset, result)
    st.set_u8(sp + offset + 8, ok)


def value_call(st: GoState, sp: int) -> None:
    target = st.load_value(sp + 8)
    name = st.load_string(sp + 16)
    args = st.load_values(sp + 32)

    def run() -> Any:
        if target is UNDEFINED or target is None:
            message = f"Cannot read properties of {js_string(target)} (reading '{name}')"
            raise JSThrow(type_error(message + st.missing_hint()))
        fn = get_property(target, name)
        return call_function(fn, target, args, f"{js_string(target)}.{name}")

    _outcome(st, 56, run)


def value_invoke(st: GoState, sp: int) -> None:
    fn = st.load_value(sp + 8)
    args = st.load_values(sp + 16)
    _outcome(st, 40, lambda: call_function(fn, None, args, js_string(fn)))


def value_new(st: GoState, sp: int) -> None:
    cls = st.load_value(sp + 8)
    args = st.load_values(sp + 16)
    _outcome(st, 40, lambda: construct(cls, args))


def value_length(st: GoState, sp: int) -> None:
    st.set_i64(sp + 16, length_of(st.load_value(sp + 8)))


def value_prepare_string(st: GoState, sp: int) -> None:
    data = js_string(st.load_value(sp + 8)).encode("utf-8", "surrogatepass")
    st.store_value(sp + 16, JSUint8Array(bytearray(data)))
    st.set_i64(sp + 24, len(data))


def value_load_string(st: GoState, sp: int) -> None:
    src = st.load_value(sp + 8)
    start, end = st.slice_bounds(sp + 16)
    if isinstance(src, JSUint8Array):
        data = src.data[: end - start]
        st.memory()[start : start + len(data)] = data


def value_instance_of(st: GoState, sp: int) -> None:
    ok = instance_of(st.load_value(sp + 8), st.load_value(sp + 16))
    st.set_u8(sp + 24, 1 if ok else 0)


def copy_bytes_to_go(st: GoState, sp: int) -> None:
    start, end = st.slice_bounds(sp + 8)
    src = st.load_value(sp + 32)
    if not isinstance(src, JSUint8Array):
        st.set_u8(sp + 48, 0)
        return
    data = src.data[: end - start]
    st.memory()[start : start + len(data)] = data
    st.set_i64(sp + 40, len(data))
    st.set_u8(sp + 48, 1)


def copy_bytes_to_js(st: GoState, sp: int) -> None:
    dst = st.load_value(sp + 8)
    start, end = st.slice_bounds(sp + 16)
    if not isinstance(dst, JSUint8Array):
        st.set_u8(sp + 48, 0)
        return
    n = min(len(dst.data), end - start)
    dst.data[:n] = st.memory()[start : start + n]
    st.set_i64(sp + 40, n)
    st.set_u8(sp + 48, 1)


def debug(st: GoState, sp: int) -> None:
    st.write_fd(2, f"{sp}\n".encode())


#: Import name -> function, in ``wasm_exec.js`` order.
FUNCTIONS: dict[str, Callable[[GoState, int], None]] = {
    "runtime.wasmExit": wasm_exit,
    "runtime.wasmWrite": wasm_write,
    "runtime.resetMemoryDataView": reset_memory_data_view,
    "runtime.nanotime1": nanotime1,
    "runtime.walltime": walltime,
    "runtime.scheduleTimeoutEvent": schedule_timeout_event,
    "runtime.clearTimeoutEvent": clear_timeout_event,
    "runtime.getRandomData": get_random_data,
    "syscall/js.finalizeRef": finalize_ref,
    "syscall/js.stringVal": string_val,
    "syscall/js.valueGet": value_get,
    "syscall/js.valueSet": value_set,
    "syscall/js.valueDelete": value_delete,
    "syscall/js.valueIndex": value_index,
    "syscall/js.valueSetIndex": value_set_index,
    "syscall/js.valueCall": value_call,
    "syscall/js.valueInvoke": value_invoke,
    "syscall/js.valueNew": value_new,
    "syscall/js.valueLength": value_length,
    "syscall/js.valuePrepareString": value_prepare_string,
    "syscall/js.valueLoadString": value_load_string,
    "syscall/js.valueInstanceOf": value_instance_of,
    "syscall/js.copyBytesToGo": copy_bytes_to_go,
    "syscall/js.copyBytesToJS": copy_bytes_to_js,
    "debug": debug,
}
