"""The emitter of constants, references, numeric and SIMD instructions."""

from __future__ import annotations

from typing import Any

from ....numeric.bits import f32_from_bits, f64_from_bits
from ....numeric.semantics import Sem
from ....wasm.instructions import OPS
from ...semantics import semantics
from ..opcodes import _I32_ADD, _I32_AND, _I32_MUL, _I32_OR, _I32_SUB, _I32_XOR, _SHL_OP
from ..passes.align import combine
from .facts import _RAW_BITS, _bound, _bounded, _int_const, _lin_combine, _nonzero_const
from .values import (
    _F64_BINOPS,
    _NO_NAMES,
    M32,
    TranslationLimit,
    V,
    _balanced_outer,
    _literal,
    const,
    float_literal,
    var,
)

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


# i32 operators whose result's alignment follows from their operands' (passes/align.py).
_ALIGN_OPS = {
    "i32.add": _I32_ADD,
    "i32.sub": _I32_SUB,
    "i32.mul": _I32_MUL,
    "i32.and": _I32_AND,
    "i32.or": _I32_OR,
    "i32.xor": _I32_XOR,
    "i32.shl": _SHL_OP,
}


class NumericEmitter:
    """Constants, references, numeric and SIMD instructions.

    A part of ``Translator`` (translate.py): its methods use the
    translator's state."""

    def op_ref_null(self, i: int, imm: int) -> None:
        self.stack.append(const("None"))

    def op_ref_is_null(self, i: int, imm: object) -> None:
        # An i32 (an int, as in the interpreter), not a bool; a condition
        # uses the test itself.
        v = self.pop()
        self.push(V(f"(1 if {v.e} is None else 0)", v.names, v.unsafe, cond=f"({v.e} is None)"))

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
        sem = semantics(info.name)
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
            # A sign mask (x >>s (bits - 1)) and y: y where x is negative
            # (only when y cannot trap: wasm evaluates it in any case).
            for m, o in (args, args[::-1]):
                if m.sign is not None and not o.unsafe:
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
                if _int_const(a) and int(a.e) >= 0x80000000 or a.names & self.plan.suspect:
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
