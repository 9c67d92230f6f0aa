"""The emitter of memory and table access: addresses, typed views, checked shadows, loads
and stores, bulk memory, and the byte-loop preambles.
"""

from __future__ import annotations

from ....wasm.instructions import OPS
from ...semantics import LOADS, NARROW, STORES, semantics
from ..opcodes import (
    _F32_LOAD,
    _F32_STORE,
    _I32_LOAD8_U,
    _I32_LOAD16_U,
    _I64_LOAD8_U,
    _I64_LOAD16_U,
    _I64_LOAD32_U,
)
from ..views import _VIEWS
from .facts import _RAW_BITS
from .values import _NO_NAMES, V, _balanced_outer, _literal, _local_index, var

# Upper bounds of narrow unsigned loads: i32/i64 load8_u, load16_u, i64.load32_u.
_LOAD_HI = {
    _I32_LOAD8_U: 0xFF,
    _I64_LOAD8_U: 0xFF,
    _I32_LOAD16_U: 0xFFFF,
    _I64_LOAD16_U: 0xFFFF,
    _I64_LOAD32_U: 0xFFFFFFFF,
}


def _offset(e: str, off: int) -> str:
    """Address expression ``e`` plus a memarg offset (never wrapped: the
    effective address is a 33-bit sum)."""
    return f"{e} + {off}" if off else e


def _const_view(op: int, a: V, off: int) -> str | None:
    """``MVx[k]`` for an access at a constant address aligned to its size
    (C globals, constant tables): a view index costs about a third of a
    ``struct`` call."""
    view = _VIEWS.get(op)
    if view is None or not a.e.isdigit():
        return None
    addr = int(a.e) + off
    if addr % view[1]:
        return None
    return f"{view[0]}[{addr // view[1]}]"


