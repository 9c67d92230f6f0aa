"""A WebAssembly interpreter over the decoded instruction list.

The compiler engine runs a function here when CPython cannot compile its
translation (wasm loops that are branched to, nested deeper than CPython's
limit of 20 nested loops in one function). It runs in the same instance
namespace as translated code, so it calls and is called by translated
functions directly, and it uses the same definitions: numeric and SIMD
instructions are the templates of ``numeric.semantics``/``numeric.simd``, and
memory accesses the translator's load/store templates, each compiled once
into a small function.

Control flow follows the spec's abstract machine: a value stack, a label
stack (kind, continuation, stack height, arity) and, precomputed once per
function, where each block ends and each ``if`` has its ``else``.
"""

from __future__ import annotations

from typing import Any

from ....errors import Trap, TrapKind
from ...numeric.bits import f32_from_bits, f64_from_bits
from ...wasm.callstack import INTERP_FRAME, current
from ...wasm.instructions import BLOCKTYPE_EMPTY, OP, OPS
from ...wasm.module import Module
from ...wasm.types import EXTERNREF, F32, F64, FUNCREF
from ..limits import FUEL_CELL, out_of_fuel
from ..semantics import LOADS, NARROW, STORES, semantics

_BLOCK, _LOOP, _IF, _ELSE, _END = OP["block"], OP["loop"], OP["if"], OP["else"], OP["end"]

# Instruction kinds of the dispatch loop.
(
    K_NUM,
    K_BLOCK,
    K_LOOP,
    K_IF,
    K_ELSE,
    K_END,
    K_BR,
    K_BR_IF,
    K_BR_TABLE,
    K_RETURN,
    K_CALL,
    K_CALL_INDIRECT,
    K_DROP,
    K_SELECT,
    K_LOCAL_GET,
    K_LOCAL_SET,
    K_LOCAL_TEE,
    K_GLOBAL_GET,
    K_GLOBAL_SET,
    K_CONST,
    K_LOAD,
    K_STORE,
    K_UNREACHABLE,
    K_NOP,
    K_HELPER,
    K_LOOP_COUNTED,
) = range(26)

_SIMPLE = {
    "block": K_BLOCK,
    "loop": K_LOOP,
    "if": K_IF,
    "else": K_ELSE,
    "end": K_END,
    "br": K_BR,
    "br_if": K_BR_IF,
    "br_table": K_BR_TABLE,
    "return": K_RETURN,
    "call": K_CALL,
    "call_indirect": K_CALL_INDIRECT,
    "drop": K_DROP,
    "select": K_SELECT,
    "select_t": K_SELECT,
    "local.get": K_LOCAL_GET,
    "local.set": K_LOCAL_SET,
    "local.tee": K_LOCAL_TEE,
    "global.get": K_GLOBAL_GET,
    "global.set": K_GLOBAL_SET,
    "unreachable": K_UNREACHABLE,
    "nop": K_NOP,
}

# Instructions on tables, memory size and segments: (helper call template over
# the namespace, number of operands, number of results).
_HELPERS = {
    "table.get": ("_tget(T{x}, {0})", 1, 1),
    "table.set": ("_tset(T{x}, {0}, {1})", 2, 0),
    "table.size": ("len(T{x})", 0, 1),
    "table.grow": ("_tgrow({x}, {0}, {1})", 2, 1),
    "table.fill": ("_tfill({x}, {0}, {1}, {2})", 3, 0),
    "table.copy": ("_tcopy({x0}, {x1}, {0}, {1}, {2})", 3, 0),
    "table.init": ("_tinit({x1}, {x0}, {0}, {1}, {2})", 3, 0),
    "elem.drop": ("_edrop({x})", 0, 0),
    "memory.size": ("(len(M) >> 16)", 0, 1),
    "memory.grow": ("_grow({0})", 1, 1),
    "memory.fill": ("_mfill({0}, {1}, {2})", 3, 0),
    "memory.copy": ("_mcopy({0}, {1}, {2})", 3, 0),
    "memory.init": ("_minit({x0}, {0}, {1}, {2})", 3, 0),
    "data.drop": ("_ddrop({x})", 0, 0),
    "ref.null": ("None", 0, 1),
    "ref.is_null": ("(1 if {0} is None else 0)", 1, 1),
    "ref.func": ("F{x}", 0, 1),
}


