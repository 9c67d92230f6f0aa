"""Translate one WebAssembly function body to Python source.

The operand stack is resolved at translation time: each stack entry is a
Python expression (a constant, a variable, or a pending pure expression over
them), combined into larger expressions as instructions consume it, and
*materialized* into a temporary variable only when needed: before side
effects (stores, calls, global writes) for entries that read memory or
globals or may trap, before a local is overwritten for entries that read it,
and at block boundaries. Values that cross block boundaries live in slot
variables ``s<height>`` named by their stack position.

Generated code contains only numbers and identifiers of our own: ``l<n>``
locals, ``s<n>`` slots, ``t<n>`` temporaries, ``L`` the pending label,
``f<n>`` functions, ``g<n>``/``G<n>`` globals, ``T<n>`` tables, ``M`` memory,
``_...`` helpers. Nothing from the module's bytes (names, strings) is ever
written into it.

See ``passes/structure.py`` for how blocks become Python loops, ``plan.py``
for the analyses run before emitting and ``emit/`` for the emitters.
"""

from __future__ import annotations

from typing import Any

from ...wasm.instructions import OPS, SIMD_PREFIX
from ..context import ModuleContext
from ..limits import charge_lines
from .emit.calls import CallEmitter
from .emit.control import ControlEmitter
from .emit.locals import LocalEmitter
from .emit.memory import MemoryEmitter
from .emit.numeric import NumericEmitter
from .emit.values import _ZERO, Frame, Switch, TranslationLimit, V, ValueEmitter
from .opcodes import _BLOCK, _ELSE, _END, _IF, _LOOP, _MEM_LOADS, _MEM_STORES
from .passes.locals import _STRAIGHT_STOPS
from .passes.structure import KIND_FUNC
from .plan import FunctionPlan, plan_function

__all__ = ["ModuleContext", "TranslationLimit", "Translator", "translate_function"]


class Translator(
    ValueEmitter, MemoryEmitter, ControlEmitter, CallEmitter, LocalEmitter, NumericEmitter
):
    """Translates function ``index`` (in the function index space) of a
    validated module to the source of one Python ``def``."""

    def __init__(self, ctx: ModuleContext, index: int, plan: FunctionPlan | None = None) -> None:
        self.ctx = ctx
        self.index = index
        module = ctx.module
        self.type = ctx.func_types[index]
        code = module.codes[index - ctx.num_imported_funcs]
        self.code = code
        self.local_types = list(self.type.params) + list(code.locals)
        self.lines: list[str] = []
        self.indent = 1
        self.stack: list[V] = []
        self.frames: list[Frame] = []
        self.ntemp = 0
        self.uses_L = False
        self.global_writes: set[int] = set()
        self.forms: list[tuple[str, str]] = []  # address forms (see address())
        self.py_depth = 0  # Python loops currently open
        # Ranges of locals set in straight-line code (see note_range), and
        # under ~x the linear form of an address local x (see note_alias).
        self.facts: dict[int, Any] = {}
        self.aliased = False  # whether an alias was ever noted
        self.virtual: dict[int, V] = {}  # locals set but not assigned (see dead_after)
        self.body: list = []
        self._live: dict[int, int] | None = None  # see live()
        # What the analyses found (plan.py); the emitters only read it.
        self.plan = plan_function(ctx, index) if plan is None else plan

    # -- translation -------------------------------------------------------------

    def translate(self) -> str:
        plan = self.plan
        body = plan.body
        self.ntemp = plan.ntemp  # (the plan named t1 .. t<ntemp>)
        root = Frame(plan.nodes[-1], KIND_FUNC, 0, len(self.type.results), 0)
        root.base_indent = 1
        self.frames.append(root)
        self.switches: list[Switch] = []
        nparams = len(self.type.params)
        assigned = plan.assigned
        for k in range(nparams, len(self.local_types)):
            if k not in assigned:
                t = self.local_types[k]
                self.emit(f"l{k} = {_ZERO.get(t, 'None')}")
        for x in (*self.plan.shadow, *self.plan.spec):
            if x < nparams:
                self.emit(self.shadow_line(x))
            elif x not in assigned:
                self.emit(f"q{x} = 0")
        self.run(body)
        params = ", ".join(f"l{k}" for k in range(nparams))
        head = [f"def f{self.index}({params}):"]
        if self.global_writes:
            head.append("    global " + ", ".join(f"g{g}" for g in sorted(self.global_writes)))
        if self.uses_L:
            head.append("    L = 0")
        if self.ctx.options.fuel and self.ctx.options.entry_charge:  # limits: fuel at entry
            head.extend(charge_lines("    "))
        lines = self.lines
        if self.forms:
            lines = [self.render(x, 1) if "\x00" in x else x for x in lines]
        return "\n".join(head + lines) + "\n"

    def run(self, body: list) -> None:
        self.body = body
        skip = 0  # nesting depth inside unreachable code
        plan = self.plan
        dropped = plan.skip  # the counting tails of `for` loops
        tails = plan.tails
        scans, copies, scan_ends = plan.scans, plan.copies, plan.scan_ends
        # Indices any of those name (few): one test for the others.
        special = set(dropped)
        special.update(tails, scans, copies, scan_ends)
        frames = self.frames
        virtual = self.virtual  # (only ever changed in place)
        handlers = _HANDLERS
        numeric = self.numeric
        stops = _STRAIGHT_STOPS
        nesting = (_BLOCK, _LOOP, _IF)
        for i, (op, imm, _off) in enumerate(body):
            if virtual and (op in stops or i in dropped):
                # Dead here (see dead_after).
                for x, v in virtual.items():
                    if self.live(i, x):
                        self.assign(f"l{x}", v)  # (never: dead_after saw it dead)
                virtual.clear()
            f = frames[-1]
            if f.unreachable:
                if op in nesting:
                    skip += 1
                    continue
                if op == _END:  # end
                    if skip:
                        skip -= 1
                        continue
                    self.op_end()
                    continue
                if op == _ELSE and not skip:  # else
                    self.op_else()
                continue
            if i in special:
                if i in dropped:
                    continue
                if i in tails:
                    if f.node.start == tails[i] and not f.need_guard:
                        f.tail = len(self.lines)
                if i in scans:
                    self.scan_preamble(i)
                elif i in copies:
                    self.copy_preamble(i)
                handler = handlers.get(op)
                if handler is None:
                    numeric(op)
                else:
                    handler(self, i, imm)
                if i in scan_ends:
                    self.indent -= 1  # (the end of the loop in the scan's else)
                continue
            handler = handlers.get(op)
            if handler is None:
                numeric(op)
            else:
                handler(self, i, imm)


