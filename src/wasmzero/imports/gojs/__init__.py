"""Run Go programs built with ``GOOS=js GOARCH=wasm`` (experimental), as
wazero's ``experimental/gojs`` does.

Such a program imports module ``gojs`` (``go`` before Go 1.21), the functions
Go's ``wasm_exec.js`` implements in JavaScript; this host implements them in
Python with the JavaScript globals Go programs reach through ``syscall/js``
in practice (``process``, ``fs`` over the config's mounts, ``crypto``,
``Date``, ``Object``, ``Array``, ``Uint8Array``, ``Error``, ``console``).
The program sees the same sandboxed system as a WASI program: arguments,
environment, stdio, mounts, clocks and random from its
:class:`~wasmzero.ModuleConfig`.

Ex.::

    import sys
    from wasmzero import ModuleConfig, Runtime
    from wasmzero.imports import gojs

    with Runtime() as rt:
        compiled = rt.compile_module(open("main.wasm", "rb").read())
        config = ModuleConfig(args=("main",), stdout=sys.stdout.buffer).with_sys()
        gojs.run(rt, compiled, config)   # ExitError on a non-zero exit

Notes:
    - ``run`` returns when the program exits; timers are waited for with the
      config's ``nanosleep`` (``with_sys_nanosleep`` for real waiting, else
      the fake clock makes sleeps end at once).
    - A program that asks for a JavaScript global the host does not provide
      sees ``undefined``; using it fails with a JavaScript ``TypeError``
      naming the missing globals (the Go program panics).
    - Stability: experimental, like wazero's; the API may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...config import ModuleConfig
from ...errors import ExitError
from ...internal.gojs.builtins import make_globals
from ...internal.gojs.functions import FUNCTIONS
from ...internal.gojs.nodefs import NodeFS
from ...internal.gojs.state import ARGS_LIMIT, ARGS_OFFSET, GoError, GoState
from ...internal.gojs.values import JSThrow, js_string

if TYPE_CHECKING:
    from ...runtime import CompiledModule, Module, Runtime

__all__ = ["MODULE_NAME", "LEGACY_MODULE_NAME", "GoError", "is_gojs", "instantiate", "run"]

#: The module name Go 1.21 and later import from.
MODULE_NAME = "gojs"
#: The module name of Go 1.20 and earlier.
LEGACY_MODULE_NAME = "go"
_STATE_KEY = "gojs"


def is_gojs(compiled: CompiledModule) -> bool:
    """Whether ``compiled`` is a ``GOOS=js`` program (it imports from
    ``gojs`` or ``go`` and exports ``run``, ``resume`` and ``getsp``)."""
    imports = {d.import_[0] for d in compiled.imported_functions if d.import_}
    exports = compiled.exported_functions
    return bool(imports & {MODULE_NAME, LEGACY_MODULE_NAME}) and {
        "run",
        "resume",
        "getsp",
    } <= set(exports)


def _bind(fn: Any) -> Any:
    def call(caller: Any, stack: list[Any]) -> list[Any]:
        state = caller._inst.sys.host_state.get(_STATE_KEY)
        if state is None:
            raise GoError(1, "gojs: this module was not started by wasmzero.imports.gojs.run")
        fn(state, stack[0])
        return []

    call.__name__ = fn.__name__
    return call


def instantiate(runtime: Runtime, name: str = MODULE_NAME) -> Module:
    """Instantiate the ``gojs`` host module in ``runtime`` under ``name``
    (:data:`LEGACY_MODULE_NAME` for programs built by Go 1.20 or earlier).
    :func:`run` calls it when needed."""
    b = runtime.host_module(name)
    for fname, fn in FUNCTIONS.items():
        b.function(fname, _bind(fn), ["i32"], [], raw=True, param_names=["sp"])
    return b.instantiate()


def _write_args(state: GoState, args: list[bytes], environ: list[bytes]) -> tuple[int, int]:
    """Write argv and the environment as ``wasm_exec.js`` does: strings from
    offset 4096, 8-aligned, then the pointer array; (argc, argv)."""
    mem = state.memory()
    offset = ARGS_OFFSET
    ptrs: list[int] = []

    def put(data: bytes) -> None:
        nonlocal offset
        end = offset + len(data) + 1
        if end > ARGS_LIMIT:
            raise GoError(1, "gojs: command line and environment exceed 8192 bytes")
        ptrs.append(offset)
        mem[offset:end] = data + b"\0"
        offset = (end + 7) & ~7

    for a in args:
        put(a)
    ptrs.append(0)
    for e in sorted(environ):
        put(e)
    ptrs.append(0)
    argv = offset
    if argv + 8 * len(ptrs) > ARGS_LIMIT:
        raise GoError(1, "gojs: command line and environment exceed 8192 bytes")
    for p in ptrs:
        state.set_i64(offset, p)
        offset += 8
    return len(args), argv


def run(runtime: Runtime, compiled: CompiledModule, config: ModuleConfig | None = None) -> Module:
    """Instantiate ``compiled`` (a ``GOOS=js`` program) with ``config`` and
    run it to its end: ``main``, then its timers and callbacks.

    Returns the (closed) module when the program exits with code 0; raises
    :class:`~wasmzero.ExitError` for another exit code (a panic exits with
    2), and its subclass :class:`GoError` when there is more to say: an
    uncaught JavaScript error (exit code 1, as ``node``), or a failure after
    the program asked for JavaScript globals the host does not provide.
    """
    if not is_gojs(compiled):
        raise ValueError("not a GOOS=js program: it must import gojs (or go) and export run")
    for imp in {d.import_[0] for d in compiled.imported_functions if d.import_}:
        if imp in (MODULE_NAME, LEGACY_MODULE_NAME) and runtime.module(imp) is None:
            instantiate(runtime, imp)
    config = (config or ModuleConfig()).replace(start_functions=())
    module = runtime.instantiate_module(compiled, config)
    inst = module._inst
    sys = inst.sys
    if not inst.memories:
        raise GoError(1, "gojs: the program has no memory")
    memories = inst.memories
    fs = NodeFS(sys)
    state = GoState(lambda: memories[0].data, sys, make_globals(sys, fs.js, fs))
    fs.resume = state.resume
    getsp = module.exported_function("getsp")
    resume = module.exported_function("resume")
    start = module.exported_function("run")
    assert getsp is not None and resume is not None and start is not None
    call_getsp = getsp.call_with_stack
    call_resume = resume.call_with_stack
    state.getsp = lambda: call_getsp([])[0]

    def resume_export() -> None:
        call_resume([])

    state.resume_export = resume_export
    sys.host_state[_STATE_KEY] = state
    try:
        argc, argv = _write_args(state, sys.args or [b"js"], sys.environ)
        start.call_with_stack([argc, argv])
        state.event_loop()
    except ExitError as e:
        code = e.exit_code
        fs.close_all()
        module.close(code)
        if code == 0:
            return module
        if state.missing_globals and not isinstance(e, GoError):
            message = f"module closed with exit_code({code}){state.missing_hint()}"
            raise GoError(code, message) from None
        raise
    except JSThrow as e:
        fs.close_all()
        module.close(1)
        raise GoError(1, f"gojs: uncaught JavaScript {js_string(e.value)}") from None
    finally:
        sys.host_state.pop(_STATE_KEY, None)
    fs.close_all()
    module.close(state.exit_code)
    return module