class Prepared:
    """What one function's interpretation needs, computed once per compiled
    module: the instruction kinds, block ends and else positions."""

    def __init__(
        self,
        module: Module,
        index: int,
        global_modes: list[str],
        func_types: list | None = None,
    ) -> None:
        nimp = module.num_imported_funcs
        code = module.codes[index - nimp]
        self.index = index
        ftypes = module.func_types() if func_types is None else func_types
        self.ft = ftypes[index]
        self.nlocals = len(code.locals)
        self.local_zero = [
            None if t in (FUNCREF, EXTERNREF) else (0.0 if t in (F32, F64) else 0)
            for t in code.locals
        ]
        body = code.body
        n = len(body)
        self.ops: list[tuple[int, Any, Any]] = []  # (kind, immediate, extra)
        types = module.types
        ends: dict[int, int] = {}
        elses: dict[int, int] = {}
        stack: list[int] = []
        for pc in range(n):
            op = body[pc][0]
            if op in (_BLOCK, _LOOP, _IF):
                stack.append(pc)
            elif op == _ELSE:
                elses[stack[-1]] = pc
            elif op == _END and stack:
                ends[stack.pop()] = pc
        self.templates: list[str] = []  # source of the generated helpers
        for pc in range(n):
            op, imm, _ = body[pc]
            info = OPS[op]
            name = info.name
            kind = _SIMPLE.get(name)
            extra: Any = None
            if kind in (K_BLOCK, K_LOOP, K_IF):
                bt = imm
                if bt == BLOCKTYPE_EMPTY:
                    np, nr = 0, 0
                elif bt < 0:
                    np, nr = 0, 1
                else:
                    np, nr = len(types[bt].params), len(types[bt].results)
                extra = (ends[pc], elses.get(pc), np, nr)
            elif kind == K_CALL:
                ft = ftypes[imm]
                extra = (len(ft.params), len(ft.results))
            elif kind == K_CALL_INDIRECT:
                ft = types[imm[0]]
                extra = (len(ft.params), len(ft.results))
            elif kind in (K_GLOBAL_GET, K_GLOBAL_SET):
                extra = global_modes[imm]
            elif kind is None:
                if name.endswith(".const"):
                    kind = K_CONST
                    if name == "f32.const":
                        extra = f32_from_bits(imm)
                    elif name == "f64.const":
                        extra = f64_from_bits(imm)
                    else:
                        extra = imm
                elif name in LOADS:
                    kind = K_LOAD
                    extra = (f"lambda M, a: {LOADS[name].format(a='a')}", imm[1])
                elif name in STORES:
                    kind = K_STORE
                    mask = NARROW.get(name)
                    src = STORES[name].format(a="a", v=f"v & {mask:#x}" if mask else "v")
                    extra = (f"def f(M, a, v):\n    {src}\n", imm[1])
                elif name in _HELPERS:
                    kind = K_HELPER
                    tmpl, nin, nout = _HELPERS[name]
                    x = imm if isinstance(imm, int) else None
                    x0, x1 = imm if isinstance(imm, tuple) else (None, None)
                    body_src = tmpl.format(*"abc"[:nin], x=x, x0=x0, x1=x1)
                    extra = (f"lambda a=None, b=None, c=None: {body_src}", nin, nout)
                else:
                    kind = K_NUM
                    sem = semantics(name)
                    if sem is None:
                        raise AssertionError(f"no semantics for {name}")  # pragma: no cover
                    nin = len(info.sig[0])
                    nout = len(info.sig[1])
                    lane = imm
                    if info.imm in ("memarg", "memarg_lane"):
                        # SIMD memory access: the address is base + offset.
                        lane = imm[2] if len(imm) > 2 else None
                        expr = sem.expr.format(f"(a + {int(imm[1])})", "b", "c", imm=_lit(lane))
                        extra = (f"lambda a, b=None, c=None: {expr}", nin, nout)
                    else:
                        expr = sem.expr.format("a", "b", "c", imm=_lit(lane))
                        extra = (f"lambda a=None, b=None, c=None: {expr}", nin, nout)
            self.ops.append((kind, imm, extra))


def _lit(imm: Any) -> str:
    if imm is None:
        return ""
    if isinstance(imm, tuple):
        return "(" + ", ".join(str(int(x)) for x in imm) + ",)"
    return str(int(imm))


# The code objects of the helper templates (their source is ours: templates
# and numbers), shared by every function interpreted in the process.
_TEMPLATE_CODE: dict[str, Any] = {}
_TEMPLATE_CODE_MAX = 100_000


