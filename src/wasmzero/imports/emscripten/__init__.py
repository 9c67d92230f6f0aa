"""The host functions Emscripten programs import from ``env`` that mean
something without JavaScript, as wazero's ``imports/emscripten``: above
all the ``invoke_*`` trampolines of setjmp/longjmp (and of C++ exceptions
lowered without the exception-handling proposal).

Ex.::

    from wasmzero import Runtime
    from wasmzero.imports import emscripten, wasi_snapshot_preview1 as wasi

    with Runtime() as rt:
        wasi.instantiate(rt)
        compiled = rt.compile_module(wasm)
        emscripten.instantiate_for_module(rt, compiled)   # module "env"
        rt.instantiate_module(compiled)

A function that calls ``setjmp`` makes each of its calls through an
imported ``invoke_<sig>(index, args...)``, which calls entry ``index`` of
the module's function table. ``longjmp`` ends in
``_emscripten_throw_longjmp``, which unwinds the wasm frames (a Python
exception, :class:`LongjmpUnwind`) up to the nearest ``invoke_*``; that one
restores the stack pointer (the module's ``stackRestore``) and calls the
module's ``setThrew(1, 0)``, and the caller's code finds its ``setjmp``.
The ``invoke_*`` functions are made from the signatures the module
declares, none hard-coded.

C++ exceptions (``-fexceptions`` without the exception-handling proposal)
go the same way: ``__cxa_throw`` and the rest of Emscripten's JavaScript
exception runtime are in :mod:`.cxa`, and a throw unwinds to the nearest
``invoke_*`` as a :class:`CppException`. A program built for JavaScript
(``main`` and ``__wasm_call_ctors``, no ``_start``) runs with
:func:`call_main`.

A longjmp with no ``invoke_*`` frame to stop it is a :class:`LongjmpUnwind`
trap, an uncaught C++ exception a :class:`CppException` trap; an
``invoke_*`` whose signature no function of the module could have is a
:class:`~wasmzero.LinkError` at instantiation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ...errors import LinkError, Trap, TrapKind
from ...internal.engine.namespace import _ci
from ...internal.wasm.store import type_id
from ...internal.wasm.types import EXTERN_FUNC, F32, F64, I32, I64, FuncType, valtype_name
from .cxa import CppException, cxa_functions, find_matching_catch, temp_cell

if TYPE_CHECKING:
    from ...builder import HostModuleBuilder
    from ...runtime import CompiledModule, Module, Runtime

__all__ = [
    "MODULE_NAME",
    "LongjmpUnwind",
    "CppException",
    "call_main",
    "instantiate_for_module",
    "export_functions",
]

MODULE_NAME = "env"
_SIG_LETTERS = {"v": None, "i": I32, "j": I64, "f": F32, "d": F64}
_STATE_KEY = "emscripten"


class LongjmpUnwind(Trap):
    """A ``longjmp`` unwinding the wasm frames to the nearest ``invoke_*``
    (C++ exceptions unwind the same way, as :class:`CppException`); seen by
    the embedder only when there is none: then it is this trap."""

    def __init__(self) -> None:
        # Trap.__init__ without its chain of calls: one is made per longjmp.
        Exception.__init__(self, "longjmp with no setjmp to return to (no invoke_* frame)")
        self.kind = TrapKind.UNREACHABLE
        self.wasm_stack: list[str] = []


class _Caller:
    """What the trampolines need of one calling instance, looked up once:
    the table, and the function instances of the exports (whose ``fn`` is
    read at each call: it changes when a function is compiled lazily or
    tiered up)."""

    __slots__ = ("table", "stack_save", "stack_restore", "set_threw")

    def __init__(self, inst: Any) -> None:
        funcs = {n: e[1] for n, e in inst.exports.items() if e[0] == EXTERN_FUNC}
        # Emscripten names them stackSave/stackRestore; some builds export
        # stack_save/stack_restore.
        save = funcs.get("stackSave") or funcs.get("stack_save")
        restore = funcs.get("stackRestore") or funcs.get("stack_restore")
        threw = funcs.get("setThrew")
        if save is None or restore is None or threw is None or not inst.tables:
            what = [
                n
                for n, f in (("stackSave", save), ("stackRestore", restore), ("setThrew", threw))
                if f is None
            ]
            raise Trap(
                TrapKind.UNREACHABLE,
                f"invoke_*: the module does not export {', '.join(what) or 'a function table'}",
            )
        self.table = inst.tables[0].elements
        self.stack_save = save
        self.stack_restore = restore
        self.set_threw = threw


def _caller_state(caller: Any) -> _Caller:
    return _state_of(caller._inst)


def _state_of(inst: Any) -> _Caller:
    st = inst.sys.host_state.get(_STATE_KEY)
    if st is None:
        st = inst.sys.host_state[_STATE_KEY] = _Caller(inst)
    return st


# The trampoline of one invoke_* for one calling instance, in the engines'
# calling convention (raw arguments by position; None or the raw result):
# one Python frame between the caller's and the callee's, no argument list,
# no per-call lookups but the table entry, so that an invoke costs little
# more than a call_indirect. Made from the arity alone (no text of the
# module), one template per arity.
_TEMPLATE = """
def bind(inst):
    st = None

    def invoke(index{params}):
        nonlocal st
        if st is None:
            st = state_of(inst)
        try:
            fi = st.table[index]
        except IndexError:
            fi = None
        if fi is None or fi.type_id != tid:
            fn = check(st.table, index, tid)
        else:
            fn = fi.fn
        sp = st.stack_save.fn()
        try:
            return fn({args})
        except UNWIND:
            st.stack_restore.fn(sp)
            st.set_threw.fn(1, 0)
            return zero

    return invoke
