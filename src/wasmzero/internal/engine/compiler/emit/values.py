"""The emitter of values on the stack as Python expressions: the output buffer, materialising
values into temporaries, flushing pending reads before effects.
"""

from __future__ import annotations

import re

from ....wasm.types import F32, F64, I32, I64, V128
from ..passes.align import const_alignment
from ..passes.counters import Counted
from ..passes.structure import Node

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


# f64 operations a store may apply in place (see op_store).
_F64_BINOPS = {"f64.add": "+", "f64.sub": "-", "f64.mul": "*"}


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
        # Known zero low bits of an i32 value (see passes/align.py).
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
        self.nest = False  # lowered as nested `if not cond:` (see passes/structure.py)
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


_MARK = re.compile("\x00([0-9]+)\x00")


# shared_products: a rotation's product of a local, the statements it applies
# to (``x = ``, ``MVI[...] = ``, ``return ``) and what makes Python skip or
# reorder a part of the value.
_PRODUCT = re.compile(r"(?<![\w)\]])\([lqt][0-9]+ \* (?:4294967297|18446744073709551617)\)")


_SIMPLE_STMT = re.compile(r"(?:return |[A-Za-z_][0-9A-Za-z_]*(?:\[[^=]*\])? = )")


_UNORDERED = re.compile(r" (?:if|else|and|or|not|<|>|<=|>=|==|!=|is|in) ")


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


def _local_index(e: str) -> int | None:
    """``x`` for an expression that is the local ``l<x>``, else None."""
    return int(e[1:]) if e[0] == "l" and e[1:].isdigit() else None


class ValueEmitter:
    """Values on the stack as Python expressions: the output buffer, materialising
    values into temporaries, flushing pending reads before effects.

    A part of ``Translator`` (translate.py): its methods use the
    translator's state."""

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