def interpreted_function(
    prep: Prepared, ns: dict[str, Any], fuel: bool = False, tier: Any = None
) -> Any:
    """A Python function with the wasm function's parameters that interprets
    it in the instance namespace ``ns`` (charging fuel, see engine/limits.py,
    if ``fuel``; counting its calls and loop iterations for ``tier``, see
    engine/tiering.py, if given)."""
    compiled: dict[str, Any] = {}

    def gen(src: str) -> Any:
        fn = compiled.get(src)
        if fn is None:
            code = _TEMPLATE_CODE.get(src)
            if code is None:
                # Our own templates and numbers only; compiled once per process.
                code = compile(src, "<interpreter>", "exec" if src.startswith("def ") else "eval")
                if len(_TEMPLATE_CODE) < _TEMPLATE_CODE_MAX:
                    _TEMPLATE_CODE[src] = code
            if src.startswith("def "):
                scope: dict[str, Any] = {}
                exec(code, ns, scope)  # noqa: S102
                fn = scope["f"]
            else:
                fn = eval(code, ns)  # noqa: S307
            compiled[src] = fn
        return fn

    # Resolve every generated helper once per instance.
    code: list[tuple[int, Any, Any]] = []
    for kind, imm, extra in prep.ops:
        if kind == K_NUM or kind == K_HELPER:
            src, nin, nout = extra
            extra = (gen(src), nin, nout)
        elif kind in (K_LOAD, K_STORE):
            extra = (gen(extra[0]), extra[1])
        elif kind == K_LOOP and (fuel or tier is not None):
            kind = K_LOOP_COUNTED  # a loop header that charges fuel or counts
        code.append((kind, imm, extra))
    nparams = len(prep.ft.params)
    nresults = len(prep.ft.results)
    zeros = prep.local_zero
    end_pc = len(code) - 1

    # An interpreted call uses three Python frames (counted by the recursion
    # limit) and, on CPython 3.11 with more than three arguments, C stack:
    # that takes its cost from the thread's budget (see wasm/callstack.py).
    cost = INTERP_FRAME if nparams > 3 else 0

    def run(*args: Any) -> Any:
        return interpret(args)

    if fuel:  # limits: fuel at function entry
        cell = ns[FUEL_CELL]

        def run_fuel(*args: Any) -> Any:
            cell[0] -= 1
            if cell[0] < 0:
                raise out_of_fuel()
            return run_counted(*args) if cost else interpret(args)

    def run_counted(*args: Any) -> Any:
        st = current()
        left = st.left - cost
        if left < 0:
            raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
        st.left = left
        try:
            return interpret(args)
        finally:
            st.left += cost

    frame_name = (ns.get("__wasmzero__"), prep.index)

    def interpret(args: tuple[Any, ...]) -> Any:
        # Read by instance.wasm_stack for a trap's stack trace (a trap's
        # traceback keeps this frame; nothing else reads it).
        wasm_frame = frame_name  # noqa: F841
        locals_ = list(args[:nparams]) + list(zeros)
        st: list[Any] = []
        # Labels: (is_loop, continuation pc, stack height, branch arity)
        labels: list[tuple[bool, int, int, int]] = [(False, end_pc, 0, nresults)]
        pc = 0
        while True:
            kind, imm, extra = code[pc]
            if kind == K_NUM or kind == K_HELPER:
                fn, nin, nout = extra
                r = _call(fn, st, nin)
                if nout:
                    st.append(r)
            elif kind == K_LOCAL_GET:
                st.append(locals_[imm])
            elif kind == K_LOCAL_SET:
                locals_[imm] = st.pop()
            elif kind == K_LOCAL_TEE:
                locals_[imm] = st[-1]
            elif kind == K_CONST:
                st.append(extra)
            elif kind == K_LOAD:
                fn, off = extra
                st.append(fn(ns["M"], st.pop() + off))
            elif kind == K_STORE:
                fn, off = extra
                v = st.pop()
                fn(ns["M"], st.pop() + off, v)
            elif kind == K_BR_IF:
                if st.pop():
                    pc = _branch(labels, st, imm)
                    continue
            elif kind == K_BR:
                pc = _branch(labels, st, imm)
                continue
            elif kind == K_BLOCK or kind == K_LOOP:
                end, _else, np, nr = extra
                if kind == K_LOOP:
                    labels.append((True, pc + 1, len(st) - np, np))
                else:
                    labels.append((False, end, len(st) - np, nr))
            elif kind == K_IF:
                end, els, np, nr = extra
                if st.pop():
                    labels.append((False, end, len(st) - np, nr))
                elif els is not None:
                    labels.append((False, end, len(st) - np, nr))
                    pc = els
                else:
                    pc = end + 1
                    continue
            elif kind == K_ELSE:
                # The then-arm finished: continue after the matching end.
                pc = labels[-1][1]
                continue
            elif kind == K_END:
                if len(labels) <= 1:
                    break
                labels.pop()
            elif kind == K_BR_TABLE:
                targets, default = imm
                i = st.pop()
                pc = _branch(labels, st, targets[i] if i < len(targets) else default)
                continue
            elif kind == K_RETURN:
                break
            elif kind == K_CALL:
                np, nr = extra
                _push_results(st, _call(ns[f"f{imm}"], st, np), nr)
            elif kind == K_CALL_INDIRECT:
                np, nr = extra
                typeidx, table = imm
                i = st.pop()
                fn = ns["_ci"](ns[f"T{table}"], i, ns[f"TY{typeidx}"])
                _push_results(st, _call(fn, st, np), nr)
            elif kind == K_DROP:
                st.pop()
            elif kind == K_SELECT:
                c = st.pop()
                b = st.pop()
                if not c:
                    st[-1] = b
            elif kind == K_GLOBAL_GET:
                st.append(ns[f"G{imm}"].value if extra == "cell" else ns[f"g{imm}"])
            elif kind == K_GLOBAL_SET:
                if extra == "cell":
                    ns[f"G{imm}"].value = st.pop()
                else:
                    ns[f"g{imm}"] = st.pop()
            elif kind == K_UNREACHABLE:
                raise ns["_trap_unreachable"]()
            elif kind == K_LOOP_COUNTED:
                # A loop header that charges fuel or counts for tiering; its
                # label continues here, so each branch back to it passes
                # here again.
                top = labels[-1]
                back = top[0] and top[1] == pc  # a branch back, not the first entry
                if tier is not None:
                    # this loop's own countdown (its iterations in this instance)
                    left = tier.loop_left.get(pc, tier.threshold) - 1
                    tier.loop_left[pc] = left
                    if left < 0:
                        # Hot: on-stack replacement (engine/osr.py), before
                        # the charge (the translated loop charges it).
                        loop = tier.loop(pc)
                        if loop is not None:
                            if back:
                                labels.pop()
                            pc = _enter_loop(loop, locals_, st, labels)
                            continue
                if fuel:
                    fcell = ns[FUEL_CELL]
                    fcell[0] -= 1
                    if fcell[0] < 0:
                        raise out_of_fuel()
                if not back:
                    labels.append((True, pc, len(st) - extra[2], extra[2]))
            pc += 1
        if nresults == 0:
            return None
        if nresults == 1:
            return st[-1]
        return tuple(st[len(st) - nresults :])

    base = run_fuel if fuel else run_counted if cost else run
    if tier is None:
        return base

    def run_tier(*args: Any) -> Any:
        # Tiering (engine/tiering.py): interpreted until hot, then the
        # translated function (for calls that still reach this one too).
        hot = tier.hot
        if hot is None:
            tier.left -= 1
            if tier.left >= 0:
                return base(*args)
            hot = tier.up()
            if hot is None:
                return base(*args)
        return hot(*args)

    return run_tier


