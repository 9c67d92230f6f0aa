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

See ``control.py`` for how blocks become Python loops.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

from ...numeric.bits import f32_from_bits, f64_from_bits
from ...numeric.semantics import SEMANTICS, Sem
from ...wasm.instructions import BLOCKTYPE_EMPTY, BLOCKTYPE_VALTYPES, OPS
from ...wasm.types import F32, F64, I32, I64, V128
from ..limits import charge_lines
from .align import (
    address_end,
    combine,
    const_alignment,
    global_alignment,
    likely_aligned,
    read_alignment,
)
from .context import ModuleContext, global_read
from .control import KIND_BLOCK, KIND_FUNC, KIND_IF, KIND_LOOP, Node, analyse
from .counters import (
    Counted,
    byte_copies,
    byte_scans,
    counted_loops,
    counter_ranges,
    guarded_ranges,
)
from .tails import thread_tails


def _semantics(name: str) -> Any:
    """The semantics of an instruction; SIMD ones are loaded on first use
    (most modules have none, and building them takes a while)."""
    sem = SEMANTICS.get(name)
    if sem is None:
        from ...numeric.simd import SIMD_SEMANTICS

        sem = SIMD_SEMANTICS.get(name)
    return sem


# Python allows 20 statically nested loops (CO_MAXBLOCKS); blocks beyond this
# depth use guard mode so wasm loops still fit.
GUARD_DEPTH = 14
MAX_NEST_INDENT = 60  # CPython's tokenizer allows 100 levels of indentation
# Deeper source cannot compile: translation stops there (so that its cost stays
# linear in the function's size) and the function is interpreted.
MAX_INDENT = 99
MAX_PY_LOOPS = 19
# Expressions longer than this are materialized (keeps the parser happy).
MAX_EXPR = 400

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF

_ZERO = {I32: "0", I64: "0", F32: "0.0", F64: "0.0", V128: "0"}

# Memory access: opcode name -> (helper form, natural size).
_LOADS = {
    "i32.load": "_ldI(M, {a})[0]",
    "i64.load": "_ldQ(M, {a})[0]",
    "f32.load": "_ldf32(M, {a})",
    "f64.load": "_ldd(M, {a})[0]",
    "i32.load8_s": "(_ldb(M, {a})[0] & 0xFFFFFFFF)",
    "i32.load8_u": "M[{a}]",
    "i32.load16_s": "(_ldh(M, {a})[0] & 0xFFFFFFFF)",
    "i32.load16_u": "_ldH(M, {a})[0]",
    "i64.load8_s": "(_ldb(M, {a})[0] & 0xFFFFFFFFFFFFFFFF)",
    "i64.load8_u": "M[{a}]",
    "i64.load16_s": "(_ldh(M, {a})[0] & 0xFFFFFFFFFFFFFFFF)",
    "i64.load16_u": "_ldH(M, {a})[0]",
    "i64.load32_s": "(_ldi(M, {a})[0] & 0xFFFFFFFFFFFFFFFF)",
    "i64.load32_u": "_ldI(M, {a})[0]",
}
_STORES = {
    "i32.store": "_stI(M, {a}, {v})",
    "i64.store": "_stQ(M, {a}, {v})",
    "f32.store": "_stf32(M, {a}, {v})",
    "f64.store": "_std(M, {a}, {v})",
    "i32.store8": "M[{a}] = {v}",
    "i32.store16": "_stH(M, {a}, {v})",
    "i64.store8": "M[{a}] = {v}",
    "i64.store16": "_stH(M, {a}, {v})",
    "i64.store32": "_stI(M, {a}, {v})",
}
# f64 operations a store may apply in place (see op_store).
_F64_BINOPS = {"f64.add": "+", "f64.sub": "-", "f64.mul": "*"}
# Narrow stores: the mask applied to a value not known to fit.
_NARROW = {
    "i32.store8": 0xFF,
    "i64.store8": 0xFF,
    "i32.store16": 0xFFFF,
    "i64.store16": 0xFFFF,
    "i64.store32": 0xFFFFFFFF,
}


class V:
    """A stack entry: a Python expression and what it depends on."""

    __slots__ = (
        "e",
        "names",
        "unsafe",
        "cond",
        "simple",
        "raw",
        "rbits",
        "rsafe",
        "hi",
        "lo",
        "al",
        "lin",
        "sign",
        "quiet",
        "binop",
    )

    def __init__(
        self,
        e: str,
        names: frozenset[str] = frozenset(),
        unsafe: bool = False,
        cond: str | None = None,
        simple: bool = False,
        raw: str | None = None,
        rbits: int = 0,
        rsafe: bool = False,
        hi: int | None = None,
        al: int = 0,
        lo: int = 0,
    ) -> None:
        self.e = e  # value expression
        self.names = names  # local/slot variables read
        self.unsafe = unsafe  # reads memory/globals or may trap
        self.cond = cond  # equivalent Python bool expression, if cheaper
        self.simple = simple  # a constant or a single variable
        # The integer value before its final wrap (see Sem.raw), for
        # consumers that wrap anyway; rbits bounds its size in bits.
        self.raw = raw
        self.rbits = rbits
        # raw is a sum (or product, left shift) of non-negative terms with
        # no constant >= 2**31: not expected to wrap (see Translator.address).
        self.rsafe = rsafe
        # An upper bound of the (exact) value, when smaller than its type's
        # maximum: sums and products of small values need no wrap.
        self.hi = hi
        self.lo = lo  # a lower bound, where hi is known
        # raw as a sum of variables shifted left and a constant:
        # ((name, shift, alignment of the read), ...), constant
        self.lin: tuple[tuple[tuple[str, int, int], ...], int] | None = None
        # Known zero low bits of an i32 value (see align.py).
        self.al = al
        # For x >>s (bits - 1), all ones or zero: the variable x.
        self.sign: str | None = None
        # An f32 read from the rounding cell: a NaN in it is quiet, so
        # struct writes its bits back exactly.
        self.quiet = False
        # An f64 add, sub or mul: (operator, left, right), for a store of
        # it back where an operand was loaded (see op_store).
        self.binop: tuple[str, V, V] | None = None


def const(e: str) -> V:
    if e.isdigit():
        n = int(e)
        return V(e, simple=True, hi=n, al=const_alignment(n))
    return V(e, simple=True)


_NO_NAMES: frozenset[str] = frozenset()


def var(name: str, al: int = 0) -> V:
    return V(name, frozenset((name,)), simple=True, al=al)


class Frame:
    """A control frame during emission."""

    __slots__ = (
        "node",
        "kind",
        "params",
        "results",
        "height",
        "pyloop",
        "guard",
        "base_indent",
        "unreachable",
        "reached",
        "crossing",
        "need_guard",
        "pending",
        "region",
        "else_seen",
        "then_fell",
        "outer_indent",
        "arm_start",
        "nest",
        "nest_open",
        "base0",
        "counted",
        "head",
        "tail",
        "facts_in",
        "facts_then",
        "facts_br",
    )

    def __init__(self, node: Node, kind: int, params: int, results: int, height: int) -> None:
        self.node = node
        self.kind = kind
        self.params = params
        self.results = results
        self.height = height
        self.pyloop = False
        self.guard = False
        self.base_indent = 0
        self.unreachable = False
        self.reached = False  # some branch targets our end (or start, loops)
        self.crossing: set[Frame] = set()  # multi-level targets leaving our loop
        self.need_guard = False  # next statement must open an `if not L:` region
        self.pending: set[Frame] = set()  # guard targets that may have set L here
        self.region = False  # an `if not L:` region is open
        self.else_seen = False
        self.then_fell = False
        self.outer_indent = 0
        self.arm_start = 0
        self.nest = False  # lowered as nested `if not cond:` (see control.py)
        self.nest_open: list[int] = []  # lines of the `if not cond:` opened
        self.base0 = 0
        self.counted: Counted | None = None  # a `for` loop over the counter
        self.head = -1  # its `while True:` line (copied into a `for` form)
        self.tail = -1  # the first line of its counting tail
        # Ranges of locals on entry to an if, and at the end of its then arm.
        self.facts_in: dict[int, tuple[int, int]] = {}
        self.facts_then: dict[int, tuple[int, int]] | None = None
        # Ranges that hold on every branch to the end of this block so far.
        self.facts_br: dict[int, tuple[int, int]] | None = None


class Switch:
    """A switch being translated: the if-tree waits for the case code."""

    def __init__(
        self,
        idx: str,
        ranges: list[list[int]],
        code: dict,
        indent: int,
        lines: list[str],
        cases: list[Frame],
        after: Frame,
    ) -> None:
        self.idx = idx
        self.ranges = ranges
        self.code = code
        self.indent = indent
        self.lines = lines  # the buffer the tree goes into
        self.cases = cases  # frames B_0 .. B_m-1
        self.after = after  # frame B_m
        self.after_base = after.base_indent
        self.buffers: dict[int, list[str]] = {}
        self.current: int | None = None


