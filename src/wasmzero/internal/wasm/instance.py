"""Instantiation (linking, globals, segments, start) and the call boundary.

Instantiation follows WebAssembly 2.0: imports are resolved and type-checked,
globals and element expressions evaluated, then active element and data
segments are applied in order and the start function runs. A trap in a
segment or the start function raises; effects before it stay, and the
instance is not registered.

See https://webassembly.github.io/spec/core/exec/modules.html#instantiation
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, NoReturn

from ...errors import LinkError, Trap, TrapKind
from ..numeric.bits import f32_from_bits, f64_from_bits
from ..printable import printable
from .callstack import DEFAULT_MAX_CALL_DEPTH, HOST_FRAME, LOCAL, new_state, run_outermost
from .instructions import OP
from .module import MODE_ACTIVE, MODE_PASSIVE, Instr, Module
from .store import (
    FunctionInstance,
    GlobalInstance,
    MemoryBudget,
    MemoryInstance,
    ModuleInstance,
    Store,
    TableInstance,
)
from .types import (
    EXTERN_FUNC,
    EXTERN_MEMORY,
    EXTERN_NAMES,
    EXTERN_TABLE,
    GlobalType,
    Limits,
    MemoryType,
    TableType,
    limits_match,
    valtype_name,
)

_I32_CONST = OP["i32.const"]
_I64_CONST = OP["i64.const"]
_F32_CONST = OP["f32.const"]
_F64_CONST = OP["f64.const"]
_V128_CONST = OP.get("v128.const", -1)
_REF_NULL = OP["ref.null"]
_REF_FUNC = OP["ref.func"]
_GLOBAL_GET = OP["global.get"]
_END = OP["end"]


def eval_const(expr: list[Instr], inst: ModuleInstance) -> Any:
    """Evaluate a (validated) constant expression."""
    stack: list[Any] = []
    for op, imm, _ in expr:
        if op == _I32_CONST or op == _I64_CONST or op == _V128_CONST:
            stack.append(imm)
        elif op == _F32_CONST:
            stack.append(f32_from_bits(imm))
        elif op == _F64_CONST:
            stack.append(f64_from_bits(imm))
        elif op == _REF_NULL:
            stack.append(None)
        elif op == _REF_FUNC:
            stack.append(inst.functions[imm])
        elif op == _GLOBAL_GET:
            stack.append(inst.globals[imm].value)
        elif op == _END:
            break
    return stack[-1]


def _import_error(imp: Any, msg: str) -> LinkError:
    """A LinkError naming the import (module and field, escaped: they come
    from the module), e.g. ``import func[env.f]: ...``."""
    where = f"{printable(imp.module)}.{printable(imp.name)}"
    return LinkError(f"import {EXTERN_NAMES[imp.kind]}[{where}]: {msg}", imp.module, imp.name)


def resolve_imports(store: Store, module: Module, inst: ModuleInstance) -> None:
    """Link every import to an export of an instance in the store, checking
    kinds and types (``LinkError`` naming the import)."""
    for imp in module.imports:
        source = store.modules.get(imp.module)
        if source is None or source.closed:
            raise _import_error(imp, f"module[{printable(imp.module)}] not instantiated")
        exp = source.exports.get(imp.name)
        if exp is None:
            raise _import_error(imp, f"not exported by module[{printable(imp.module)}]")
        kind, obj = exp
        if kind != imp.kind:
            raise _import_error(imp, f"incompatible import type: export is a {EXTERN_NAMES[kind]}")
        if kind == EXTERN_FUNC:
            want = module.types[imp.desc]
            if obj.type != want:
                raise _import_error(imp, f"signature mismatch: {want} != {obj.type}")
            if obj.bind is not None:
                bound = FunctionInstance(obj.type, obj.bind(inst), obj.module, obj.index, True)
                obj = bound
            inst.functions.append(obj)
        elif kind == EXTERN_TABLE:
            tt: TableType = imp.desc
            actual = Limits(len(obj.elements), obj.max)
            if obj.elem_type != tt.elem_type:
                raise _import_error(
                    imp,
                    f"incompatible import type: element type {valtype_name(obj.elem_type)} "
                    f"!= {valtype_name(tt.elem_type)}",
                )
            if not limits_match(actual, tt.limits):
                raise _import_error(
                    imp, f"incompatible import type: limits {actual} vs {tt.limits}"
                )
            inst.tables.append(obj)
        elif kind == EXTERN_MEMORY:
            mt: MemoryType = imp.desc
            actual = Limits(obj.pages, obj.declared_max)
            if not limits_match(actual, mt.limits):
                raise _import_error(
                    imp, f"incompatible import type: limits {actual} vs {mt.limits}"
                )
            inst.memories.append(obj)
        else:
            gt: GlobalType = imp.desc
            if obj.type != gt:
                raise _import_error(imp, f"incompatible import type: {gt} != {obj.type}")
            inst.globals.append(obj)


def create_definitions(
    module: Module,
    inst: ModuleInstance,
    memory_limit_pages: int,
    stub_factory: Callable[[int], Callable[..., Any]],
    budget: MemoryBudget | None = None,
) -> None:
    """Globals, tables, memories (counted against ``budget``), defined
    functions and exports."""
    types = module.types
    nimp = len(inst.functions)
    for k, tidx in enumerate(module.funcs):
        idx = nimp + k
        inst.functions.append(FunctionInstance(types[tidx], stub_factory(idx), inst, idx, False))
    for g in module.globals:
        inst.globals.append(GlobalInstance(g.type, eval_const(g.init, inst)))
    for tt in module.tables:
        inst.tables.append(TableInstance(tt, None, inst.table_limit))
    for mt in module.memories:
        inst.memories.append(
            MemoryInstance(mt.limits.min, mt.limits.max, memory_limit_pages, budget)
        )
    for e in module.exports:
        obj: Any
        if e.kind == EXTERN_FUNC:
            obj = inst.functions[e.index]
        elif e.kind == EXTERN_TABLE:
            obj = inst.tables[e.index]
        elif e.kind == EXTERN_MEMORY:
            obj = inst.memories[e.index]
        else:
            obj = inst.globals[e.index]
        inst.exports[e.name] = (e.kind, obj)
    inst.func_names = dict(module.names.functions)
    inst.module_name = module.names.module


def init_segments(
    module: Module, inst: ModuleInstance, segments: Any, check_first: bool = False
) -> None:
    """Evaluate element segments, then apply active element and data
    segments in order (traps propagate; earlier effects stay).

    With ``check_first`` (WebAssembly 1.0 semantics) every active segment is
    bounds-checked before any is written, and one that does not fit is a
    ``LinkError`` with no effect at all."""
    if check_first:
        for seg in module.elements:
            if seg.mode == MODE_ACTIVE:
                off = eval_const(seg.offset_expr, inst)
                if off + len(seg.init) > len(inst.tables[seg.table].elements):
                    raise LinkError("elements segment does not fit")
        for seg in module.data:
            if seg.mode == MODE_ACTIVE:
                off = eval_const(seg.offset_expr, inst)
                if off + len(seg.data) > len(inst.memories[seg.memory].data):
                    raise LinkError("data segment does not fit")
    elems = segments.elems
    for seg in module.elements:
        elems.append([eval_const(expr, inst) for expr in seg.init])
    datas = segments.datas
    for seg in module.data:
        datas.append(seg.data)
    for k, seg in enumerate(module.elements):
        if seg.mode == MODE_ACTIVE:
            table = inst.tables[seg.table].elements
            off = eval_const(seg.offset_expr, inst)
            items = elems[k]
            if off + len(items) > len(table):
                raise Trap(TrapKind.TABLE_OUT_OF_BOUNDS)
            table[off : off + len(items)] = items
        if seg.mode != MODE_PASSIVE:
            elems[k] = []  # active and declarative segments are dropped
    for k, seg in enumerate(module.data):
        if seg.mode == MODE_ACTIVE:
            mem = inst.memories[seg.memory].data
            off = eval_const(seg.offset_expr, inst)
            if off + len(seg.data) > len(mem):
                raise Trap(TrapKind.MEMORY_OUT_OF_BOUNDS)
            mem[off : off + len(seg.data)] = seg.data
            datas[k] = b""


# -- the call boundary -----------------------------------------------------------

# Python frames that wasm may use on top of the caller's (the default of
# RuntimeConfig.max_call_depth): a wasm depth of at least 10,000 calls works
# without the caller raising limits.
WASM_STACK_FRAMES = DEFAULT_MAX_CALL_DEPTH
# A RecursionError whose innermost frames are more host frames than this (after
# the last wasm or wasmzero frame) is the host function's own, not the guest's.
HOST_RECURSION_FRAMES = 100


def _internal_frame(tb: Any) -> bool:
    """Whether the innermost frame of a traceback is translated code or one of
    our runtime helpers (not a host function)."""
    while tb.tb_next is not None:
        tb = tb.tb_next
    g = tb.tb_frame.f_globals
    return "__wasmzero__" in g or str(g.get("__name__", "")).startswith("wasmzero.internal")


def _host_recursion(tb: Any) -> bool:
    """Whether a RecursionError comes from a host function recursing on its
    own: more than HOST_RECURSION_FRAMES frames outside wasmzero innermost."""
    run = 0
    while tb is not None:
        g = tb.tb_frame.f_globals
        if "__wasmzero__" in g or str(g.get("__name__", "")).startswith("wasmzero."):
            run = 0
        else:
            run += 1
        tb = tb.tb_next
    return run > HOST_RECURSION_FRAMES


def wasm_stack(tb: Any) -> list[str]:
    """Debug names of the translated frames in a traceback, innermost first."""
    out = []
    while tb is not None:
        frame = tb.tb_frame
        inst = frame.f_globals.get("__wasmzero__")
        name = frame.f_code.co_name
        if inst is not None and name.startswith("f") and name[1:].isdigit():
            out.append(inst.debug_name(int(name[1:])))
        elif name == "native_call":
            # The native engine's entry: the native frames below it.
            for owner, index in frame.f_locals.get("native_trace") or ():
                out.append(owner.debug_name(index))
        elif name == "interpret":
            # The interpreter engine's frame of one wasm function.
            marker = frame.f_locals.get("wasm_frame")
            if type(marker) is tuple and marker[0] is not None:
                out.append(marker[0].debug_name(marker[1]))
        tb = tb.tb_next
    out.reverse()
    return out


def _exhausted() -> NoReturn:
    raise Trap(TrapKind.CALL_STACK_EXHAUSTED)


def invoke(fn: Callable[..., Any], args: Any, max_depth: int = DEFAULT_MAX_CALL_DEPTH) -> Any:
    """Call a function instance's ``fn`` from Python, turning the failures of
    translated code into traps.

    The call state is the calling thread's (``callstack.current()``). The
    outermost call of a thread gives wasm ``max_depth`` Python frames and the
    thread's C stack budget (see ``callstack.run_outermost``); a nested call
    (wasm -> host -> wasm) takes a host round trip's C stack from that budget
    and traps with CALL_STACK_EXHAUSTED when it is spent.
    """
    try:
        st = LOCAL.s
    except AttributeError:
        st = new_state()
    if not st.depth:
        return run_outermost(st, fn, args, max_depth, _on_failure)
    left = st.left - HOST_FRAME
    if left < 0:
        _exhausted()
    st.left = left
    st.depth += 1
    try:
        return fn(*args)
    except _FAILURES as e:
        _raise_as_trap(e)
    finally:
        st.left += HOST_FRAME
        st.depth -= 1


def _on_failure(e: BaseException) -> None:
    if isinstance(e, _FAILURES):
        _raise_as_trap(e)


# What translated code raises for a trap (see _as_trap).
_FAILURES = (Trap, RecursionError, IndexError, struct.error, ZeroDivisionError)


def _raise_as_trap(e: BaseException) -> NoReturn:
    trap = _as_trap(e)
    if trap is e:
        raise e
    raise trap from None


def _as_trap(e: BaseException) -> BaseException:
    """The trap that a failure inside translated code stands for (the
    exception itself when it is not ours: a host function's own error)."""
    if isinstance(e, Trap):
        if not e.wasm_stack:
            e.wasm_stack = wasm_stack(e.__traceback__)
        return e
    if isinstance(e, RecursionError):
        if _host_recursion(e.__traceback__):
            return e
        trap = Trap(TrapKind.CALL_STACK_EXHAUSTED)
        trap.wasm_stack = wasm_stack(e.__traceback__)[:20]
        return trap
    if not _internal_frame(e.__traceback__):
        return e
    kind = (
        TrapKind.INTEGER_DIVIDE_BY_ZERO
        if isinstance(e, ZeroDivisionError)
        else TrapKind.MEMORY_OUT_OF_BOUNDS
    )
    trap = Trap(kind)
    trap.wasm_stack = wasm_stack(e.__traceback__)
    return trap