def _build_handlers() -> dict:
    t = Translator
    h = {
        "unreachable": t.op_unreachable,
        "nop": t.op_nop,
        "block": t.op_block,
        "loop": t.op_loop,
        "if": t.op_if,
        "else": t.op_else,
        "end": t.op_end,
        "br": t.op_br,
        "br_if": t.op_br_if,
        "br_table": t.op_br_table,
        "return": t.op_return,
        "call": t.op_call,
        "call_indirect": t.op_call_indirect,
        "drop": t.op_drop,
        "select": t.op_select,
        "select_t": t.op_select,
        "local.get": t.op_local_get,
        "local.set": t.op_local_set,
        "local.tee": t.op_local_tee,
        "global.get": t.op_global_get,
        "global.set": t.op_global_set,
        "table.get": t.op_table_get,
        "table.set": t.op_table_set,
        "memory.size": t.op_memory_size,
        "memory.grow": t.op_memory_grow,
        "i32.const": t.op_i_const,
        "i64.const": t.op_i_const,
        "f32.const": t.op_f32_const,
        "f64.const": t.op_f64_const,
        "ref.null": t.op_ref_null,
        "ref.is_null": t.op_ref_is_null,
        "ref.func": t.op_ref_func,
        "memory.init": t.op_memory_init,
        "data.drop": t.op_data_drop,
        "memory.copy": t.op_memory_copy,
        "memory.fill": t.op_memory_fill,
        "table.init": t.op_table_init,
        "elem.drop": t.op_elem_drop,
        "table.copy": t.op_table_copy,
        "table.grow": t.op_table_grow,
        "table.size": t.op_table_size,
        "table.fill": t.op_table_fill,
    }
    out = {OPS_BY_NAME[name]: fn for name, fn in h.items()}
    for op in _MEM_LOADS:
        out[op] = lambda self, i, imm, _op=op: Translator.op_load(self, i, _op, imm)
    for op in _MEM_STORES:
        out[op] = lambda self, i, imm, _op=op: Translator.op_store(self, i, _op, imm)
    for op, info in OPS.items():
        if op >> 8 != SIMD_PREFIX:
            continue
        if info.name == "v128.const":
            out[op] = t.op_v128_const
        elif info.imm in ("memarg", "memarg_lane"):
            out[op] = lambda self, i, imm, _op=op: Translator.op_simd_mem(self, i, _op, imm)
        elif info.imm != "none":
            out[op] = lambda self, i, imm, _op=op: Translator.op_simd(self, i, _op, imm)
    return out


OPS_BY_NAME = {info.name: op for op, info in OPS.items()}


_HANDLERS = _build_handlers()


def translate_function(ctx: ModuleContext, index: int) -> str:
    """Python source of ``def f<index>(...)`` for a defined function."""
    return Translator(ctx, index).translate()
