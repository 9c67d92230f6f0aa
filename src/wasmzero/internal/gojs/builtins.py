"""The JavaScript globals a Go program reaches through ``syscall/js``:
``Object``, ``Array``, ``Uint8Array``, ``Error``, ``Date``, ``process``,
``fs`` (see :mod:`.nodefs`), ``path``, ``crypto`` and ``console``, each
backed by the instance's sandboxed system (its :class:`ModuleConfig`).

Nothing reveals the host: the time zone is UTC, the process id is 1, user
and group ids are 0, and ``fs`` sees only the mounts.
"""

from __future__ import annotations

from typing import Any

from ...errors import ExitError
from .values import (
    UNDEFINED,
    JSArray,
    JSClass,
    JSDate,
    JSError,
    JSFunction,
    JSObject,
    JSThrow,
    JSUint8Array,
    is_number,
    js_string,
    to_integer,
    type_error,
)


def _method(obj: JSObject, name: str, fn: Any) -> None:
    obj.props[name] = JSFunction(fn, name)


def _new_array(args: list[Any]) -> JSArray:
    if len(args) == 1 and is_number(args[0]):
        n = to_integer(args[0])
        if n < 0 or n != args[0]:
            raise JSThrow(JSError("Invalid array length", "RangeError"))
        return JSArray([UNDEFINED] * n)
    return JSArray(args)


def _new_uint8array(args: list[Any]) -> JSUint8Array:
    arg = args[0] if args else 0
    if is_number(arg):
        n = to_integer(arg)
        if n < 0 or n > 1 << 31:
            raise JSThrow(JSError("Invalid typed array length: " + js_string(arg), "RangeError"))
        return JSUint8Array(bytearray(n))
    if isinstance(arg, JSUint8Array):
        return JSUint8Array(bytearray(arg.data))
    if isinstance(arg, JSArray):
        return JSUint8Array(bytearray(to_integer(v) & 0xFF for v in arg.items))
    return JSUint8Array(bytearray())


def _new_error(args: list[Any]) -> JSError:
    return JSError(js_string(args[0]) if args and args[0] is not UNDEFINED else "")


def make_globals(sys: Any, fs: JSObject, cwd: Any) -> JSObject:
    """The global object (``globalThis``) for one program. ``cwd`` is the
    file system's working-directory holder (``.cwd`` and ``.chdir``)."""
    g = JSObject()
    g.props["globalThis"] = g
    g.props["Object"] = JSClass("Object", lambda args: JSObject(), JSObject)
    g.props["Array"] = JSClass("Array", _new_array, JSArray)
    g.props["Uint8Array"] = JSClass("Uint8Array", _new_uint8array, JSUint8Array)
    g.props["Error"] = JSClass("Error", _new_error, JSError)

    def new_date(args: list[Any]) -> JSDate:
        if args and is_number(args[0]):
            return JSDate(float(args[0]))
        return JSDate(float(sys.walltime() // 1_000_000))

    g.props["Date"] = JSClass(
        "Date",
        new_date,
        JSDate,
        call=lambda this, args: js_string(new_date([])),
    )
    g.props["fs"] = fs
    g.props["process"] = _process(sys, cwd)
    g.props["crypto"] = _crypto(sys)
    g.props["console"] = _console(sys)
    path = JSObject()
    _method(path, "resolve", lambda this, args: cwd.resolve([js_string(a) for a in args]))
    g.props["path"] = path
    return g


def _process(sys: Any, cwd: Any) -> JSObject:
    p = JSObject({"pid": 1, "ppid": 0, "platform": "js", "argv0": "wasmzero"})
    for name in ("getuid", "getgid", "geteuid", "getegid"):
        _method(p, name, lambda this, args: 0)
    _method(p, "getgroups", lambda this, args: JSArray([0]))
    _method(p, "umask", lambda this, args: 0o022)
    _method(p, "cwd", lambda this, args: cwd.cwd)

    def chdir(this: Any, args: list[Any]) -> Any:
        cwd.chdir(js_string(args[0]) if args else "")
        return UNDEFINED

    def exit_(this: Any, args: list[Any]) -> Any:
        raise ExitError(to_integer(args[0]) if args else 0)

    _method(p, "chdir", chdir)
    _method(p, "exit", exit_)
    return p


def _crypto(sys: Any) -> JSObject:
    c = JSObject()

    def get_random_values(this: Any, args: list[Any]) -> Any:
        buf = args[0] if args else UNDEFINED
        if not isinstance(buf, JSUint8Array):
            raise JSThrow(type_error("getRandomValues: argument is not a Uint8Array"))
        if len(buf.data) > 65536:
            raise JSThrow(JSError("getRandomValues: more than 65536 bytes", "QuotaExceededError"))
        buf.data[:] = sys.random(len(buf.data))
        return buf

    _method(c, "getRandomValues", get_random_values)
    return c


def _console(sys: Any) -> JSObject:
    c = JSObject()

    def writer(stream_name: str) -> Any:
        def log(this: Any, args: list[Any]) -> Any:
            stream = getattr(sys, stream_name)
            if stream is not None:
                stream.write((" ".join(js_string(a) for a in args) + "\n").encode())
            return UNDEFINED

        return log

    for name, stream in (("log", "stdout"), ("info", "stdout"), ("warn", "stderr")):
        _method(c, name, writer(stream))
    _method(c, "error", writer("stderr"))
    return c