def _enter_loop(loop: Any, locals_: list[Any], st: list[Any], labels: list[Any]) -> int:
    """Run a hot loop's translated code (``loop``, see engine/tiering.py)
    from the interpreter's state, take its results back, and return the pc
    the interpretation goes on from."""
    fn, nparams, nlocals, exits, after = loop
    args = locals_ + st[len(st) - nparams :] if nparams else locals_
    r = fn(*args)
    if type(r) is not tuple:
        r = (r,)
    if nparams:
        del st[len(st) - nparams :]
    locals_[:] = r[1 : 1 + nlocals]
    e = r[0]
    first, count = exits[e]
    if count:
        st.extend(r[first : first + count])
    if e == 0:
        return after  # past the loop's end
    return _branch(labels, st, e - 1)


def _branch(labels: list[tuple[bool, int, int, int]], st: list[Any], n: int) -> int:
    """Branch to label ``n``: keep its arity's values on top of its stack
    height, drop the labels inside it; returns the next pc."""
    is_loop, cont, height, arity = labels[-1 - n]
    if arity:
        vals = st[len(st) - arity :]
        del st[height:]
        st.extend(vals)
    else:
        del st[height:]
    if is_loop:
        del labels[len(labels) - n :]
        return cont
    del labels[len(labels) - 1 - n :]
    if not labels:
        return cont  # the function's end: return
    return cont + 1


def _call(fn: Any, st: list[Any], n: int) -> Any:
    """Call ``fn`` with the top ``n`` values (positional calls for small
    arities: CPython runs those without a C-level recursion)."""
    if n == 0:
        return fn()
    if n == 1:
        return fn(st.pop())
    if n == 2:
        b = st.pop()
        return fn(st.pop(), b)
    if n == 3:
        c = st.pop()
        b = st.pop()
        return fn(st.pop(), b, c)
    args = st[len(st) - n :]
    del st[len(st) - n :]
    return fn(*args)


def _push_results(st: list[Any], r: Any, n: int) -> None:
    if n == 1:
        st.append(r)
    elif n > 1:
        st.extend(r)