"""
_UNWIND = (LongjmpUnwind, CppException)


def _invoke_binder(callee: FuncType) -> Callable[[Any], Callable[..., Any]]:
    """``bind(importer)`` for an ``invoke_*`` calling table entries of type
    ``callee``."""
    n = len(callee.params)
    args = ", ".join(f"a{i}" for i in range(n))
    ns: dict[str, Any] = {
        "state_of": _state_of,
        "check": _ci,
        "tid": type_id(callee),
        "UNWIND": _UNWIND,
        "zero": None if not callee.results else 0.0 if callee.results[0] in (F32, F64) else 0,
    }
    exec(_TEMPLATE.format(params=", " + args if n else "", args=args), ns)  # noqa: S102
    return ns["bind"]


# The hot fixed functions, bound to the calling instance (tempRet0 is
# per instance, as in Emscripten's JavaScript).


def _bind_throw_longjmp(inst: Any) -> Callable[[], None]:
    def _emscripten_throw_longjmp() -> None:
        raise LongjmpUnwind()

    return _emscripten_throw_longjmp


def _bind_set_temp(inst: Any) -> Callable[[int], None]:
    cell = temp_cell(inst)

    def setTempRet0(value: int) -> None:  # noqa: N802 - Emscripten's name
        cell[0] = value

    return setTempRet0


def _bind_get_temp(inst: Any) -> Callable[[], int]:
    cell = temp_cell(inst)

    def getTempRet0() -> int:  # noqa: N802 - Emscripten's name
        return cell[0]

    return getTempRet0


_BOUND: dict[str, tuple[Callable[[Any], Callable[..., Any]], list[str], list[str], list[str]]] = {
    "_emscripten_throw_longjmp": (_bind_throw_longjmp, [], [], []),
    "setTempRet0": (_bind_set_temp, ["i32"], [], ["value"]),
    "getTempRet0": (_bind_get_temp, [], ["i32"], []),
}


def _emscripten_longjmp(caller: Any, stack: list[Any]) -> list[Any]:
    # Older Emscripten: longjmp(env, value) imported directly; the module's
    # own code has already recorded the target through setThrew's protocol.
    st = _caller_state(caller)
    st.set_threw.fn(stack[0], stack[1] or 1)
    raise LongjmpUnwind()


def _memcpy_big(caller: Any, stack: list[Any]) -> list[Any]:
    dest, src, num = stack
    mems = caller._inst.memories
    data = mems[0].data if mems else bytearray()
    if dest + num > len(data) or src + num > len(data):
        raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS)
    data[dest : dest + num] = data[src : src + num]
    return [dest]


def _resize_heap(caller: Any, stack: list[Any]) -> list[Any]:
    # As Emscripten's emscripten_resize_heap with ALLOW_MEMORY_GROWTH: grow
    # to at least requestedSize bytes, by 20% more when it can (then less).
    mems = caller._inst.memories
    if not mems:
        return [0]
    mem = mems[0]
    old = len(mem.data)
    want = stack[0]
    if want <= old:
        return [1]
    for cut_down in (1, 2, 4):
        over = min(int(old * (1 + 0.2 / cut_down)), want + 100663296)
        pages = (max(want, over) + 0xFFFF) >> 16
        if mem.grow(pages - (old >> 16)) != -1:
            return [1]
    return [0]


def _abort(caller: Any, stack: list[Any]) -> list[Any]:
    raise Trap(TrapKind.UNREACHABLE, "the program called abort()")


def _check_signature(name: str, params: Sequence[int], results: Sequence[int], types: Any) -> None:
    sig = name[len("invoke_") :]
    if not sig or any(c not in _SIG_LETTERS for c in sig):
        raise LinkError(f"import func[env.{name}]: not an Emscripten invoke signature", "env", name)
    want_results = [] if sig[0] == "v" else [_SIG_LETTERS[sig[0]]]
    want_params = [I32] + [_SIG_LETTERS[c] for c in sig[1:]]
    if list(params) != want_params or list(results) != want_results:
        declared = "(" + ", ".join(valtype_name(t) for t in params) + ")"
        raise LinkError(
            f"import func[env.{name}]: declared {declared} -> "
            f"({', '.join(valtype_name(t) for t in results)}), but its name says ({sig})",
            "env",
            name,
        )
    callee = (tuple(params[1:]), tuple(results))
    if callee not in types:
        raise LinkError(
            f"import func[env.{name}]: no function of the module has the type it calls "
            f"({', '.join(valtype_name(t) for t in callee[0])}) -> "
            f"({', '.join(valtype_name(t) for t in callee[1])})",
            "env",
            name,
        )


def export_functions(builder: HostModuleBuilder, compiled: CompiledModule) -> HostModuleBuilder:
    """Add to ``builder`` (an ``env`` host module builder, possibly the
    embedder's own) every function ``compiled`` imports from ``env`` that
    this host defines: each ``invoke_*`` with the signature the module
    declares, ``_emscripten_throw_longjmp``, ``emscripten_longjmp``,
    ``setTempRet0``/``getTempRet0``, ``emscripten_notify_memory_growth``,
    ``emscripten_memcpy_big``, ``emscripten_resize_heap``, ``abort``, and
    the C++ exception runtime (``__cxa_throw``, each
    ``__cxa_find_matching_catch_N``, ``__resumeException``, ...: see
    :mod:`.cxa`). Raises ``LinkError`` for an ``invoke_*`` or a
    ``__cxa_find_matching_catch_N`` that cannot work."""
    module = compiled._module
    types = {(t.params, t.results) for t in module.func_types()}
    fixed: dict[str, tuple[Callable[..., Any], list[str], list[str], list[str]]] = {
        "emscripten_longjmp": (_emscripten_longjmp, ["i32", "i32"], [], ["env", "value"]),
        "emscripten_notify_memory_growth": (lambda c, s: [], ["i32"], [], ["memoryIndex"]),
        "emscripten_memcpy_big": (_memcpy_big, ["i32"] * 3, ["i32"], ["dest", "src", "num"]),
        "emscripten_resize_heap": (_resize_heap, ["i32"], ["i32"], ["requestedSize"]),
        "abort": (_abort, [], [], []),
        **cxa_functions(),
    }
    for d in compiled.imported_functions:
        if not d.import_ or d.import_[0] != MODULE_NAME:
            continue
        name = d.import_[1]
        if name.startswith("invoke_"):
            params = [_type(t) for t in d.param_types]
            results = [_type(t) for t in d.result_types]
            _check_signature(name, params, results, types)
            builder._function_binder(
                name,
                _invoke_binder(FuncType(tuple(params[1:]), tuple(results))),
                d.param_types,
                d.result_types,
                param_names=["index"] + [f"a{i}" for i in range(1, len(params))],
            )
        elif name.startswith("__cxa_find_matching_catch_"):
            n = name[len("__cxa_find_matching_catch_") :]
            if (
                not n.isdigit()
                or int(n) != len(d.param_types) + 2
                or set(d.param_types) - {"i32"}
                or list(d.result_types) != ["i32"]
            ):
                raise LinkError(
                    f"import func[env.{name}]: not an Emscripten catch-clause matcher "
                    "(__cxa_find_matching_catch_N takes N-2 i32 types and returns an i32)",
                    "env",
                    name,
                )
            builder.function(
                name,
                find_matching_catch,
                d.param_types,
                d.result_types,
                raw=True,
                param_names=[f"type{i}" for i in range(len(d.param_types))],
            )
        elif name in _BOUND:
            binder, ps, rs, names = _BOUND[name]
            builder._function_binder(name, binder, ps, rs, param_names=names)
        elif name in fixed:
            fn, ps, rs, names = fixed[name]
            builder.function(name, fn, ps, rs, raw=True, param_names=names)
    return builder


def _type(name: str) -> int:
    return {"i32": I32, "i64": I64, "f32": F32, "f64": F64}[name]


def instantiate_for_module(runtime: Runtime, compiled: CompiledModule) -> Module:
    """Instantiate ``env`` with what ``compiled`` imports from it (see
    :func:`export_functions`), as wazero's ``InstantiateForModule``."""
    return export_functions(runtime.host_module(MODULE_NAME), compiled).instantiate()


def call_main(module: Module, args: Sequence[str | bytes] | None = None) -> int:
    """Run the ``main`` of a program Emscripten built for JavaScript (no
    ``_start``: its ``.js`` file would run it), as that file's ``callMain``
    does: ``__wasm_call_ctors``, then ``main(argc, argv)`` with the
    arguments (``args``, else the module config's) copied onto the
    program's stack (its ``stackAlloc``). Returns main's result, the exit
    status; ``exit()`` inside raises :class:`~wasmzero.ExitError` as usual.
    """
    funcs = module.exported_functions
    name = "main" if "main" in funcs else "__main_argc_argv"
    main = module.exported_function(name)
    if main is None:
        raise ValueError("the module exports no main (nor __main_argc_argv)")
    inst = module._inst
    if args is None:
        argv = list(inst.sys.args)
    else:
        argv = [a.encode("utf-8") if isinstance(a, str) else bytes(a) for a in args]
    if "__wasm_call_ctors" in funcs:
        module.exported_function("__wasm_call_ctors")()
    if len(funcs[name].param_types) != 2:
        return _status(main())
    if "stackAlloc" not in funcs or not inst.memories:
        raise Trap(
            TrapKind.UNREACHABLE, "main takes (argc, argv) but the module exports no stackAlloc"
        )
    alloc = module.exported_function("stackAlloc")
    mem = inst.memories[0].data
    pointers = []
    for a in argv:
        pointers.append(_put(mem, alloc(len(a) + 1), a + b"\0"))
    table = alloc(4 * (len(pointers) + 1))
    _put(mem, table, b"".join(p.to_bytes(4, "little") for p in [*pointers, 0]))
    return _status(main(len(pointers), table))


def _put(mem: bytearray, ptr: int, data: bytes) -> int:
    if ptr + len(data) > len(mem):  # never past the end: that would grow it
        raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS)
    mem[ptr : ptr + len(data)] = data
    return ptr


def _status(result: Any) -> int:
    return 0 if result is None else result & 0xFF
