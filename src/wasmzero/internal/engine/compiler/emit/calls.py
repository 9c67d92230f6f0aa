"""The emitter of frames and calls: returns, calls, drop, select and globals."""

from __future__ import annotations

from ...context import global_read
from .values import V, var


class CallEmitter:
    """Frames and calls: returns, calls, drop, select and globals.

    A part of ``Translator`` (translate.py): its methods use the
    translator's state."""

    def return_line(self, vals: list[V] | None = None) -> str:
        n = len(self.type.results)
        if vals is None:
            vals = self.stack[len(self.stack) - n :] if n else []
        if n == 0:
            return "return"
        if n == 1:
            return f"return {vals[0].e}"
        return "return (" + ", ".join(v.e for v in vals) + ")"

    def emit_return(self) -> None:
        self.flush_unsafe()
        self.emit(self.return_line())

    def op_return(self, i: int, imm: object) -> None:
        self.emit_return()
        self.frames[-1].unreachable = True

    def op_unreachable(self, i: int, imm: object) -> None:
        self.flush_unsafe()
        self.emit("raise _trap_unreachable()")
        self.frames[-1].unreachable = True

    def op_nop(self, i: int, imm: object) -> None:
        pass

    # -- calls ------------------------------------------------------------------------

    def call_args(self, n: int) -> str:
        args = self.stack[len(self.stack) - n :] if n else []
        del self.stack[len(self.stack) - n :]
        self.flush_unsafe()
        return ", ".join(a.e for a in args)

    def push_results(self, call: str, n: int) -> None:
        if n == 0:
            self.emit(call)
        elif n == 1:
            t = self.fresh()
            self.emit(f"{t} = {call}")
            self.stack.append(var(t))
        else:
            ts = [self.fresh() for _ in range(n)]
            self.emit(", ".join(ts) + f" = {call}")
            self.stack.extend(var(t) for t in ts)

    def op_call(self, i: int, fidx: int) -> None:
        ft = self.ctx.func_types[fidx]
        args = self.call_args(len(ft.params))
        self.push_results(f"f{fidx}({args})", len(ft.results))

    def op_call_indirect(self, i: int, imm: tuple) -> None:
        typeidx, table = imm
        ft = self.ctx.module.types[typeidx]
        idx = self.pop()
        n = len(ft.params)
        st = self.stack
        for k in range(len(st) - n, len(st)):
            if not st[k].simple:
                st[k] = self.materialize(st[k])
        if not idx.simple:
            idx = self.materialize(idx)
        args = self.call_args(n)
        # Fast path inline; the helper raises the right trap otherwise
        # (undefined element, uninitialized element, type mismatch).
        t = self.fresh()
        tab, x = f"T{table}", idx.e
        # (a try costs nothing in CPython 3.11 until it catches: cheaper
        # than comparing with the table's length)
        self.emit("try:")
        self.indent += 1
        self.emit(f"{t} = {tab}[{x}]")
        self.indent -= 1
        self.emit("except _OOB:")
        self.indent += 1
        self.emit(f"{t} = None")
        self.indent -= 1
        self.emit(f"if {t} is None or {t}.type_id != TY{typeidx}: _ci({tab}, {x}, TY{typeidx})")
        self.push_results(f"{t}.fn({args})", len(ft.results))

    # -- parametric and variables -------------------------------------------------------

    def op_drop(self, i: int, imm: object) -> None:
        v = self.pop()
        if v.unsafe:
            self.flush_unsafe()
            self.emit(v.e)

    def op_select(self, i: int, imm: object) -> None:
        c = self.pop()
        b = self.pop()
        a = self.pop()
        if a.unsafe or b.unsafe or c.unsafe:
            self.flush_unsafe()
            a = self._copy(a) if not a.simple else a
            b = self._copy(b) if not b.simple else b
            c = self._copy(c) if not c.simple else c
        self.push(
            V(
                f"({a.e} if {self.cond_of(c)} else {b.e})",
                a.names | b.names | c.names,
            )
        )

    def op_global_get(self, i: int, x: int) -> None:
        al = self.plan.global_al[x]
        if self.ctx.global_modes[x] == "const":
            self.stack.append(V(f"g{x}", simple=True, al=al))
        else:
            self.stack.append(V(global_read(self.ctx, x), unsafe=True, al=al))

    def op_global_set(self, i: int, x: int) -> None:
        v = self.pop()
        self.flush_unsafe()
        if self.ctx.global_modes[x] == "plain":
            self.global_writes.add(x)
        self.emit(f"{global_read(self.ctx, x)} = {v.e}")