class MemoryEmitter:
    """Memory and table access: addresses, typed views, checked shadows, loads
    and stores, bulk memory, and the byte-loop preambles.

    A part of ``Translator`` (translate.py): its methods use the
    translator's state."""

    def address(self, a: V, off: int) -> str:
        """The effective address of a load or store of ``a`` + ``off``.

        An address that is a sum of exact values (``p + i``, ``p + (i << 2)``,
        ``p + 16``) wraps only when an operand is a "negative" i32, which
        compilers rarely emit this way. So it is given in two forms: unwrapped
        (beyond 2**32 - 1 it is out of range for the bytearray, which raises)
        and wrapped; ``emit`` uses the first in a ``try`` and repeats the
        statement with the second in the ``except`` (a statement without side
        effects before its accesses: no calls). Elsewhere the wrapped form.
        """
        if a.raw is None or not a.rsafe:
            return _offset(a.e, off)
        self.forms.append((_offset(a.raw, off), _offset(a.e, off)))
        return f"\x00{len(self.forms) - 1}\x00"

    def aligned_view(self, op: int, a: V, off: int) -> str | None:
        """``MVx[address >> k]`` for an access whose address is known to be
        aligned to its size (a view never reads across the end of memory:
        its length is a multiple of the page size)."""
        view = _VIEWS.get(op)
        if view is None:
            return None
        name, size = view
        shift = size.bit_length() - 1
        if a.al < shift or off & (size - 1):
            return None
        if self.plan.shadow.get(_local_index(a.e)) == shift:
            # l + off, exact (a memarg offset does not wrap), from l's shadow
            return f"{name}[q{a.e[1:]} + {off >> shift}]" if off else f"{name}[q{a.e[1:]}]"
        lin = a.lin if a.raw is not None and a.rsafe else self.alias_of(a)
        if lin is not None:
            index = self.shadow_index(lin, off, shift)
            if index is not None and a.raw is not None and a.hi is not None and a.lo >= 0:
                return f"{name}[{index}]"  # (an exact sum: its bounds say it does not wrap)
            if index is not None:
                # The unwrapped form, tried first (see address()).
                self.forms.append((index, f"({_offset(a.e, off)}) >> {shift}"))
                return f"{name}[\x00{len(self.forms) - 1}\x00]"
        addr = self.address(a, off)
        if not addr.isidentifier():
            addr = f"({addr})"
        return f"{name}[{addr} >> {shift}]"

    def alias_of(self, a: V) -> tuple[tuple[tuple[str, int, int], ...], int] | None:
        """The sum a local ``a`` is an alias of (see note_alias), if any."""
        x = _local_index(a.e) if a.simple else None
        return None if x is None else self.facts.get(~x)

    def shadow_index(
        self, lin: tuple[tuple[tuple[str, int, int], ...], int], off: int, shift: int
    ) -> str | None:
        """``q + i + c`` for an unwrapped address ``l + (i << shift) + c``
        (``l`` aligned, with a shadow ``q``; ``c`` a multiple of the size)."""
        terms, c = lin
        c += off
        if c & ((1 << shift) - 1):
            return None
        base = None
        for t in terms:
            n, s, al = t
            if s == 0 and al >= shift and self.plan.shadow.get(_local_index(n)) == shift:
                base = t
                break
        if base is None:
            if not terms or any(t[1] < shift for t in terms):
                return None
            parts = []  # (a scaled counter: see Counted.scale)
        else:
            parts = [f"q{base[0][1:]}"]
        for t in terms:
            if t is base:
                continue
            n, s, _ = t
            if s < shift:
                return None
            if not n.isidentifier() and not (n[0] == "(" and _balanced_outer(n)):
                n = f"({n})"
            parts.append(n if s == shift else f"({n} << {s - shift})")
        if c:
            parts.append(str(c >> shift))
        return "(" + " + ".join(parts) + ")"

    def same_access(self, e: str, view: str) -> bool:
        """Whether the expression ``e`` is the view access ``view`` (their
        address forms rendered alike)."""
        return e == view or (
            "\x00" in view
            and self.render(e, 0) == self.render(view, 0)
            and self.render(e, 1) == self.render(view, 1)
        )

    def copy_preamble(self, i: int) -> None:
        """Before a byte copy loop (see byte_copies): the copy as one slice
        assignment where the range form applies, both ranges are in memory
        and a forward copy is a move; the counter set as the loop leaves
        it. The loop itself, in the ``else``, otherwise (it then traps, or
        repeats a pattern, where wasm does)."""
        c = self.plan.counted[i]
        d, s_, od, os_ = self.plan.copies[i]
        self.flush_for_block(self.plan.nodes[i].writes)
        if c.span:
            lo, hi = c.span
            start, n, guard, after = str(lo), str(hi - lo + 1), "", c.after()
        else:
            end = c._end()
            start, n, guard = f"l{c.x}", f"{end} - l{c.x}", f"{c.guard()} and "
            after = c.after(f"({end} - 1)")
        a, b, t = self.fresh(), self.fresh(), self.fresh()
        self.emit(f"{a} = l{d} + {start}" + (f" + {od}" if od else ""))
        self.emit(f"{b} = l{s_} + {start}" + (f" + {os_}" if os_ else ""))
        self.emit(f"{t} = {n}")
        self.emit(
            f"if {guard}{a} + {t} <= len(M) and {b} + {t} <= len(M)"
            f" and ({a} <= {b} or {a} >= {b} + {t}):"
        )
        self.indent += 1
        self.emit(f"M[{a}:{a} + {t}] = M[{b}:{b} + {t}]")
        self.emit(f"l{c.x} = {after}")
        if self.has_shadow(c.x):
            self.emit(self.shadow_line(c.x))
        self.loop_in_else((c.x,))

    def loop_in_else(self, written: tuple[int, ...]) -> None:
        """After a preamble's fast path: the loop itself goes in the
        ``else`` (closed at its end, see run); the locals the fast path set
        have no range nor alias known after it."""
        self.indent -= 1
        self.emit("else:")
        self.indent += 1
        for y in written:
            self.note_range(y, var(f"l{y}"))
            self.note_alias(y, var(f"l{y}"))

    def scan_preamble(self, i: int) -> None:
        """Before a zero-byte scan loop (see byte_scans): the scan as one
        ``bytearray.find`` from the first address, the loop's locals set as
        it would leave them; the loop itself, in the ``else``, only when no
        zero byte is left in memory (it then traps where wasm does)."""
        s_, x, p, j, k = self.plan.scans[i]
        self.flush_for_block(self.plan.nodes[i].writes)
        a, z = self.fresh(), self.fresh()
        self.emit(f"{a} = ((l{s_} + l{x}) % 4294967296)" + (f" + {k}" if k else ""))
        self.emit(f"{z} = M.find(0, {a})")
        self.emit(f"if {z} >= 0:")
        self.indent += 1
        self.emit(f"l{p} = {z}" + (f" - {k}" if k else ""))
        self.emit(f"l{x} = (l{x} + ({z} - {a}) + 1) % 4294967296")
        self.emit(f"l{j} = l{x}")
        self.loop_in_else((p, x, j))

    def shadow_step(self, x: int, v: V) -> str | None:
        """The shadow's update for ``l = l + c`` (a pointer stepped by a
        multiple of the size): ``q + (c >> k)``, unless the sum wrapped
        (then ``l < c``) or a checked shadow is -1."""
        lin = v.lin if v.raw is not None and v.rsafe else None
        if lin is None and v.simple:
            lin = self.alias_of(v)  # (l = a, a an alias of l + c)
        if lin is None or len(lin[0]) != 1:
            return None
        (n, s, _), c = lin[0][0], lin[1]
        k = self.plan.shadow.get(x)
        spec = k is None
        if spec:
            k = self.plan.spec[x]
        if n != f"l{x}" or s or not 0 < c < 0x80000000 or c & ((1 << k) - 1):
            return None
        step = f"q{x} + {c >> k}"
        if not spec:
            return f"q{x} = {step} if l{x} >= {c} else {self.shadow_value(x)}"
        return f"q{x} = {step} if q{x} >= 0 and l{x} >= {c} else {self.shadow_value(x)}"

    def has_shadow(self, x: int) -> bool:
        return x in self.plan.shadow or x in self.plan.spec

    def shadow_line(self, x: int) -> str:
        return f"q{x} = {self.shadow_value(x)}"

    def shadow_value(self, x: int) -> str:
        k = self.plan.shadow.get(x)
        if k is not None:
            return f"l{x} >> {k}"
        k = self.plan.spec[x]  # checked: -1 when not aligned (see likely_aligned)
        return f"-1 if l{x} & {(1 << k) - 1} else l{x} >> {k}"

    def emit_choice(self, cond: str, then: list[str], other: list[str]) -> None:
        """``if cond:`` the statements ``then``, ``else:`` those of ``other``."""
        self.emit(f"if {cond}:")
        self.indent += 1
        for line in then:
            self.emit(line)
        self.indent -= 1
        self.emit("else:")
        self.indent += 1
        for line in other:
            self.emit(line)
        self.indent -= 1

    def take_cell(self, v: V) -> str | None:
        """For an f32 result ``v`` that the rounding cell gave just before
        (``_r32c[0] = x``, ``t = _r32c[0]``) and nothing else reads: ``x``,
        the two lines taken back (a store through the ``f`` view rounds it
        the same way)."""
        lines = self.lines
        ind = "    " * self.indent
        if (
            not v.quiet
            or not v.simple
            or len(lines) < 2
            or lines[-1] != f"{ind}{v.e} = _r32c[0]"
            or not lines[-2].startswith(f"{ind}_r32c[0] = ")
            or self.frames[-1].need_guard
            or any(v.e in w.names for w in self.stack)
        ):
            return None
        x = lines[-2][len(ind) + 11 :]
        del lines[-2:]
        return x

    def checked_view(self, op: int, a: V, off: int) -> tuple[str, str] | None:
        """``(MVx[q + c], q)`` for an access through a local with a checked
        shadow ``q`` (see likely_aligned), valid where ``q >= 0``: at the
        local plus a memarg offset, or at an unwrapped sum ``l + k`` (then
        ``q + c`` is the form tried first, the wrapped sum's index the one
        retried; see address())."""
        view = _VIEWS.get(op)
        if view is None:
            return None
        name, size = view
        shift = size.bit_length() - 1
        x, k = self.checked_base(a)
        if x is None or self.plan.spec[x] != shift or (k + off) & (size - 1):
            return None
        c = (k + off) >> shift
        index = f"q{x} + {c}" if c else f"q{x}"
        if k:
            self.forms.append((index, f"({_offset(a.e, off)}) >> {shift}"))
            index = f"\x00{len(self.forms) - 1}\x00"
        return f"{name}[{index}]", f"q{x}"

    def checked_load(self, op: int, a: V, off: int, e: str) -> str:
        """The load ``e`` through a checked shadow where it has one: ``(MVx[q
        + c] if q >= 0 else e)``."""
        checked = self.checked_view(op, a, off)
        if checked is None:
            return e
        return f"({checked[0]} if {checked[1]} >= 0 else {e})"

    def checked_base(self, a: V) -> tuple[int | None, int]:
        """(x, k) for an address that is local ``x`` (with a checked shadow)
        or the unwrapped sum ``x + k``; else (None, 0)."""
        if a.simple:
            x = _local_index(a.e)
            return (x, 0) if x in self.plan.spec else (None, 0)
        lin = a.lin
        if lin is None or a.raw is None or not a.rsafe or len(lin[0]) != 1:
            return None, 0
        (n, s, _), k = lin[0][0], lin[1]
        x = _local_index(n)
        return (x, k) if s == 0 and x in self.plan.spec else (None, 0)

    # -- memory -------------------------------------------------------------------

    def op_load(self, i: int, op: int, memarg: tuple) -> None:
        a = self.pop()
        off = memarg[1]
        stream = self.plan.stream_loads.get(i)
        if stream is not None:
            v = var(stream[0])  # (see byte_stream)
            v.lo, v.hi = 0, 255
            self.stack.append(v)
            return
        if op == _F32_LOAD:
            # Fast path: a view's (or struct's) f32 -> double conversion is
            # exact except for signalling NaNs (it quiets them), which the
            # helper keeps. (The address, a side-effect-free expression, is
            # computed again for a NaN.)
            self.flush_unsafe()
            t = self.fresh()
            e = _const_view(op, a, off) or self.aligned_view(op, a, off)
            if e is None:
                e = self.checked_load(op, a, off, f"_ldf(M, {self.address(a, off)})[0]")
            self.emit(f"{t} = {e}")
            self.emit(f"if {t} != {t}: {t} = _ldf32(M, {_offset(a.e, off)})")
            self.stack.append(var(t))
            return
        view = _const_view(op, a, off)
        if view is not None:
            self.push(V(view, _NO_NAMES, True, hi=_LOAD_HI.get(op)))
            return
        view = self.aligned_view(op, a, off)
        if view is not None:
            names = a.names
            alias = self.alias_of(a)
            if alias is not None:
                # The view may read the alias's locals: settled before they change.
                names = names.union(t[0] for t in alias[0])
            self.push(V(view, names, True, hi=_LOAD_HI.get(op)))
            return
        e = self.checked_load(op, a, off, LOADS[OPS[op].name].format(a=self.address(a, off)))
        self.push(V(e, a.names, True, hi=_LOAD_HI.get(op)))

    def op_store(self, i: int, op: int, memarg: tuple) -> None:
        v = self.pop()
        a = self.pop()
        self.flush_unsafe()
        if a.unsafe and v.unsafe and not a.simple:
            # Python evaluates `M[a] = v`'s value first; wasm, the address:
            # when both may trap, the address goes first, into a temporary.
            a = self._copy(a)
        off = memarg[1]
        if op == _F32_STORE:
            # Fast path for every value but NaN (whose f32 payload the
            # helper writes exactly).
            if not a.simple and a.unsafe:
                a = self._copy(a)
            addr = _offset(a.e, off)
            view = _const_view(op, a, off) or self.aligned_view(op, a, off)
            checked = self.checked_view(op, a, off) if view is None else None
            if not v.simple and not v.quiet:
                v = self._copy(v)
            # A NaN (unless quiet: none signalling) goes through the helper,
            # which keeps its payload; other values convert exactly.
            fast = "" if v.quiet else f" and {v.e} == {v.e}"
            slow = f"_stf(M, {addr}, {v.e})"
            if not v.quiet:
                slow = f"{slow} if {v.e} == {v.e} else _stf32(M, {addr}, {v.e})"
            x = self.take_cell(v) if view is not None or checked is not None else None
            if x is not None:
                # The value rounded by the view itself (the same conversion).
                if checked is None:
                    self.emit(f"{view} = {x}")
                    return
                slow = f"_r32c[0] = {x}\n_stf(M, {addr}, _r32c[0])"
                view, v = checked[0], var(x)
            if checked is not None:
                view, fast = checked[0], f" and {checked[1]} >= 0{fast}"
            if view is None:
                self.emit(slow)
            elif not fast:
                self.emit(f"{view} = {v.e}")
            else:
                self.emit_choice(fast[5:], [f"{view} = {v.e}"], slow.split("\n"))
            return
        view = _const_view(op, a, off) or self.aligned_view(op, a, off)
        if view is not None:
            b = v.binop
            if b is not None:
                # MVd[i] = MVd[i] - x as MVd[i] -= x: the index once. (With
                # the load on the right of + or *, x is evaluated after it:
                # only a pure x may move; the operands' order of a
                # commutative op changes only which input NaN comes out,
                # which wasm leaves open.)
                o, left, right = b
                if self.same_access(left.e, view):
                    self.emit(f"{view} {o}= {right.e}")
                    return
                if o != "-" and not left.unsafe and self.same_access(right.e, view):
                    self.emit(f"{view} {o}= {left.e}")
                    return
            self.emit(f"{view} = {v.e}")
            return
        name = OPS[op].name
        e = v.e
        mask = NARROW.get(name)
        if mask is not None and (v.hi is None or v.lo < 0 or v.hi > mask):
            # (else the value fits: a byte loaded, a masked value)
            if v.raw is not None and v.rbits <= _RAW_BITS:
                e = v.raw  # the mask does the wrap too
            e = f"({e}) & {mask:#x}"
        stmt = STORES[name].format(a=self.address(a, off), v=e)
        checked = self.checked_view(op, a, off)
        if checked is not None:
            view, q = checked
            self.emit_choice(f"{q} >= 0", [f"{view} = {v.e}"], [stmt])
            return
        self.emit(stmt)

    def op_memory_size(self, i: int, imm: object) -> None:
        self.stack.append(V("(len(M) >> 16)", unsafe=True))

    def op_memory_grow(self, i: int, imm: object) -> None:
        n = self.pop()
        self.flush_unsafe()
        self.push_results(f"_grow({n.e})", 1)

    def helper_stmt(self, fmt: str, nargs: int) -> None:
        args = self.stack[len(self.stack) - nargs :]
        del self.stack[len(self.stack) - nargs :]
        self.flush_unsafe()
        self.emit(fmt.format(*[a.e for a in args]))

    def op_memory_fill(self, i: int, imm: object) -> None:
        self.helper_stmt("_mfill({0}, {1}, {2})", 3)

    def op_memory_copy(self, i: int, imm: object) -> None:
        self.helper_stmt("_mcopy({0}, {1}, {2})", 3)

    def op_memory_init(self, i: int, imm: tuple) -> None:
        self.helper_stmt(f"_minit({imm[0]}, {{0}}, {{1}}, {{2}})", 3)

    def op_data_drop(self, i: int, imm: int) -> None:
        self.flush_unsafe()
        self.emit(f"_ddrop({imm})")

    # -- tables and references -------------------------------------------------------------

    def op_table_get(self, i: int, x: int) -> None:
        idx = self.pop()
        self.flush_unsafe()
        self.push_results(f"_tget(T{x}, {idx.e})", 1)

    def op_table_set(self, i: int, x: int) -> None:
        self.helper_stmt(f"_tset(T{x}, {{0}}, {{1}})", 2)

    def op_table_size(self, i: int, x: int) -> None:
        self.stack.append(V(f"len(T{x})", unsafe=True))

    def op_table_grow(self, i: int, x: int) -> None:
        n = self.pop()
        v = self.pop()
        self.flush_unsafe()
        self.push_results(f"_tgrow({x}, {v.e}, {n.e})", 1)

    def op_table_fill(self, i: int, x: int) -> None:
        self.helper_stmt(f"_tfill({x}, {{0}}, {{1}}, {{2}})", 3)

    def op_table_copy(self, i: int, imm: tuple) -> None:
        self.helper_stmt(f"_tcopy({imm[0]}, {imm[1]}, {{0}}, {{1}}, {{2}})", 3)

    def op_table_init(self, i: int, imm: tuple) -> None:
        self.helper_stmt(f"_tinit({imm[1]}, {imm[0]}, {{0}}, {{1}}, {{2}})", 3)

    def op_elem_drop(self, i: int, imm: int) -> None:
        self.flush_unsafe()
        self.emit(f"_edrop({imm})")

    def op_simd_mem(self, i: int, op: int, imm: tuple) -> None:
        """A SIMD load or store: the template gets the effective address as
        ``{0}``; stores and lane stores are statements."""
        info = OPS[op]
        sem = semantics(info.name)
        n = len(info.sig[0])
        args = self.stack[len(self.stack) - n :]
        del self.stack[len(self.stack) - n :]
        off = imm[1]
        a = args[0]
        addr = a.e if not off else f"({a.e} + {off})"
        es = [addr] + [v.e for v in args[1:]]
        lane = imm[2] if len(imm) > 2 else None
        e = sem.expr.format(*es, imm=_literal(lane))
        if info.sig[1]:
            names = _NO_NAMES.union(*(v.names for v in args))
            self.push(V(f"({e})", names, True))
        else:
            self.flush_unsafe()
            self.emit(e)