class Translator:
    """Translates function ``index`` (in the function index space) of a
    validated module to the source of one Python ``def``."""

    def __init__(self, ctx: ModuleContext, index: int) -> None:
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
        self.suspect: frozenset[str] = frozenset()  # see _negative_locals
        self.py_depth = 0  # Python loops currently open
        # Ranges of locals set in straight-line code (see note_range), and
        # under ~x the linear form of an address local x (see note_alias).
        self.facts: dict[int, Any] = {}
        self.aliased = False  # whether an alias was ever noted
        self.counted: dict[int, Counted] = {}  # loops lowered to `for` (see counters.py)
        self.skip: set[int] = set()  # the counting tails of static ones
        self.scans: dict[int, tuple[int, int, int, int, int]] = {}  # see byte_scans
        self.scan_ends: dict[int, int] = {}  # (and the ends of byte copies')
        self.copies: dict[int, tuple[int, int, int, int]] = {}  # see byte_copies
        # Static loops reading consecutive bytes (see byte_stream): start ->
        # (the iterator's name, the bytes' names in order); and their byte
        # loads: index -> (name, offset).
        self.streams: dict[int, tuple[str, list[str]]] = {}
        self.stream_loads: dict[int, tuple[str, int]] = {}
        self.tails: dict[int, int] = {}  # start of the tail -> loop start (others)
        # Static loops over a shifted (or scaled) counter: start -> (variable,
        # shift, scale), and the counter's reads: index -> (variable, offset,
        # low, high, step, scale).
        self.shifted: dict[int, tuple[str, int, int]] = {}
        self.shift_reads: dict[int, tuple[str, int, int, int, int, int]] = {}
        # Loops decided on entry whose counter is read as x + y: start ->
        # (t, y), t = x + y their range form's variable (see offset_reads),
        # and the reads: index -> t.
        self.over_sums: dict[int, tuple[str, int]] = {}
        self.sum_reads: dict[int, str] = {}
        self.spec: dict[int, int] = {}  # locals with a checked shadow (likely_aligned)
        self.virtual: dict[int, V] = {}  # locals set but not assigned (see dead_after)
        self.body: list = []
        self._live: dict[int, int] | None = None  # see live()

    # -- output --------------------------------------------------------------

    def emit(self, line: str) -> None:
        f = self.frames[-1]
        if f.need_guard:
            self.open_region(f)
        if self.indent > MAX_INDENT:  # (reliability: translation stays linear)
            raise TranslationLimit("nested too deeply for Python")
        ind = "    " * self.indent
        if "\x00" in line:
            if line.startswith("if ") and line.endswith(":") and _retryable(line[3:-1]):
                # The condition is computed first, so that it can be retried.
                t = self.fresh()
                self.emit(f"{t} = {line[3:-1]}")
                line = f"if {t}:"
                self.lines.append(ind + line)
                return
            slow = self.shared_products(self.render(line, 1))
            if _retryable(line):
                # Unwrapped addresses, and the statement once more with
                # wrapped ones if one was out of range (see address()).
                fast = self.shared_products(self.render(line, 0))
                self.lines += (ind + "try:", ind + "    " + fast)
                self.lines += (ind + "except _OOB:", ind + "    " + slow)
                return
            line = slow
        else:
            line = self.shared_products(line)
        self.lines.append(ind + line)

    def shared_products(self, line: str) -> str:
        """A statement that rotates one local more than once (sha256's
        ``rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25)``) multiplies it by
        ``2**bits + 1`` once: the first product is kept in a temporary
        (``(t := x * K)``) and the others read it. Only where Python
        evaluates the statement left to right, every part of it: the value
        of an assignment or a return without conditional expressions,
        short-circuits or comparisons (a chained comparison may skip its
        last operand)."""
        if " * 4294967297)" not in line and " * 18446744073709551617)" not in line:
            return line
        m = _SIMPLE_STMT.match(line)
        if m is None:
            return line
        head, value = line[: m.end()], line[m.end() :]
        if _UNORDERED.search(value):
            return line
        counts: dict[str, int] = {}
        for p in _PRODUCT.findall(value):
            counts[p] = counts.get(p, 0) + 1
        for p, n in counts.items():
            if n < 2 or p in head or f"({p.split()[0][1:]} :=" in value:
                continue
            t = self.fresh()
            first = value.index(p)
            rest = value[first + len(p) :].replace(p, t)
            value = f"{value[:first]}({t} := {p[1:]}{rest}"
        return head + value

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
        if self.shadow.get(_local_index(a.e)) == shift:
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
            if s == 0 and al >= shift and self.shadow.get(_local_index(n)) == shift:
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

    def render(self, line: str, which: int) -> str:
        """``line`` with its address markers replaced by their unwrapped
        (``which`` 0) or wrapped (1) forms."""
        forms = self.forms
        while "\x00" in line:
            line = _MARK.sub(lambda m: forms[int(m.group(1))][which], line)
        return line

    def open_region(self, f: Frame) -> None:
        """Code after a branch that may have set ``L`` for an outer guard
        block runs only while ``L`` is unset; regions are flat siblings."""
        f.need_guard = False
        self.indent = f.base_indent
        self.lines.append("    " * self.indent + "if not L:")
        self.indent += 1
        f.region = True

    def fresh(self) -> str:
        self.ntemp += 1
        return f"t{self.ntemp}"

    # -- the stack -----------------------------------------------------------

    def push(self, v: V) -> None:
        if len(v.e) > MAX_EXPR:
            v = self.materialize(v)
        self.stack.append(v)

    def pop(self) -> V:
        return self.stack.pop()

    def materialize(self, v: V) -> V:
        if v.simple:
            return v
        if v.unsafe:
            # Deeper pending entries are evaluated first (wasm order).
            self.flush_unsafe()
        return self._copy(v)

    def flush_unsafe(self) -> None:
        """Evaluate, in stack order, every pending entry that must not move
        past a side effect."""
        st = self.stack
        for i, v in enumerate(st):
            if v.unsafe:
                st[i] = self._copy(v)

    def flush_reading(self, names: set[str] | frozenset[str]) -> None:
        st = self.stack
        if any(v.unsafe and v.names & names for v in st):
            self.flush_unsafe()
        for i, v in enumerate(st):
            if v.names & names:
                st[i] = self._copy(v)

    def flush_for_block(self, writes: set[int]) -> None:
        """Before a block: pending entries must not see the block's writes nor
        be evaluated after its side effects."""
        written = {f"l{i}" for i in writes}
        st = self.stack
        for i, v in enumerate(st):
            if v.simple:
                if v.names and v.names & written:
                    st[i] = self._copy(v)
                continue
            if v.unsafe or v.names & written or any(n[0] == "s" for n in v.names):
                st[i] = self._copy(v)

    def _copy(self, v: V) -> V:
        t = self.fresh()
        self.emit(f"{t} = {v.e}")
        return var(t, v.al)

    def assign(self, name: str, v: V) -> None:
        """``name = v``, keeping other pending entries that read ``name``
        correct."""
        self.flush_reading({name})
        if v.e != name:
            lines = self.lines
            prefix = "    " * self.indent + v.e + " = "
            if (
                v.simple
                and v.e[0] == "t"
                and lines
                and lines[-1].startswith(prefix)
                and not self.frames[-1].need_guard
                and not any(v.e in w.names for w in self.stack)
            ):
                # `t = f(...)` just emitted, read only here: `name = f(...)`.
                lines[-1] = "    " * self.indent + name + " = " + lines[-1][len(prefix) :]
            else:
                self.emit(f"{name} = {v.e}")
            x = _local_index(name)
            if x is not None and self.has_shadow(x):
                self.emit(self.shadow_step(x, v) or self.shadow_line(x))

    def cond_of(self, v: V) -> str:
        return v.cond if v.cond is not None else v.e

    # -- block types -----------------------------------------------------------

    def block_arity(self, bt: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        if bt == BLOCKTYPE_EMPTY:
            return (), ()
        if bt < 0:
            return (), (BLOCKTYPE_VALTYPES[bt],)
        ft = self.ctx.module.types[bt]
        return ft.params, ft.results

    def block_types_of(self, body: list) -> dict[int, tuple[int, int]]:
        """(params, results) of each block/loop/if by its index."""
        block_types = {}
        for i, (op, imm, _) in enumerate(body):
            if op in (0x02, 0x03, 0x04):
                p, r = self.block_arity(imm)
                block_types[i] = (len(p), len(r))
        return block_types

    # -- translation -------------------------------------------------------------

    def translate(self) -> str:
        body = self.code.body
        block_types = self.block_types_of(body)
        threaded = thread_tails(body, block_types, len(self.type.results), self.ctx)
        if threaded is not body:
            body = threaded
            block_types = self.block_types_of(body)
        self.block_types = block_types
        self.nodes, self.switch_chains = analyse(body, block_types)
        self.switches: list[Switch] = []
        root = Frame(self.nodes[-1], KIND_FUNC, 0, len(self.type.results), 0)
        root.base_indent = 1
        self.frames.append(root)
        nparams = len(self.type.params)
        assigned, sets = _local_writes(body)
        self.suspect = frozenset(f"l{x}" for x in _negative_locals(body, sets))
        ctx = self.ctx
        if ctx.global_align is None:
            ctx.global_align = global_alignment(ctx.module, ctx.func_types)
        self.global_al = ctx.global_align
        loops = [(n.start, n.end, len(n.sites)) for n in self.nodes.values() if n.kind == KIND_LOOP]
        self.counter_range = guarded_ranges(body, loops)
        self.counter_range.update(counter_ranges(body, loops))
        self.counted = counted_loops(body, [lp for lp in loops if block_types[lp[0]] == (0, 0)])
        for s, c in self.counted.items():
            st = c.span
            if st:
                self.skip.update(c.skip)
                for j in range(s + 1, c.skip[0]):
                    if body[j][0] == 0x20 and body[j][1] == c.x:
                        self.counter_range[j] = st
            else:
                self.tails[c.skip[0]] = s
        self.read_al, self.fixed_al, self.shadow = read_alignment(
            body, self.local_types, nparams, self.global_al, sets, _VIEW_SHIFT
        )
        self.scans = {
            st: v
            for st, v in byte_scans(
                body, [lp for lp in loops if block_types[lp[0]] == (0, 0)]
            ).items()
            if not any(y in self.shadow for y in v[1:4])  # (their locals without shadows)
        }
        self.scan_ends = {self.nodes[st].end: st for st in self.scans}
        for s, c in self.counted.items():
            if not c.span:
                continue
            sh = c.shifted(body, s) if c.x not in self.shadow else None
            if sh is not None:
                # Reads x + C of the counter become a + offset (see
                # Counted.shifted), maybe scaled (see Counted.scale).
                shift, offsets = sh
                k = c.scale(body, shift, offsets)
                for j in offsets:
                    self.skip.update((j + 1, j + 2))
            else:
                # Reads of the counter become a << k (see Counted.scaled;
                # a shadow of the counter is not kept: every read is replaced).
                sc = c.scaled(body, s)
                if sc is None:
                    continue
                shift, (k, reads) = 0, sc
                offsets = dict.fromkeys(reads, 0)
            a = self.fresh()
            self.shifted[s] = (a, shift, k)
            lo, hi = c.span  # type: ignore[misc]
            for j, off in offsets.items():
                self.shift_reads[j] = (a, off, lo + shift + off, hi + shift + off, abs(c.step), k)
        for s, (_, _, k) in self.shifted.items():
            loads = self.byte_stream(body, s, k)
            if loads is not None:
                byte = dict(sorted((rel, name) for name, rel in loads.values()))
                self.streams[s] = (self.fresh(), list(byte.values()))
                self.stream_loads.update(loads)
        for s, c in self.counted.items():
            if c.span is None and c.x not in self.shadow:
                r = c.offset_reads(body, s, self.nodes[s].writes)
                if r is not None:
                    y, reads = r
                    t = self.fresh()
                    self.over_sums[s] = (t, y)
                    for j, other in reads.items():
                        self.skip.update(other)
                        self.sum_reads[j] = t
        # Locals written other than by local.set (or a `for` over a counter,
        # which keeps a shadow current): no checked shadow.
        self.copies = {
            st: v
            for st, v in byte_copies(body, self.counted).items()
            if st not in self.shifted and st not in self.over_sums
        }
        if self.ctx.options.fuel:  # limits: every loop iteration runs, to be charged
            self.scans, self.copies, self.scan_ends = {}, {}, {}
        self.scan_ends.update((self.nodes[st].end, st) for st in self.copies)
        written = set(self.shadow)
        written.update(c.x for s, c in self.counted.items() if s in self.shifted)
        written.update(c.x for s, c in self.counted.items() if s in self.over_sums)
        for v in self.scans.values():
            written.update(v[:4])
        written.update(y for _, y in self.over_sums.values())
        self.spec = likely_aligned(body, self.local_types, nparams, _VIEW_SHIFT, written)
        for k in range(nparams, len(self.local_types)):
            if k not in assigned:
                t = self.local_types[k]
                self.emit(f"l{k} = {_ZERO.get(t, 'None')}")
        for x in (*self.shadow, *self.spec):
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
        if self.ctx.options.fuel:  # limits: fuel at function entry
            head.extend(charge_lines("    "))
        lines = self.lines
        if self.forms:
            lines = [self.render(x, 1) if "\x00" in x else x for x in lines]
        return "\n".join(head + lines) + "\n"

    def run(self, body: list) -> None:
        self.body = body
        skip = 0  # nesting depth inside unreachable code
        dropped = self.skip  # the counting tails of `for` loops
        tails = self.tails
        for i, (op, imm, _off) in enumerate(body):
            if self.virtual and (op in _STRAIGHT_STOPS or i in dropped):
                # Dead here (see dead_after).
                for x, v in self.virtual.items():
                    if self.live(i, x):
                        self.assign(f"l{x}", v)  # (never: dead_after saw it dead)
                self.virtual.clear()
            f = self.frames[-1]
            if f.unreachable:
                if op in (0x02, 0x03, 0x04):
                    skip += 1
                    continue
                if op == 0x0B:  # end
                    if skip:
                        skip -= 1
                        continue
                    self.op_end()
                    continue
                if op == 0x05 and not skip:  # else
                    self.op_else()
                continue
            if i in dropped:
                continue
            if i in tails:
                if f.node.start == tails[i] and not f.need_guard:
                    f.tail = len(self.lines)
            if i in self.scans:
                self.scan_preamble(i)
            elif i in self.copies:
                self.copy_preamble(i)
            handler = _HANDLERS.get(op)
            if handler is None:
                self.numeric(op)
            else:
                handler(self, i, imm)
            if i in self.scan_ends:
                self.indent -= 1  # (the end of the loop in the scan's else)

    def byte_stream(self, body: list, s: int, scale: int) -> dict[int, tuple[str, int]] | None:
        """For a static loop over a shifted counter ``a`` (see
        Counted.shifted) whose body is straight-line code that reads the
        bytes ``a``, ``a + 1``, .. ``a + step - 1`` (a checksum over a
        buffer: FNV's ``h = (h ^ p[i]) * P``, unrolled) and has no effect
        outside its locals (no store, call, global.set, nor an operator
        that traps but a load): its byte loads, ``{index: (name, offset)}``.
        The loop then runs over ``zip(range(...), it, it, ..)``, ``it`` an
        iterator over a copy of the bytes it reads, taken on entry: no
        load is left to index memory. A copy that would run past the end
        of memory traps on entry, where the loop would have trapped later
        without any effect seen outside it."""
        c = self.counted[s]
        step = c.step
        if scale or step <= 0 or step > 8:
            return None
        reads = self.shift_reads
        found: dict[int, tuple[str, int]] = {}
        names: dict[int, str] = {}
        for j in range(s + 1, c.skip[0]):
            if j in self.skip:
                continue
            op, imm, _ = body[j]
            if op in _BYTE_LOADS:
                r = j - 3 if j - 1 in self.skip else j - 1
                if r not in reads or body[r][0] != 0x20:
                    return None
                rel = reads[r][1] + imm[1]
                if not 0 <= rel < step:
                    return None
                name = names.get(rel)
                if name is None:
                    name = names[rel] = self.fresh()
                found[j] = (name, rel)
            elif op not in _STREAM_SAFE:
                return None
        if len(names) != step:
            return None
        return found

    def copy_preamble(self, i: int) -> None:
        """Before a byte copy loop (see byte_copies): the copy as one slice
        assignment where the range form applies, both ranges are in memory
        and a forward copy is a move; the counter set as the loop leaves
        it. The loop itself, in the ``else``, otherwise (it then traps, or
        repeats a pattern, where wasm does)."""
        c = self.counted[i]
        d, s_, od, os_ = self.copies[i]
        self.flush_for_block(self.nodes[i].writes)
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
        s_, x, p, j, k = self.scans[i]
        self.flush_for_block(self.nodes[i].writes)
        a, z = self.fresh(), self.fresh()
        self.emit(f"{a} = ((l{s_} + l{x}) % 4294967296)" + (f" + {k}" if k else ""))
        self.emit(f"{z} = M.find(0, {a})")
        self.emit(f"if {z} >= 0:")
        self.indent += 1
        self.emit(f"l{p} = {z}" + (f" - {k}" if k else ""))
        self.emit(f"l{x} = (l{x} + ({z} - {a}) + 1) % 4294967296")
        self.emit(f"l{j} = l{x}")
        self.loop_in_else((p, x, j))

    # -- control ------------------------------------------------------------------

    def open_block(self, i: int, kind: int, cond: str | None = None) -> None:
        np, nr = self.block_types[i]
        node = self.nodes[i]
        height = len(self.stack) - np
        parent = self.frames[-1]
        # Pending values must be settled before the block runs.
        self.flush_for_block(node.writes)
        if kind == KIND_LOOP:
            self.forget(node)  # the loop header joins the branches back
        for j in range(np):
            slot = f"s{height + j}"
            v = self.stack[height + j]
            if v.e != slot:
                self.assign(slot, v)
                self.stack[height + j] = var(slot)
        if parent.need_guard:
            self.open_region(parent)
        fr = Frame(node, kind, np, nr, height)
        fr.outer_indent = self.indent
        if kind == KIND_LOOP and not node.sites:
            if self.ctx.options.fuel:  # limits: fuel at a loop header
                self.lines.extend(charge_lines("    " * self.indent))
        elif kind == KIND_LOOP:
            if self.py_depth >= MAX_PY_LOOPS:
                raise TranslationLimit("loops nested too deeply for Python")
            fr.pyloop = True
        elif node.nest and self.indent + node.direct < MAX_NEST_INDENT:
            fr.nest = True
        elif node.sites and not node.tailbreak and not node.case:
            if self.py_depth < GUARD_DEPTH and node.direct_break:
                fr.pyloop = True
            else:
                fr.guard = True
        if fr.pyloop:
            c = self.counted.get(i) if kind == KIND_LOOP else None
            if c is not None and c.span:
                fr.counted = c
                a, shift, k = self.shifted.get(i, (f"l{c.x}", 0, 0))
                stream = self.streams.get(i)
                if stream is None:
                    self.emit(f"for {a} in {c.header(shift, k)}:")
                else:
                    # The bytes it reads, consecutive (see byte_stream).
                    it, byte = stream
                    lo, end, step = c._range(c.x0, c.bound)  # type: ignore[arg-type, misc]
                    r = range(lo + shift, end + shift, step)
                    self.emit(f"{it} = _bytes_of({r.start}, {r.start + len(r) * step})")
                    self.emit(
                        f"for {a}, {', '.join(byte)} in zip({c.header(shift, k)}{f', {it}' * step}):"
                    )
                if self.has_shadow(c.x) and a == f"l{c.x}":
                    self.lines.append("    " * (self.indent + 1) + self.shadow_line(c.x))
            else:
                self.emit("while True:")
                if c is not None and self.indent < MAX_NEST_INDENT:
                    fr.counted = c
                    fr.head = len(self.lines) - 1
                ts = self.over_sums.get(i) if c is not None else None
                if ts is not None:
                    # the sum the body reads (the range form runs over it)
                    ind = "    " * (self.indent + 1)
                    self.lines.append(f"{ind}{ts[0]} = l{ts[1]} + l{c.x}")
            self.indent += 1
            self.py_depth += 1
            if kind == KIND_LOOP and self.ctx.options.fuel:  # limits: fuel at a loop header
                self.lines.extend(charge_lines("    " * self.indent))
        if kind == KIND_IF:
            self.emit(f"if {cond}:")
            self.indent += 1
        fr.base_indent = self.indent
        fr.arm_start = len(self.lines)
        if kind == KIND_IF:
            fr.facts_in = dict(self.facts)
        self.frames.append(fr)

    def op_block(self, i: int, imm: object) -> None:
        self.open_block(i, KIND_BLOCK)

    def op_loop(self, i: int, imm: object) -> None:
        self.open_block(i, KIND_LOOP)

    def op_if(self, i: int, imm: object) -> None:
        c = self.pop()
        if not c.simple and (c.unsafe or len(c.e) > 120):
            c = self.materialize(c)
        self.open_block(i, KIND_IF, self.cond_of(c))

    def store_results(self, fr: Frame) -> None:
        """Fallthrough to a frame's end: its results go to its slots."""
        n = fr.results
        if n:
            self.move_to_slots(fr.height, self.stack[len(self.stack) - n :])

    def move_to_slots(self, height: int, vals: list[V], emit=None) -> list[str]:
        """Assign ``vals`` to the slots from ``height``; returns the lines
        (emitted unless ``emit`` is False)."""
        pairs = [(f"s{height + j}", v) for j, v in enumerate(vals)]
        pairs = [(t, v) for t, v in pairs if v.e != t]
        if not pairs:
            return []
        if len(pairs) == 1:
            line = f"{pairs[0][0]} = {pairs[0][1].e}"
        else:
            line = ", ".join(t for t, _ in pairs) + " = " + ", ".join(v.e for _, v in pairs)
        if emit is False:
            return [line]
        # Entries left on the stack must not see the new slot values.
        self.flush_reading({t for t, _ in pairs})
        self.emit(line)
        return [line]

    def end_arm(self, fr: Frame) -> None:
        """Close the current arm of ``fr`` (its body, or an if's branch)."""
        if fr.nest_open:
            lines = self.lines
            for pos in reversed(fr.nest_open):
                if pos == len(lines) - 1:
                    head = lines[pos]
                    lines.append(head[: len(head) - len(head.lstrip())] + "    pass")
            fr.nest_open = []
            fr.base_indent = fr.base0
        fr.need_guard = False
        fr.region = False
        if len(self.lines) == fr.arm_start:
            self.lines.append("    " * fr.base_indent + "pass")

    def op_else(self, i: int = 0, imm: object = None) -> None:
        fr = self.frames[-1]
        fr.facts_then = None if fr.unreachable else self.facts
        self.facts = dict(fr.facts_in)
        fr.then_fell = not fr.unreachable
        if not fr.unreachable:
            self.store_results(fr)
        self.end_arm(fr)
        self.indent = fr.base_indent - 1
        self.lines.append("    " * self.indent + "else:")
        self.indent += 1
        fr.arm_start = len(self.lines)
        del self.stack[fr.height :]
        self.stack.extend(var(f"s{fr.height + j}") for j in range(fr.params))
        fr.unreachable = False
        fr.else_seen = True

    def op_end(self, i: int = 0, imm: object = None) -> None:
        fr = self.frames[-1]
        sw = self.switches[-1] if self.switches else None
        if sw is not None and fr is sw.after:
            self.finish_switch(sw)
        fallthrough = not fr.unreachable
        if fr.kind == KIND_FUNC:
            if fallthrough:
                self.emit_return()
            self.end_arm(fr)
            self.frames.pop()
            return
        if fallthrough:
            self.store_results(fr)
        if fr.kind == KIND_IF or fr.kind == KIND_BLOCK:
            self.join_end(fr)
        else:
            # (a counted loop's counter changes in its header and its else:)
            self.forget(fr.node, ranges=False)
        self.end_arm(fr)
        self.frames.pop()
        parent = self.frames[-1]
        self.indent = fr.outer_indent
        if fr.pyloop:
            c = fr.counted
            if c is None or fr.head >= 0:
                # Falling off the end of the body leaves the loop.
                self.lines.append("    " * (self.indent + 1) + "break")
                if c is not None and fr.tail > fr.head:
                    self.copy_counted(fr, c)
            else:
                self.lines += self.counted_exit(c, self.indent)
            self.py_depth -= 1
            self.dispatch_after_loop(fr)
        if fr.guard and fr.reached:
            self.lines.append("    " * self.indent + f"if L == {fr.node.id}: L = 0")
        outer = fr.pending - {fr}
        if outer:
            parent.pending |= outer
            parent.need_guard = True
        del self.stack[fr.height :]
        self.stack.extend(var(f"s{fr.height + j}") for j in range(fr.results))
        if fr.kind == KIND_LOOP:
            after = fallthrough
        elif fr.kind == KIND_IF:
            after = fallthrough or fr.reached or fr.then_fell or not fr.else_seen
        else:
            after = fallthrough or fr.reached
        if not after:
            parent.unreachable = True
        if sw is not None and fr.node.case and fr in sw.cases:
            self.capture_case(sw, sw.cases.index(fr))

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
        k = self.shadow.get(x)
        spec = k is None
        if spec:
            k = self.spec[x]
        if n != f"l{x}" or s or not 0 < c < 0x80000000 or c & ((1 << k) - 1):
            return None
        step = f"q{x} + {c >> k}"
        if not spec:
            return f"q{x} = {step} if l{x} >= {c} else {self.shadow_value(x)}"
        return f"q{x} = {step} if q{x} >= 0 and l{x} >= {c} else {self.shadow_value(x)}"

    def has_shadow(self, x: int) -> bool:
        return x in self.shadow or x in self.spec

    def shadow_line(self, x: int) -> str:
        return f"q{x} = {self.shadow_value(x)}"

    def shadow_value(self, x: int) -> str:
        k = self.shadow.get(x)
        if k is not None:
            return f"l{x} >> {k}"
        k = self.spec[x]  # checked: -1 when not aligned (see likely_aligned)
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
        if x is None or self.spec[x] != shift or (k + off) & (size - 1):
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
            return (x, 0) if x in self.spec else (None, 0)
        lin = a.lin
        if lin is None or a.raw is None or not a.rsafe or len(lin[0]) != 1:
            return None, 0
        (n, s, _), k = lin[0][0], lin[1]
        x = _local_index(n)
        return (x, k) if s == 0 and x in self.spec else (None, 0)

    def counted_exit(self, c: Counted, indent: int, last: str | None = None) -> list[str]:
        """The ``else:`` of a counted ``for``: when the range runs out, the
        counter takes the stepped value that ended the loop (``last``: its
        last value, when the loop ran over something else)."""
        ind = "    " * indent
        out = [ind + "else:", ind + f"    l{c.x} = {c.after(last)}"]
        if self.has_shadow(c.x):
            out.append(ind + "    " + self.shadow_line(c.x))
        return out

    def copy_counted(self, fr: Frame, c: Counted) -> None:
        """Turn the ``while True:`` loop just emitted into ``if guard: for
        ... in range(...): body`` ``else: while True: body tail``."""
        lines = self.lines
        h = fr.head
        ind = lines[h][: len(lines[h]) - len(lines[h].lstrip())]
        ts = self.over_sums.get(fr.node.start)
        first = h + 1 if ts is None else h + 2  # (not the sum's line)
        body = ["    " + line for line in lines[first : fr.tail]]
        if not body:
            body = [ind + "        pass"]
        if ts is None:
            var_, last = f"l{c.x}", None
            header = c.header()
        else:
            t, y = ts  # the loop runs over t = x + y
            var_, last = t, f"({t} - l{y})"
            header = c.header(over=f"l{y}")
        out = [ind + f"if {c.guard()}:", ind + f"    for {var_} in {header}:"]
        if self.has_shadow(c.x):
            out.append(ind + "        " + self.shadow_line(c.x))
        out += body
        out += self.counted_exit(c, len(ind) // 4 + 1, last)
        out += [ind + "else:", "    " + lines[h]]
        out += ["    " + line for line in lines[h + 1 :]]
        lines[h:] = out

    def dispatch_after_loop(self, fr: Frame) -> None:
        """After a Python loop ends, continue the multi-level branches that
        left it: the next loop out is their target, or must be left too."""
        if not fr.crossing:
            return
        here: list[Frame] = []
        beyond: list[Frame] = []
        guard_targets: set[Frame] = set()
        for t in fr.crossing:
            hit = None
            for g in reversed(self.frames):
                if g.pyloop or g is t:
                    hit = g
                    break
            if hit is t:
                if t.pyloop:
                    here.append(t)
                else:
                    guard_targets.add(t)
            else:
                beyond.append(t)
        ind = "    " * self.indent
        if here or beyond:
            self.lines.append(ind + "if L:")
            for t in sorted(here, key=lambda f: f.node.id):
                jump = "continue" if t.kind == KIND_LOOP else "break"
                self.lines.append(ind + f"    if L == {t.node.id}: L = 0; {jump}")
            if beyond and guard_targets:
                # Only the targets beyond leave the next loop: a guard
                # target inside it continues here, under `if not L:`.
                ids = " or ".join(f"L == {t.node.id}" for t in sorted(beyond, key=_node_id))
                self.lines.append(ind + f"    if {ids}: break")
            elif beyond:
                self.lines.append(ind + "    break")
        if guard_targets:
            parent = self.frames[-1]
            parent.pending |= guard_targets
            parent.need_guard = True

    # -- branches -------------------------------------------------------------------

    def jump(self, t: Frame) -> list[str]:
        """The statements that transfer control to label ``t`` (values
        already in place)."""
        if t.kind == KIND_FUNC:
            return [self.return_line()]
        t.reached = True
        loops = []
        for g in reversed(self.frames):
            if g is t:
                break
            if g.pyloop:
                loops.append(g)
        if t.pyloop and not loops:
            return ["continue" if t.kind == KIND_LOOP else "break"]
        if t.node.tailbreak and not t.guard and not t.pyloop:
            return ["break"]
        self.uses_L = True
        if not loops:
            self.frames[-1].pending.add(t)
            return [f"L = {t.node.id}"]
        for g in loops:
            g.crossing.add(t)
        return [f"L = {t.node.id}", "break"]

    def branch_lines(self, t: Frame, vals: list[V]) -> list[str]:
        if t.kind == KIND_FUNC:
            return [self.return_line(vals)]
        if vals:
            height = t.height
            lines = self.move_to_slots(height, vals, emit=False)
        else:
            lines = []
        return lines + self.jump(t)

    def label_arity(self, t: Frame) -> int:
        return t.params if t.kind == KIND_LOOP else t.results

    def op_br(self, i: int, label: int) -> None:
        t = self.frames[-1 - label]
        self.branch_facts(t)
        if t.nest:  # in t's own body: the rest of the body is skipped
            t.reached = True
            t.unreachable = True
            return
        n = self.label_arity(t)
        self.flush_unsafe()
        vals = self.stack[len(self.stack) - n :] if n else []
        for line in self.branch_lines(t, vals):
            self.emit(line)
        self.frames[-1].unreachable = True

    def op_br_if(self, i: int, label: int) -> None:
        c = self.pop()
        t = self.frames[-1 - label]
        self.branch_facts(t)
        if t.nest:  # in t's own body: the rest of the body runs if not c
            self.flush_unsafe()
            t.reached = True
            self.emit(f"if not ({self.cond_of(c)}):")
            if not t.nest_open:
                t.base0 = t.base_indent
            t.nest_open.append(len(self.lines) - 1)
            self.indent += 1
            t.base_indent = self.indent
            t.region = False
            return
        n = self.label_arity(t)
        self.flush_unsafe()
        if n:
            st = self.stack
            for k in range(len(st) - n, len(st)):
                st[k] = self.materialize(st[k])
        # (an unsafe condition is evaluated in the `if` itself: everything
        # before it in wasm order has been flushed above)
        vals = self.stack[len(self.stack) - n :] if n else []
        lines = self.branch_lines(t, vals)
        self.emit(f"if {self.cond_of(c)}:")
        for line in lines:
            self.lines.append("    " * (self.indent + 1) + line)
        if lines[-1].startswith("L = "):
            self.frames[-1].need_guard = True

    def op_br_table(self, i: int, imm: tuple) -> None:
        labels, default = imm
        idx = self.pop()
        self.flush_unsafe()
        for label in set(labels) | {default}:
            self.branch_facts(self.frames[-1 - label])
        if not idx.simple:
            idx = self.materialize(idx)
        if i in self.switch_chains:
            self.start_switch(i, idx.e, labels, default)
            return
        t0 = self.frames[-1 - default]
        n = self.label_arity(t0)
        vals = self.stack[len(self.stack) - n :] if n else []
        ranges = self.table_ranges(labels, default)
        code = {}
        for _, _, label in ranges:
            if label not in code:
                code[label] = self.branch_lines(self.frames[-1 - label], vals)
        f = self.frames[-1]
        if f.need_guard:
            self.open_region(f)
        self.emit_tree(idx.e, ranges, code)
        self.frames[-1].unreachable = True

    # -- switches ---------------------------------------------------------------

    def start_switch(self, i: int, idx: str, labels: tuple, default: int) -> None:
        """A ``br_table`` heading a switch chain: the if-tree is emitted once
        every case's code has been translated (see ``finish_switch``)."""
        m = len(self.switch_chains[i]) - 1
        cases = [self.frames[-1 - k] for k in range(m)]
        after = self.frames[-1 - m]
        ranges = self.table_ranges(labels, default)
        code: dict[int, list[str] | int] = {}
        for _, _, label in ranges:
            if label in code:
                continue
            if label < m:
                code[label] = label  # filled by the case's translated code
                self.frames[-1 - label].reached = True
            else:
                code[label] = self.branch_lines(self.frames[-1 - label], [])
        f = self.frames[-1]
        if f.need_guard:
            self.open_region(f)
        sw = Switch(idx, ranges, code, self.indent, self.lines, cases, after)
        self.switches.append(sw)
        self.frames[-1].unreachable = True

    def capture_case(self, sw: Switch, k: int) -> None:
        """After case block ``k`` ends, its case code is translated into a
        buffer of its own, at relative indentation 0."""
        if sw.current is not None:
            sw.buffers[sw.current] = self.lines
        sw.current = k
        self.lines = []
        self.indent = 0
        f = self.frames[-1]
        f.base_indent = 0
        f.arm_start = 0

    def finish_switch(self, sw: Switch) -> None:
        self.switches.pop()
        if sw.current is not None:
            sw.buffers[sw.current] = self.lines
        self.lines = sw.lines
        self.indent = sw.indent
        sw.after.base_indent = sw.after_base
        code: dict = {}
        for label, c in sw.code.items():
            code[label] = sw.buffers.get(c, ["pass"]) if isinstance(c, int) else c
        self.emit_tree(sw.idx, sw.ranges, code)
        sw.after.arm_start = -1

    def table_ranges(self, labels: tuple, default: int) -> list[list[int]]:
        ranges: list[list[int]] = []  # [lo, hi, label]
        for k, label in enumerate(labels):
            if ranges and ranges[-1][2] == label and ranges[-1][1] == k - 1:
                ranges[-1][1] = k
            else:
                ranges.append([k, k, label])
        if ranges and ranges[-1][2] == default:
            ranges[-1][1] = 0xFFFFFFFF
        else:
            ranges.append([len(labels), 0xFFFFFFFF, default])
        return ranges

    def emit_tree(self, idx: str, ranges: list[list[int]], code: dict) -> None:
        """A binary search over index ranges; each leaf is a branch's lines."""
        if len(ranges) == 1:
            prefix = "    " * self.indent
            for line in code[ranges[0][2]]:
                self.lines.append(prefix + line)
            return
        mid = len(ranges) // 2
        self.lines.append("    " * self.indent + f"if {idx} < {ranges[mid][0]}:")
        self.indent += 1
        self.emit_tree(idx, ranges[:mid], code)
        self.indent -= 1
        self.lines.append("    " * self.indent + "else:")
        self.indent += 1
        self.emit_tree(idx, ranges[mid:], code)
        self.indent -= 1

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

    def op_local_get(self, i: int, x: int) -> None:
        t = self.sum_reads.get(i)
        if t is not None:
            # x + y of a loop over t = x + y (the other get and the add are skipped)
            v = V(f"({t} % 4294967296)", frozenset((t,)), raw=t, rbits=33, rsafe=True)
            v.lin = (((t, 0, 0),), 0)
            self.stack.append(v)
            return
        sr = self.shift_reads.get(i)
        if sr is not None:
            # x + C of a shifted counter (the const and add are skipped)
            a, off, lo, hi, step, k = sr
            g = math.gcd(lo, step)
            al = min((g & -g).bit_length() - 1, 3) if g else 3
            names = frozenset((a,))
            if k:
                # a runs over the addresses >> k (see Counted.scale): an
                # access of 2**k bytes indexes its view with a + off >> k
                e = f"({a} << {k})" if off == 0 else f"(({a} << {k}) + {off})"
                v = V(e, names, hi=hi, lo=lo, al=al, raw=e, rbits=33, rsafe=True)
                v.lin = (((a, k, k),), off)
                self.stack.append(v)
                return
            e = a if off == 0 else f"({a} + {off})" if off > 0 else f"({a} - {-off})"
            self.stack.append(V(e, names, simple=off == 0, hi=hi, lo=lo, al=al))
            return
        w = self.virtual.get(x)
        if w is not None:
            self.stack.append(copy.copy(w))
            return
        al = self.read_al.get(i)
        al = self.fixed_al[x] if al is None else al
        f = self.facts.get(_AL_FACT + x)
        if f is not None and f[0] > al:
            al = f[0]
        v = var(f"l{x}", al)
        r = self.counter_range.get(i) or self.facts.get(x)
        if r is not None:
            v.lo, v.hi = r
        self.stack.append(v)

    def op_local_set(self, i: int, x: int) -> None:
        v = self.pop()
        if not self.set_virtual(i, x, v):
            self.assign(f"l{x}", v)
            self.note_range(x, v)
            self.note_alias(x, v)

    def set_virtual(self, i: int, x: int, v: V, tee: bool = False) -> bool:
        """Whether the set (or tee) ``body[i]`` of ``v`` to local ``x`` is
        not written out (see dead_after): then its reads take ``v``."""
        self.virtual.pop(x, None)
        if v.unsafe or not self.dead_after(i, x, v, tee):
            return False
        self.virtual[x] = v
        self.note_range(x, v)
        self.note_alias(x, v, True)
        return True

    def live(self, k: int, x: int) -> bool:
        """Whether local ``x`` may be read after ``body[k]`` starts, before
        it is set again."""
        if self._live is None:
            self._live = _live_in(self.body)
        live = self._live.get(k)
        if live is None:
            # Not a control instruction: from the next one back to it.
            c = k + 1
            while c not in self._live:
                c += 1
            gen, kill = _transfer(self.body, k, c)
            live = gen | (self._live[c] & ~kill)
        return bool(live >> x & 1)

    def dead_after(self, i: int, x: int, v: V, tee: bool = False) -> bool:
        """Whether the value ``local.set x`` (``body[i]``) stores is set
        again in the same straight-line code, read in between (before any
        local it reads changes) at most once, or only as the address
        of accesses it can index a view for (``p + 80`` where p has a
        shadow: ``MVd[q + 10]``), or not set again there but dead where it
        ends (see _live_in). Such a set is not written out: the reads
        take the value itself, and the variable keeps its old value (C's
        ``a = p + 80; a->x += ...; a = p + 88; ...``). ``tee``: the set is
        a ``local.tee``, whose value is read right away."""
        body = self.body
        names = v.names
        viewable = v.lin is not None and (
            any(_local_index(t[0]) in self.shadow for t in v.lin[0])
            and all(t[1] >= 2 or _local_index(t[0]) in self.shadow for t in v.lin[0])
            or self.checked_base(v)[0] is not None
        )
        reads = 0
        changed = False
        if tee and not (viewable and _address_at(body, i)):
            reads = 1  # (the value a tee leaves on the stack)
        for k in range(i + 1, min(len(body), i + _MAX_AHEAD)):
            if k in self.skip:  # (a `for` loop's counting tail: the loop goes on)
                return not self.live(k, x)
            op, imm, _ = body[k]
            if op == 0x21 or op == 0x22:  # local.set, local.tee
                if imm == x:
                    return True
                if f"l{imm}" in names:
                    changed = True  # (the value can no longer be read)
            elif op == 0x20 and imm == x:  # local.get
                if changed:
                    return False
                if not (viewable and _address_at(body, k)):
                    reads += 1
                    if reads > 1:
                        return False
            elif op in _STRAIGHT_STOPS:
                return not self.live(k, x)
        return False  # (too far to look)

    def op_local_tee(self, i: int, x: int) -> None:
        v = self.pop()
        if self.set_virtual(i, x, v, tee=True):
            self.stack.append(copy.copy(v))
            return
        self.assign(f"l{x}", v)
        self.note_range(x, v)
        self.note_alias(x, v)
        w = var(f"l{x}", max(v.al, self.read_al.get(i, 0)))
        if v.hi is not None:
            w.lo, w.hi = v.lo, v.hi
        self.stack.append(w)

    def note_range(self, x: int, v: V) -> None:
        """What a set says of the local's range (and alignment), until the
        next set of it or a join of control flow that another value may come
        from."""
        if v.hi is not None:
            self.facts[x] = (v.lo, v.hi)
        else:
            self.facts.pop(x, None)
        # Its alignment too, kept as (al, -al): joins keep the least.
        if v.al:
            self.facts[_AL_FACT + x] = (v.al, -v.al)
        else:
            self.facts.pop(_AL_FACT + x, None)

    def note_alias(self, x: int, v: V, virtual: bool = False) -> None:
        """A local set to a sum of locals (``p = q + 56``, q with a shadow)
        is, until one of them is set again or a join, that sum: accesses
        through it index the view from q's shadow (``MVd[q0 + 7]``, see
        aligned_view). Kept in ``facts`` under ``~x``."""
        if not self.shadow:
            return  # (no base to index from: nothing to note, nor to scan)
        facts = self.facts
        name = f"l{x}"
        if self.aliased:
            # (a virtual set leaves the variable as it was: aliases of it hold)
            stale = [
                k
                for k, f in facts.items()
                if k < 0 and (k == ~x or not virtual and _reads(f, name))
            ]
            for k in stale:
                del facts[k]
        lin = v.lin
        if (
            lin is not None
            and lin[0]
            and v.raw is not None
            and v.rsafe
            and all(_local_index(t[0]) is not None and t[0] != name for t in lin[0])
            and any(_local_index(t[0]) in self.shadow for t in lin[0])
        ):
            facts[~x] = lin
            self.aliased = True

    def join_end(self, fr: Frame) -> None:
        """The ranges after a block or if: those that hold on every path to
        its end (branches to it, the fall through, for an if its then arm
        and, without an else, its entry), widened to cover each."""
        paths = []
        if fr.facts_br is not None:
            paths.append(fr.facts_br)
        if not fr.unreachable:
            paths.append(self.facts)
        if fr.kind == KIND_IF:
            if not fr.else_seen:
                paths.append(fr.facts_in)
            elif fr.facts_then is not None:
                paths.append(fr.facts_then)
        self.facts = _join_facts(paths)

    def branch_facts(self, t: Frame) -> None:
        """A branch to ``t``: its end is reached with the ranges of here."""
        if t.kind == KIND_BLOCK or t.kind == KIND_IF:
            t.facts_br = (
                dict(self.facts) if t.facts_br is None else _join_facts([t.facts_br, self.facts])
            )

    def forget(self, node: Node, ranges: bool = True) -> None:
        """At a join: the ranges and aliases of the locals ``node`` writes
        no longer hold, nor aliases that read them."""
        facts = self.facts
        if facts:
            for x in node.writes:
                if ranges:
                    facts.pop(x, None)
                    facts.pop(_AL_FACT + x, None)
                facts.pop(~x, None)
            if self.aliased:
                written = {f"l{x}" for x in node.writes}
                for k in [
                    k for k, f in facts.items() if k < 0 and any(t[0] in written for t in f[0])
                ]:
                    del facts[k]

    def op_global_get(self, i: int, x: int) -> None:
        al = self.global_al[x]
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

    # -- memory -------------------------------------------------------------------

    def op_load(self, i: int, op: int, memarg: tuple) -> None:
        a = self.pop()
        off = memarg[1]
        stream = self.stream_loads.get(i)
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
        e = self.checked_load(op, a, off, _LOADS[OPS[op].name].format(a=self.address(a, off)))
        self.push(V(e, a.names, True, hi=_LOAD_HI.get(op)))

    def op_store(self, i: int, op: int, memarg: tuple) -> None:
        v = self.pop()
        a = self.pop()
        self.flush_unsafe()
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
        mask = _NARROW.get(name)
        if mask is not None and (v.hi is None or v.lo < 0 or v.hi > mask):
            # (else the value fits: a byte loaded, a masked value)
            if v.raw is not None and v.rbits <= _RAW_BITS:
                e = v.raw  # the mask does the wrap too
            e = f"({e}) & {mask:#x}"
        stmt = _STORES[name].format(a=self.address(a, off), v=e)
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

    def op_ref_null(self, i: int, imm: int) -> None:
        self.stack.append(const("None"))

    def op_ref_is_null(self, i: int, imm: object) -> None:
        v = self.pop()
        self.push(V(f"({v.e} is None)", v.names, v.unsafe, cond=f"({v.e} is None)"))

    def op_ref_func(self, i: int, x: int) -> None:
        self.stack.append(V(f"F{x}", simple=True))

    # -- constants and numeric -----------------------------------------------------------

    def op_i_const(self, i: int, value: int) -> None:
        self.stack.append(const(str(value)))

    def op_f32_const(self, i: int, bits: int) -> None:
        self.stack.append(const(float_literal(f32_from_bits(bits), bits, 32)))

    def op_f64_const(self, i: int, bits: int) -> None:
        self.stack.append(const(float_literal(f64_from_bits(bits), bits, 64)))

    def numeric(self, op: int, imm: object = None) -> None:
        info = OPS[op]
        sem = _semantics(info.name)
        if sem is None:
            raise TranslationLimit(f"no semantics for {info.name}")
        n = len(info.sig[0])
        args = self.stack[len(self.stack) - n :]
        del self.stack[len(self.stack) - n :]
        tmpl = sem.expr
        if info.name in _WRAPPING:
            self.numeric_wrapping(info.name, sem, args)
            return
        if info.name == "i64.extend_i32_u" and args[0].raw is None:
            v = args[0]  # the same value, its range too
            if v.hi is None:
                # as an i64, below 2**32: shifts and sums of it need no wrap
                v = V(v.e, v.names, v.unsafe, v.cond, v.simple, hi=0xFFFFFFFF, al=v.al)
            self.stack.append(v)
            return
        if n == 1 and args[0].cond is not None and info.name in ("i32.eqz",):
            c = args[0].cond
            self.push(V(f"(0 if {c} else 1)", args[0].names, args[0].unsafe, cond=f"(not {c})"))
            return
        special = _specialized(info.name, args)
        if special is not None:
            e, cond = special
            names = _NO_NAMES.union(*(a.names for a in args))
            self.push(V(e, names, any(a.unsafe for a in args), cond))
            w = 32 if info.name[:3] == "i32" else 64
            if info.name[4:] == "shr_s" and int(args[1].e) % w == w - 1:
                self.stack[-1].sign = args[0].e
            return
        if info.name in _UNSIGNED_DIVREM and _nonzero_const(args[1]):
            # A constant non-zero divisor cannot trap.
            sem = Sem("{0} // {1}" if "div" in info.name else "{0} % {1}")
            tmpl = sem.expr
        for k in range(n):
            if not args[k].simple and tmpl.count(f"{{{k}}}") > 1:
                args[k] = self.materialize(args[k])
        es = [a.e for a in args]
        if tmpl.startswith("_n_r32(") and _balanced_outer(tmpl[6:]):
            # f32 arithmetic: _n_r32's body as two statements, without the
            # call (its array cell rounds the double to f32). The cell is
            # shared, but no thread switch can fall between the store and the
            # load: CPython checks for one only at calls, function entries and
            # backward jumps, and the second statement has none of them.
            if any(a.unsafe for a in args):
                self.flush_unsafe()
            t = self.fresh()
            self.emit(f"_r32c[0] = {tmpl[6:].format(*es, imm=_literal(imm))}")
            self.emit(f"{t} = _r32c[0]")
            v = var(t)
            v.quiet = True
            self.stack.append(v)
            return
        names = _NO_NAMES.union(*(a.names for a in args))
        unsafe = sem.may_trap or any(a.unsafe for a in args)
        cond = getattr(sem, "cond", None)
        e = tmpl.format(*es, imm=_literal(imm))
        if not (e.startswith("(") and _balanced_outer(e)):
            e = f"({e})"
        v = V(
            e,
            names,
            unsafe,
            cond.format(*es) if cond else None,
            hi=1 if cond else _bound(info.name, args),
        )
        op = _F64_BINOPS.get(info.name)
        if op is not None:
            v.binop = (op, args[0], args[1])
        self.push(v)

    def numeric_wrapping(self, name: str, sem: Any, args: list[V]) -> None:
        """Integer operations whose result's low bits depend only on the
        operands' low bits: chains of them wrap once, at the end, instead of
        after every operation (``((a + b) & M) ^ c) & M`` becomes
        ``((a + b) ^ c) & M``)."""
        width = 32 if name[:3] == "i32" else 64
        in_width = 64 if name == "i32.wrap_i64" else width
        if name[4:] == "and":
            # A sign mask (x >>s (bits - 1)) and y: y where x is negative.
            for m, o in (args, args[::-1]):
                if m.sign is not None:
                    e = f"({o.e} if {m.sign} >= {1 << (width - 1)} else 0)"
                    self.push(V(e, m.names | o.names, m.unsafe or o.unsafe))
                    return
        if name[4:] == "and" or name == "i32.wrap_i64":
            # A mask that keeps every bit the value can have: the value.
            a, b = args if len(args) == 2 else (args[0], const(str(M32)))
            if _int_const(a):
                a, b = b, a
            if _int_const(b) and a.hi is not None and a.raw is None and a.hi <= int(b.e):
                m = int(b.e)
                if not m & (m + 1):
                    self.stack.append(a)
                    return
        n0 = len(self.stack)
        self._numeric_wrapping(name, sem, args, width, in_width)
        op = _ALIGN_OPS.get(name)
        if op is not None and len(self.stack) > n0:
            b = args[1]
            shift = int(b.e) & 31 if op == _SHL_OP and _int_const(b) else None
            self.stack[-1].al = combine(op, args[0].al, b.al, shift)

    def _numeric_wrapping(
        self, name: str, sem: Any, args: list[V], width: int, in_width: int
    ) -> None:
        mask = "0xFFFFFFFF" if width == 32 else "0xFFFFFFFFFFFFFFFF"
        bounded = _bounded(name, args, width)
        if bounded is not None:
            # The result cannot leave the type's range: no wrap at all.
            e, hi, lo = bounded
            names = _NO_NAMES.union(*(a.names for a in args))
            v = V(e, names, any(a.unsafe for a in args), hi=hi, lo=lo)
            if name == "i32.add" and lo >= 0 and any(a.lin is not None for a in args):
                # A sum over a scaled counter (see Counted.scaled): exact,
                # its terms kept for the accesses it addresses.
                v.lin = _lin_combine("add", args)
                if v.lin is not None:
                    v.raw, v.rbits, v.rsafe = e, 33, True
            self.push(v)
            return
        op = name[4:]
        if width == 32 and (op == "add" or op == "sub"):
            v = self.lin_decrement(op, args)
            if v is not None:
                self.push(v)
                return
        rs: list[str] = []
        bs: list[int] = []
        loose = False
        if op in ("rotl", "rotr"):
            # The operand exact (wrapped), once (see numeric/semantics.py).
            v = args[0]
            raw = f"({sem.raw.format(v.e, args[1].e)})"
            names = v.names | args[1].names
            unsafe = v.unsafe or args[1].unsafe
            self.push(V(f"({raw} & {mask})", names, unsafe, raw=raw, rbits=2 * width + 1))
            return
        rsafe = width == 32 and op in ("add", "mul", "shl")
        for a in args:
            if a.raw is not None and a.rbits <= _RAW_BITS:
                rs.append(a.raw)
                bs.append(a.rbits)
                loose = True
                rsafe = rsafe and a.rsafe
            else:
                rs.append(a.e)
                bs.append(in_width)
                if _int_const(a) and int(a.e) >= 0x80000000 or a.names & self.suspect:
                    rsafe = False  # adding a "negative" number: wraps
        names = _NO_NAMES.union(*(a.names for a in args))
        unsafe = any(a.unsafe for a in args)
        if op in ("and", "or", "xor"):
            raw = f"({rs[0]} {_BITOP[op]} {rs[1]})"
            # An and with one wrapped operand is wrapped; or/xor of wrapped
            # operands are.
            exact = not loose or (op == "and" and not all(a.raw is not None for a in args))
            if exact:
                hi = None
                if op == "and":
                    his = [a.hi for a in args if a.hi is not None and a.raw is None]
                    hi = min(his) if his else None
                self.push(V(raw, names, unsafe, hi=hi))
                return
            rbits = max(bs)
        elif op == "wrap_i64":
            raw, rbits = rs[0], bs[0]
        else:
            c = args[1] if op == "shl" else None
            if c is not None and c.hi is not None and c.hi < width and c.raw is None:
                # A count known to be below the width needs no mask.
                raw = f"({rs[0]} << {c.e})"
            else:
                raw = f"({sem.raw.format(*rs)})"
            if op in ("add", "sub") and not loose:
                e = _wrap_by_compare(op, args, width)
                if e is None and width == 32:
                    # Exact operands: the result is off by at most 2**32.
                    # CPython's % returns a non-negative dividend below the
                    # divisor as it is, after comparing sizes: cheaper than
                    # a comparison, a multi-digit & or a walrus.
                    e = f"({raw} % 4294967296)"
                elif e is None:
                    # 64 bits (hashes, mostly): a wrap is as likely as not, and
                    # a % that has to divide costs more than one comparison.
                    t = self.fresh()
                    m = 1 << width
                    if op == "add":
                        e = f"({t} - {m} if ({t} := {raw}) >= {m} else {t})"
                    else:
                        e = f"({t} + {m} if ({t} := {raw}) < 0 else {t})"
                if e is not None:
                    # Cheaper than masking when the result must be exact;
                    # chains still take the raw form.
                    rbits = max(bs) + 1
                    self.push(V(e, names, unsafe, raw=raw, rbits=rbits, rsafe=rsafe))
                    if rsafe:
                        self.stack[-1].lin = _lin_combine(op, args)
                    return
            if op == "mul":
                rbits = bs[0] + bs[1]
            elif op == "shl":
                rbits = bs[0] + (width - 1 if c is None or c.hi is None else min(c.hi, width - 1))
            else:  # add, sub
                rbits = max(bs) + 1
        lin = _lin_combine(op, args) if rsafe else None
        if op == "add" and lin is not None and width == 32 and rbits <= 40:
            # A sum of pointers, indexes and offsets: below 2**32 but for a
            # rare wrap, where % costs a size compare and & a new int.
            e = f"({raw} % 4294967296)"
        else:
            e = f"({raw} & {mask})"
        self.push(V(e, names, unsafe, raw=raw, rbits=rbits, rsafe=rsafe))
        self.stack[-1].lin = lin

    def lin_decrement(self, op: str, args: list[V]) -> V | None:
        """``x - d`` for an i32 ``x + K`` (K >= 2**31: ``d = 2**32 - K``,
        how compilers write ``p - 8``) or ``x - d``, where x is a sum of
        non-negative terms whose constant is at least d (``sp + 1120 +
        (i << 2) - 8``): still such a sum, the constant lowered, so its
        accesses keep the unwrapped forms (see address(), shadow_index())."""
        x, k = args
        if op == "add" and _int_const(x):
            x, k = k, x
        if not _int_const(k) or x.raw is None or not x.rsafe or x.lin is None:
            return None
        d = int(k.e)
        if op == "add":
            if d < 0x80000000:
                return None
            d = (1 << 32) - d
        terms, c = x.lin
        if not terms or c < d or x.rbits > _RAW_BITS:
            return None
        raw = f"({x.raw} - {d})"
        v = V(f"({raw} % 4294967296)", x.names, x.unsafe, raw=raw, rbits=x.rbits, rsafe=True)
        v.lin = (terms, c - d)
        return v

    # -- SIMD ------------------------------------------------------------------------------

    def op_v128_const(self, i: int, value: int) -> None:
        self.stack.append(const(str(value)))

    def op_simd(self, i: int, op: int, imm: object) -> None:
        """A SIMD instruction with an immediate (lane index or shuffle)."""
        self.numeric(op, imm)

    def op_simd_mem(self, i: int, op: int, imm: tuple) -> None:
        """A SIMD load or store: the template gets the effective address as
        ``{0}``; stores and lane stores are statements."""
        info = OPS[op]
        sem = _semantics(info.name)
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


def _literal(imm: object) -> str:
    """An immediate as Python source: only ints and tuples of ints."""
    if imm is None:
        return ""
    if isinstance(imm, tuple):
        return "(" + ", ".join(str(int(x)) for x in imm) + ",)"
    return str(int(imm))  # type: ignore[call-overload]


def _balanced_outer(e: str) -> bool:
    """Whether ``e`` is one parenthesized group (its first paren closes at
    the end)."""
    depth = 0
    for k, ch in enumerate(e):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return k == len(e) - 1
    return False


class TranslationLimit(Exception):
    """A function's structure exceeds what the Python compiler accepts."""


def float_literal(value: float, bits: int, width: int) -> str:
    """A Python expression for a float constant; exact, NaN payloads kept."""
    if value != value:
        return f"_f32nan({bits})" if width == 32 else f"_f64nan({bits})"
    if value in (float("inf"), float("-inf")):
        return "_inf" if value > 0 else "(-_inf)"
    r = repr(value)
    return f"({r})" if r.startswith("-") else r


# Operations handled by Translator.numeric_wrapping, and the largest operand
# (in bits) they take unwrapped: bounds the size of intermediate ints (a few
# CPython digits cost less than a wrap per operation: FNV-style multiply
# chains run 6% faster with 256 than with 80).
_WRAPPING = frozenset(
    [
        f"{t}.{op}"
        for t in ("i32", "i64")
        for op in ("add", "sub", "mul", "shl", "and", "or", "xor", "rotl", "rotr")
    ]
    + ["i32.wrap_i64"]
)
_RAW_BITS = 256
_BITOP = {"and": "&", "or": "|", "xor": "^"}

_UNSIGNED_DIVREM = frozenset(["i32.div_u", "i64.div_u", "i32.rem_u", "i64.rem_u"])


def _specialized(name: str, args: list[V]) -> tuple[str, str | None] | None:
    """Cheaper forms of some integer instructions for variable and constant
    operands (CPython's ints below 2**30 take fast paths that the generic
    templates' 32- and 64-bit masks and sign flips miss). Returns the value
    expression and, for comparisons, the boolean one; None to use the
    generic template."""
    t, _, op = name.partition(".")
    if t not in ("i32", "i64") or len(args) != 2:
        return None
    width = 32 if t == "i32" else 64
    s = 1 << (width - 1)
    a, b = args
    if op in ("lt_s", "gt_s", "le_s", "ge_s"):
        if not (a.simple and b.simple):
            return None
        cond = _signed_compare(op, a, b, width)
        return None if cond is None else (f"(1 if {cond} else 0)", cond)
    if op == "shr_s" and a.simple and _int_const(b) and not _int_const(a):
        k = int(b.e) & (width - 1)
        if k == 0:
            return a.e, None
        hi = ((1 << k) - 1) << (width - k)
        x = a.e
        return f"({x} >> {k} if {x} < {s} else ({x} >> {k}) | {hi})", None
    return None


def _signed_compare(op: str, a: V, b: V, width: int) -> str | None:
    """A signed comparison of two variables or a variable and a constant,
    without flipping sign bits."""
    m = 1 << width
    s = m >> 1
    if _int_const(a) and not _int_const(b):
        a, b = b, a
        op = {"lt_s": "gt_s", "gt_s": "lt_s", "le_s": "ge_s", "ge_s": "le_s"}[op]
    if _int_const(a):
        return None  # both constant: CPython folds the generic form
    x = a.e
    if _int_const(b):
        c = int(b.e)
        if op in ("gt_s", "le_s"):
            # x > c is x >= c + 1, x <= c is x < c + 1 (c not the maximum)
            if c == s - 1:
                return None
            c = (c + 1) % m
            op = "ge_s" if op == "gt_s" else "lt_s"
        if op == "lt_s":
            if c == 0:
                return f"({x} >= {s})"
            if c < s:
                return f"({x} < {c} or {x} >= {s})"
            return f"({s} <= {x} < {c})"
        # ge_s
        if c == 0:
            return f"({x} < {s})"
        if c < s:
            return f"({c} <= {x} < {s})"
        return f"({x} >= {c} or {x} < {s})"
    y = b.e
    # Same sign half: the unsigned order; otherwise the sign decides.
    same = f"({x} ^ {y}) < {s}"
    if op == "lt_s":
        return f"(({x} < {y}) if {same} else ({x} >= {s}))"
    if op == "gt_s":
        return f"(({x} > {y}) if {same} else ({y} >= {s}))"
    if op == "le_s":
        return f"(({x} <= {y}) if {same} else ({x} >= {s}))"
    return f"(({x} >= {y}) if {same} else ({y} >= {s}))"


def _wrap_by_compare(op: str, args: list[V], width: int) -> str | None:
    """``x + c`` / ``x - c`` (``x`` a variable, ``c`` a constant) wrapped
    with a comparison instead of a mask: ``x + c if x < K else x - K``. For
    CPython's ints below 2**30 this avoids a multi-digit ``&``."""
    a, b = args
    if op == "add" and _int_const(a) and _int_const(b) is False:
        a, b = b, a
    if not (a.simple and _int_const(a) is False and _int_const(b)):
        return None
    x, c = a.e, int(b.e)
    m = 1 << width
    if op == "sub":
        c = (m - c) % m
    if c == 0:
        return x
    if width == 32:
        # (see _numeric_wrapping: % of a dividend below 2**32 is a compare)
        return f"(({x} + {c}) % {m})" if c < m >> 1 else f"(({x} - {m - c}) % {m})"
    if c < m >> 1:  # add a small positive constant
        k = m - c
        return f"({x} + {c} if {x} < {k} else {x} - {k})"
    d = m - c  # adding c is subtracting d
    return f"({x} - {d} if {x} >= {d} else {x} + {c})"


def _int_const(v: V) -> bool:
    """Whether ``v`` is an integer constant (False for a variable)."""
    return v.simple and v.e.isdigit()


def _nonzero_const(v: V) -> bool:
    return v.simple and v.e.isdigit() and int(v.e) != 0


_F32_LOAD = 0x2A
# Loads and stores that have a typed view of memory (MemoryInstance.views):
# opcode -> (view, access size). A store's value is canonical, as the view
# requires (an unsigned integer of the access width, or a float).
_VIEWS = {
    0x2A: ("MVf", 4),  # f32.load
    0x38: ("MVf", 4),  # f32.store
    0x28: ("MVI", 4),  # i32.load
    0x29: ("MVQ", 8),  # i64.load
    0x2B: ("MVd", 8),  # f64.load
    0x2F: ("MVH", 2),  # i32.load16_u
    0x33: ("MVH", 2),  # i64.load16_u
    0x35: ("MVI", 4),  # i64.load32_u
    0x36: ("MVI", 4),  # i32.store
    0x37: ("MVQ", 8),  # i64.store
    0x39: ("MVd", 8),  # f64.store
}


# Opcode -> the alignment (log2 of the size) its typed view needs.
_VIEW_SHIFT = {op: size.bit_length() - 1 for op, (_, size) in _VIEWS.items()}
_MARK = re.compile("\x00([0-9]+)\x00")
# shared_products: a rotation's product of a local, the statements it applies
# to (``x = ``, ``MVI[...] = ``, ``return ``) and what makes Python skip or
# reorder a part of the value.
_PRODUCT = re.compile(r"(?<![\w)\]])\([lqt][0-9]+ \* (?:4294967297|18446744073709551617)\)")
_SIMPLE_STMT = re.compile(r"(?:return |[A-Za-z_][0-9A-Za-z_]*(?:\[[^=]*\])? = )")
_UNORDERED = re.compile(r" (?:if|else|and|or|not|<|>|<=|>=|==|!=|is|in) ")
# i32 operators whose result's alignment follows from their operands' (align.py).
_SHL_OP = 0x74
_ALIGN_OPS = {
    "i32.add": 0x6A,
    "i32.sub": 0x6B,
    "i32.mul": 0x6C,
    "i32.and": 0x71,
    "i32.or": 0x72,
    "i32.xor": 0x73,
    "i32.shl": _SHL_OP,
}
_CALL = re.compile(r"([A-Za-z_][A-Za-z_0-9]*)\(")
# Calls a retried statement may make: memory access and pure numeric helpers.
_PURE_CALL = re.compile(r"_ld\w*|_st\w*|_n_\w+|_f32nan|_f64nan|bit_length|int|float|abs")
_COMPOUND = ("if ", "elif ", "while ", "else", "try", "except", "for ", "raise ")


def _retryable(line: str) -> bool:
    """Whether a statement may run twice when its first run raised at a
    memory access: a simple statement whose only calls are pure helpers
    (an assignment or store happens last, after every access)."""
    if line.startswith(_COMPOUND):
        return False
    return all(_PURE_CALL.fullmatch(name) for name in _CALL.findall(line))


# Upper bounds of narrow unsigned loads: i32/i64 load8_u, load16_u, i64.load32_u.
_LOAD_HI = {0x2D: 0xFF, 0x31: 0xFF, 0x2F: 0xFFFF, 0x33: 0xFFFF, 0x35: 0xFFFFFFFF}


# facts: a local's known alignment is under _AL_FACT + x (its range under x,
# its alias under ~x).
_AL_FACT = 1 << 24


def _join_facts(paths: list[dict[int, Any]]) -> dict[int, Any]:
    """The ranges of locals known on each of ``paths``, widened to cover all;
    the aliases (negative keys) that every path has."""
    if not paths:
        return {}
    joined = dict(paths[0])
    for p in paths[1:]:
        for x, f in list(joined.items()):
            r = p.get(x)
            if r is None or (x < 0 and r != f):
                del joined[x]
            elif r != f:
                joined[x] = (min(f[0], r[0]), max(f[1], r[1]))
    return joined


def _reads(lin: tuple[tuple[tuple[str, int, int], ...], int], name: str) -> bool:
    return any(t[0] == name for t in lin[0])


def _bound(name: str, args: list[V]) -> int | None:
    """An upper bound of the result of a non-wrapping operation, if it is
    known to be small (bit counts, shifts right and remainders by
    constants)."""
    op = name[4:]
    if op in ("clz", "ctz", "popcnt"):
        return 32 if name[:3] == "i32" else 64
    if op in ("shr_u", "rem_u") and _int_const(args[1]):
        c = int(args[1].e)
        if op == "rem_u":
            return c - 1 if c else None
        full = 0xFFFFFFFF if name[:3] == "i32" else 0xFFFFFFFFFFFFFFFF
        top = full if args[0].hi is None else args[0].hi
        return top >> (c & (31 if name[:3] == "i32" else 63))
    return None


def _bounded(name: str, args: list[V], width: int) -> tuple[str, int, int] | None:
    """``(expression, upper bound, lower bound)`` of an
    ``add``/``sub``/``mul``/``shl`` whose operands' bounds keep the exact
    result within ``width`` bits, or of an ``x + c``/``x - c`` whose range
    of ``x`` makes it always wrap around."""
    op = name[4:]
    if op not in ("add", "sub", "mul", "shl") or name == "i32.wrap_i64":
        return None
    a, b = args
    limit = 1 << width
    if op in ("add", "sub"):
        shifted = _shifted_range(op, a, b, limit)
        if shifted is not None:
            return shifted
    if op == "sub":
        # c - v with v <= c: never below zero.
        if _int_const(a) and b.hi is not None and b.hi <= int(a.e):
            x = _clz_operand(b.e, width) if int(a.e) == width else None
            if x is not None:
                # width - clz(x): the bit length (malloc's size classes)
                return f"{x}.bit_length()", width, 0
            return f"({a.e} - {b.e})", int(a.e), 0
        return None
    if a.hi is None or (b.hi is None and op != "shl"):
        return None
    if op == "add":
        hi = a.hi + b.hi
        e = f"({a.e} + {b.e})"
    elif op == "mul":
        hi = a.hi * b.hi
        e = f"({a.e} * {b.e})"
    elif _int_const(b):
        k = int(b.e) & (width - 1)
        hi = a.hi << k
        e = f"({a.e} << {k})"
    elif b.hi is not None and b.hi < width and b.raw is None:
        hi = a.hi << b.hi
        e = f"({a.e} << {b.e})"
    else:  # a variable shift count: at most width - 1
        hi = a.hi << (width - 1)
        n = b.raw if b.raw is not None and b.rbits <= _RAW_BITS else b.e  # (its low bits)
        e = f"({a.e} << ({n} & {width - 1}))"
    return (e, hi, 0) if hi < limit else None


def _clz_operand(e: str, width: int) -> str | None:
    """``(x)`` of an expression ``(width - (x).bit_length())`` (a clz)."""
    pre, suf = f"({width} - ", ".bit_length())"
    if e.startswith(pre) and e.endswith(suf):
        x = e[len(pre) : -len(suf)]
        if _balanced_outer(x):
            return x
    return None


def _shifted_range(op: str, a: V, b: V, limit: int) -> tuple[str, int, int] | None:
    """``x + c`` or ``x - c`` (``x`` with a known range, ``c`` a constant)
    as one exact operation when the range says whether it wraps around."""
    if op == "add" and _int_const(a) and not _int_const(b):
        a, b = b, a
    if a.hi is None or not a.lo or not _int_const(b) or _int_const(a):
        return None
    c = int(b.e)
    if op == "sub":
        c = (limit - c) % limit
    lo, hi = a.lo + c, a.hi + c
    if lo >= limit:  # always wraps: subtract
        d = limit - c
        return f"({a.e} - {d})", hi - limit, lo - limit
    if hi < limit:  # never wraps
        return f"({a.e} + {c})", hi, lo
    return None


def _lin_of(v: V) -> tuple[tuple[tuple[str, int, int], ...], int] | None:
    """V.lin of a value used as it is: a constant, or one term."""
    if v.e.isdigit():
        return (), int(v.e)
    return ((v.e, 0, v.al),), 0


def _lin_combine(op: str, args: list[V]) -> tuple[tuple[tuple[str, int, int], ...], int] | None:
    """V.lin of the raw sum or left shift of ``args`` (each taken as its
    raw form if it has one, as in _numeric_wrapping)."""
    a, b = (v.lin if v.raw is not None and v.rbits <= _RAW_BITS else _lin_of(v) for v in args)
    if a is None or b is None:
        return None
    if op == "add":
        return a[0] + b[0], a[1] + b[1]
    if op == "shl" and _int_const(args[1]):
        k = int(args[1].e) & 31
        return tuple((n, s + k, al) for n, s, al in a[0]), a[1] << k
    return None


def _local_index(e: str) -> int | None:
    """``x`` for an expression that is the local ``l<x>``, else None."""
    return int(e[1:]) if e[0] == "l" and e[1:].isdigit() else None


def _offset(e: str, off: int) -> str:
    """Address expression ``e`` plus a memarg offset (never wrapped: the
    effective address is a 33-bit sum)."""
    return f"{e} + {off}" if off else e


def _node_id(f: Frame) -> int:
    return f.node.id


def _negative_locals(body: list, sets: list[int]) -> set[int]:
    """i32 locals that may hold "negative" numbers used in additions: set to
    a constant >= 2**31, or from such a local (copied, or plus/minus
    something: a loop counter running from -32768 up to 0). Sums with them
    are expected to wrap, so their addresses keep the wrapped form (see
    address()). (``x + 0xFFFFFFFF`` is ``x - 1``: not itself negative.)
    ``sets`` are the indices of the body's local.set/local.tee."""
    sus: set[int] = set()
    changed = True
    while changed:
        changed = False
        for k in sets:
            x = body[k][1]
            if x in sus or not k:
                continue
            p1 = body[k - 1]
            hit = (p1[0] == 0x41 and p1[1] >= 0x80000000) or (
                p1[0] in (0x20, 0x22) and p1[1] in sus
            )
            if not hit and p1[0] in (0x6A, 0x6B) and k >= 3:  # i32.add, i32.sub
                for q in (body[k - 2], body[k - 3]):
                    if q[0] in (0x20, 0x22) and q[1] in sus:
                        hit = True
            if hit:
                sus.add(x)
                changed = True
    return sus


def _local_writes(body: list) -> tuple[set[int], list[int]]:
    """One pass over the body: the locals every read of which a set of them
    precedes in the same or an enclosing block (every path to the read
    passes the set: structured control flow enters a block only at its
    start, and a branch back to a loop restarts it before the set), which
    need no zero initialisation at entry; and the indices of all sets and
    tees."""
    # covered: the locals set so far in an open block; opened[d]: those
    # whose first such set is in block d (no longer covered when it ends).
    covered: set[int] = set()
    opened: list[list[int]] = [[]]
    unsafe: set[int] = set()  # read where the initial zero may show
    written: set[int] = set()
    sets: list[int] = []
    # Until the first branch or join, code runs on every path: its sets
    # cover the rest of the function, whatever blocks they are in.
    prefix = True
    for k, (op, imm, _) in enumerate(body):
        if op == 0x20:  # local.get
            if imm not in covered:
                unsafe.add(imm)
        elif op == 0x21 or op == 0x22:  # local.set, local.tee
            sets.append(k)
            written.add(imm)
            if imm not in covered:
                covered.add(imm)
                opened[0 if prefix else -1].append(imm)
        elif op == 0x02:  # block
            opened.append([])
        elif op == 0x03 or op == 0x04:  # loop, if
            prefix = False
            opened.append([])
        elif prefix and op in _PREFIX_ENDS:
            prefix = False
        if op == 0x05 or (op == 0x0B and len(opened) > 1):  # else, end
            prefix = False
            covered.difference_update(opened[-1])
            if op == 0x05:  # the then arm's sets do not count in the else arm
                opened[-1] = []
            else:
                opened.pop()
    return written - unsafe, sets


# Control instructions that end the straight-line entry of a function.
_PREFIX_ENDS = frozenset((0x00, 0x0C, 0x0D, 0x0E, 0x0F))


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


_F32_STORE = 0x38
_BYTE_LOADS = frozenset((0x2D, 0x31))  # i32.load8_u, i64.load8_u
# What a byte stream's body may hold besides its byte loads (byte_stream):
# locals, global.get, constants, loads, and the numeric operators that
# cannot trap (not integer division or remainder, nor float truncation).
_STREAM_SAFE = frozenset(
    {0x1A, 0x1B, 0x20, 0x21, 0x22, 0x23, 0x41, 0x42, 0x43, 0x44}
    | set(range(0x28, 0x36))
    | set(range(0x45, 0xC5))
    - {0x6D, 0x6E, 0x6F, 0x70, 0x7F, 0x80, 0x81, 0x82}
    - set(range(0xA8, 0xB2))
)
# dead_after: how far it looks, and what ends straight-line code (the
# control instructions; _live_in walks these).
_MAX_AHEAD = 200
_STRAIGHT_STOPS = frozenset((0x00, 0x02, 0x03, 0x04, 0x05, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F))


def _transfer(body: list, lo: int, hi: int) -> tuple[int, int]:
    """(read, set): the locals (bit masks) that ``body[lo:hi]``, straight-line
    code, reads before setting, and sets; live before it is ``read | (live
    after & ~set)``."""
    gen = kill = 0
    for k in range(hi - 1, lo - 1, -1):
        op = body[k][0]
        if op == 0x20:
            gen |= 1 << body[k][1]
        elif op == 0x21 or op == 0x22:
            b = 1 << body[k][1]
            gen &= ~b
            kill |= b
    return gen, kill


def _live_in(body: list) -> dict[int, int]:
    """For each control instruction, the locals (a bit mask) whose value may
    be read after it starts, before being set again: one backward walk over
    the structured control flow, each loop's body walked again until its
    header's set is stable. (A ``local.tee`` sets; a branch brings the
    target's set: after a block's end, at a loop's start; ``return`` and
    ``unreachable`` none.) The locals read and set between two control
    instructions are composed once into a (read, set) pair of masks, so the
    walk visits only control instructions. See Translator.live for the
    others."""
    ctrl = [k for k, ins in enumerate(body) if ins[0] in _STRAIGHT_STOPS]
    n = len(ctrl)
    # before[p]: (read, set) of the straight-line code before ctrl[p]
    before: list[tuple[int, int]] = []
    prev = -1
    for c in ctrl:
        before.append(_transfer(body, prev + 1, c))
        prev = c
    end_of: dict[int, int] = {}  # a loop's position in ctrl -> its end's
    start_of: dict[int, int] = {}  # an end's index in body -> its construct's
    opened: list[int] = []
    for p, k in enumerate(ctrl):
        op = body[k][0]
        if op == 0x02 or op == 0x03 or op == 0x04:
            opened.append(p)
        elif op == 0x0B and opened:
            q = opened.pop()
            start_of[k] = ctrl[q]
            end_of[q] = p
    live_in: dict[int, int] = {}
    header: dict[int, int] = {}
    after: dict[int, int] = {}  # a loop's end -> the set after it
    labels: list[int] = []
    arms: list[list[int]] = []  # per if: [after its end, at its else arm's start]
    live = 0
    p = n - 1
    while p >= 0:
        k = ctrl[p]
        op, imm, _ = body[k]
        if op == 0x0B:
            s = start_of.get(k, -1)
            kind = body[s][0] if s >= 0 else 0x02
            if kind == 0x03:
                after[k] = live
                labels.append(header.get(s, 0))
            else:
                labels.append(live)
                if kind == 0x04:
                    arms.append([live, live])
        elif op == 0x05:
            arms[-1][1] = live
            live = arms[-1][0]
        elif op == 0x02:
            labels.pop()
        elif op == 0x03:
            labels.pop()
            if header.get(k, 0) != live:
                # A branch back brings more: walk the body again.
                header[k] = live
                q = end_of[p]
                live = after[ctrl[q]]
                p = q
                continue
        elif op == 0x04:
            labels.pop()
            live |= arms.pop()[1]
        elif op == 0x0C:
            live = labels[-1 - imm]
        elif op == 0x0D:
            live |= labels[-1 - imm]
        elif op == 0x0E:
            targets, default = imm
            live = 0
            for d in {*targets, default}:
                live |= labels[-1 - d]
        else:  # return, unreachable
            live = 0
        live_in[k] = live
        gen, kill = before[p]
        live = gen | (live & ~kill)
        p -= 1
    return live_in


def _address_at(body: list, k: int) -> bool:
    """Whether the value ``body[k]`` pushes is the address of a load right
    after it, or of a store whose value is the tree that follows it; or
    that value plus a constant is (``p + 4``: an unwrapped sum, indexed the
    same way)."""
    n = len(body)
    if k + 2 < n and body[k + 1][0] == 0x41 and body[k + 2][0] == 0x6A:
        if 0 <= body[k + 1][1] < 0x80000000:
            k += 2
    op = body[k + 1][0] if k + 1 < n else None
    if op in _MEM_LOADS:
        return True
    for s in range(k + 2, min(n, k + _MAX_AHEAD)):
        op = body[s][0]
        if op in _STRAIGHT_STOPS:
            return False
        if op in _MEM_STORES and address_end(body, s) == k:
            return True
    return False


_MEM_LOADS = {op for op, info in OPS.items() if info.imm == "memarg" and info.name in _LOADS}
_MEM_STORES = {op for op, info in OPS.items() if info.imm == "memarg" and info.name in _STORES}


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
        if op >> 8 != 0xFD:
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
