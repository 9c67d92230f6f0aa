"""Loop counters: reads whose range is known, and loops that become
``for ... in range(...)`` (``Counted``, below).

Compilers count loops over static arrays from a "negative" start up to zero
(``for (i = -32768; i != 0; i += 16) a[i + 32768 + base]``), which LLVM
emits as::

    i32.const C  local.set $i
    loop
      ... (no other set of $i, no other branch back to the loop)
      local.get $i  i32.const STEP  i32.add  local.tee $i  br_if 0
    end

If STEP divides 2**32 - C, every iteration starts with ``$i`` in
``[C, 2**32 - STEP]``: it enters with C, and goes on only while ``$i + STEP``
has not wrapped around to zero. A read of ``$i`` in the body with that range
lets ``$i + base`` (an address) be computed without a wrap test: it always,
or never, wraps.
"""

from __future__ import annotations

from ...wasm.instructions import OP, OPS

# Opcodes (named from wasm/instructions.py).
_CALL = OP["call"]
_CALL_INDIRECT = OP["call_indirect"]
_BLOCK = OP["block"]
_BR = OP["br"]
_BR_IF = OP["br_if"]
_BR_TABLE = OP["br_table"]
_ELSE = OP["else"]
_END = OP["end"]
_EQZ = OP["i32.eqz"]
_F32_LOAD = OP["f32.load"]
_F32_STORE = OP["f32.store"]
_F64_LOAD = OP["f64.load"]
_F64_STORE = OP["f64.store"]
_GLOBAL_GET = OP["global.get"]
_GT_S = OP["i32.gt_s"]
_GT_U = OP["i32.gt_u"]
_I32_ADD = OP["i32.add"]
_I32_CONST = OP["i32.const"]
_I32_GE_U = OP["i32.ge_u"]
_I32_GT_U = OP["i32.gt_u"]
_I32_LE_U = OP["i32.le_u"]
_I32_LOAD = OP["i32.load"]
_I32_LOAD8_U = OP["i32.load8_u"]
_I32_LT_U = OP["i32.lt_u"]
_I32_NE = OP["i32.ne"]
_I32_STORE = OP["i32.store"]
_I32_STORE8 = OP["i32.store8"]
_I64_ADD = OP["i64.add"]
_I64_CONST = OP["i64.const"]
_I64_GE_U = OP["i64.ge_u"]
_I64_GT_U = OP["i64.gt_u"]
_I64_LE_U = OP["i64.le_u"]
_I64_LOAD = OP["i64.load"]
_I64_LT_U = OP["i64.lt_u"]
_I64_NE = OP["i64.ne"]
_I64_STORE = OP["i64.store"]
_IF = OP["if"]
_LOCAL_GET = OP["local.get"]
_LOCAL_SET = OP["local.set"]
_LOCAL_TEE = OP["local.tee"]
_LOOP = OP["loop"]
_LT_S = OP["i32.lt_s"]
_LT_U = OP["i32.lt_u"]
_RETURN = OP["return"]
_UNREACHABLE = OP["unreachable"]

_SETS = (_LOCAL_SET, _LOCAL_TEE)


# Accesses whose address is their first operand: natural size by opcode
# (i32/i64/f32/f64 loads and stores, full width).
_ACCESS_SIZE = {
    _I32_LOAD: 4,
    _I64_LOAD: 8,
    _F32_LOAD: 4,
    _F64_LOAD: 8,
    _I32_STORE: 4,
    _I64_STORE: 8,
    _F32_STORE: 4,
    _F64_STORE: 8,
}


def _scale(sizes: list[int | None], values: tuple[int, ...]) -> int:
    """``k`` when every size is ``2**k`` (k > 0) and every value a multiple
    of it, else 0."""
    if not sizes or sizes[0] is None or any(z != sizes[0] for z in sizes):
        return 0
    size = sizes[0]
    if size < 2 or any(v % size for v in values):
        return 0
    return size.bit_length() - 1


def _access_size(body: list, j: int) -> int | None:
    """The size of the access whose address is the value pushed just before
    instruction ``j`` (or a sum of it and other values): a load at ``j``,
    or a store further on that pops it as its address (walking straight-line
    code whose stack effect the opcode table gives); None otherwise."""
    height = 1  # the value, at the bottom
    while j < len(body):
        op, imm, _ = body[j]
        size = _ACCESS_SIZE.get(op)
        info = OPS.get(op)
        if op in (_LOCAL_GET, _GLOBAL_GET):  # local.get, global.get
            pops, pushes = 0, 1
        elif op == _LOCAL_TEE:
            j += 1  # (the value kept in a local too: followed on the stack)
            continue
        elif info is None or info.sig is None or op < _I32_LOAD:
            return None  # control, calls, locals set: not followed
        else:
            pops, pushes = len(info.sig[0]), len(info.sig[1])
        if height - pops <= 0:
            # pops the value: as the address (its first operand) of an access
            if size is not None and height == pops:
                return size
            if op == _I32_ADD:
                height = 1  # a sum of it (p + x): followed as the value
                j += 1
                continue
            return None
        height += pushes - pops
        j += 1
    return None


def counter_ranges(body: list, loops: list[tuple[int, int, int]]) -> dict[int, tuple[int, int]]:
    """``{index of a local.get: (low, high)}`` for the reads of loop
    counters of the form above. ``loops``: (start, end, number of branches
    to it) of each loop of the body."""
    out: dict[int, tuple[int, int]] = {}
    for s, e, branches in loops:
        if branches != 1 or s < 2 or e < s + 6:
            continue
        prev, init = body[s - 1], body[s - 2]
        if prev[0] != _LOCAL_SET or init[0] != _I32_CONST:
            continue
        x = prev[1]
        c = init[1] & 0xFFFFFFFF
        get, step, add, tee, br_if = body[e - 5 : e]
        if not (
            get[0] == _LOCAL_GET
            and get[1] == x
            and step[0] == _I32_CONST
            and add[0] == _I32_ADD
            and tee[0] == _LOCAL_TEE
            and tee[1] == x
            and br_if[0] == _BR_IF
            and br_if[1] == 0
        ):
            continue
        k = step[1] & 0xFFFFFFFF
        if not 0 < k < 0x80000000 or (0x100000000 - c) % k:
            continue
        # The only branch back is the tail's; no other set of the counter.
        inner = range(s + 1, e - 4)
        if any(body[j][0] in _SETS and body[j][1] == x for j in inner):
            continue
        for j in inner:
            if body[j][0] == _LOCAL_GET and body[j][1] == x:
                out[j] = (c, 0x100000000 - k)
    return out


# Comparisons with a constant: what the branch not taken says of x.
_JOINS = frozenset((_LOOP, _IF, _ELSE, _END, _BR, _BR_TABLE, _RETURN, _UNREACHABLE))


def guarded_ranges(body: list, loops: list[tuple[int, int, int]]) -> dict[int, tuple[int, int]]:
    """Lower bounds of a local in loops entered and continued only while it
    is at least some constant (fib: ``if (n < 2) skip; do {... n -= 2;}
    while (n > 1)``)::

        local.get $x  i32.const A  i32.lt_u  br_if $out    ;; x >= A from here
        ... (no set of $x, no join of paths)
        loop
          ... reads of $x (before any set of it or inner loop) ...
          (local.tee $x | local.get $x)  i32.const B  i32.gt_u  br_if 0
        end

    gives ``[min(A, B + 1), 2**32 - 1]`` to those reads (signed compares
    with non-negative constants say as much)."""
    out: dict[int, tuple[int, int]] = {}
    for s, e, branches in loops:
        if branches != 1 or e < s + 5 or body[e - 1][0] != _BR_IF or body[e - 1][1] != 0:
            continue
        cmp, c, v = body[e - 2], body[e - 3], body[e - 4]
        if v[0] not in (_LOCAL_GET, _LOCAL_TEE) or c[0] != _I32_CONST:
            continue
        if cmp[0] not in (_GT_U, _GT_S) or not 0 <= c[1] < 0x7FFFFFFF:
            continue
        x = v[1]
        back = c[1] + 1
        entry = _entry_bound(body, s, x)
        lo = min(back, entry)
        if lo <= 0:
            continue
        for j in range(s + 1, e):
            op = body[j][0]
            if op == _LOOP or (op in _SETS and body[j][1] == x):
                break
            if op == _LOCAL_GET and body[j][1] == x:
                out[j] = (lo, 0xFFFFFFFF)
    return out


def _entry_bound(body: list, s: int, x: int) -> int:
    """What a ``br_if`` on ``x`` before the loop at ``s`` says of ``x`` on
    the way into it (0: nothing)."""
    k = s - 1
    while k >= 3:
        op, imm, _ = body[k]
        if op == _BR_IF:
            cmp, c, v = body[k - 1], body[k - 2], body[k - 3]
            if cmp[0] in (_LT_U, _LT_S) and c[0] == _I32_CONST and v[0] == _LOCAL_GET:
                if v[1] == x and 0 <= c[1] < 0x80000000:
                    return c[1]
            elif cmp[0] == _EQZ and c[0] == _LOCAL_GET and c[1] == x:
                return 1
        elif op in _JOINS or (op in _SETS and imm == x):
            return 0
        k -= 1
    return 0


# Counted loops: the tail of the loop body that counts and tests.
# add -> (bits, const); comparison -> (bits, predicate of (stepped value, bound)).
_ADDS = {_I32_ADD: (32, _I32_CONST), _I64_ADD: (64, _I64_CONST)}
_CMPS = {
    _I32_NE: (32, "ne"),
    _I32_LT_U: (32, "lt"),
    _I32_GT_U: (32, "gt"),
    _I32_LE_U: (32, "le"),
    _I32_GE_U: (32, "ge"),
    _I64_NE: (64, "ne"),
    _I64_LT_U: (64, "lt"),
    _I64_GT_U: (64, "gt"),
    _I64_LE_U: (64, "le"),
    _I64_GE_U: (64, "ge"),
}
_SWAP = {"ne": "ne", "lt": "gt", "gt": "lt", "le": "ge", "ge": "le"}
# A range() costs about what a few iterations of a while loop save (measured:
# four beats eight and two; see RATIONALE.md).
MIN_TRIPS = 4
# Loops copied into a range() form and a while form: no inner loop, no
# call, at most this many instructions.
MAX_COPIED = 200


class Counted:
    """A loop whose body runs once per value of a counter stepping by a
    constant (or a loop-invariant local) until a test of the stepped value
    against a loop-invariant bound fails::

        loop                                  ;; nothing else branches back
          ... (no other set of $x, $n, $s)
          local.get $x  i32.const K | local.get $s  i32.add  local.tee $x
          (local.get $n | i32.const N)  i32.ne | lt_u | gt_u | le_u | ge_u
          br_if 0                             ;; or: local.tee $x  br_if 0
        end

    (the bound may also come first, the comparison mirrored; i64 alike).
    Where the counter cannot wrap around and the test fails exactly where
    ``range(x, end, step)`` ends, ``for lX in range(...)`` runs the body
    without the tail: two bytecodes per iteration instead of about twelve,
    at the price of building the range. With constant start and bound that
    is decided here; otherwise by a guard evaluated on entry, which also
    asks for MIN_TRIPS iterations at least, and the loop is emitted twice
    (the while form runs when the guard fails)."""

    __slots__ = ("x", "bits", "step", "svar", "bound", "nvar", "pred", "skip", "tee", "x0", "span")

    def __init__(self) -> None:
        self.x = 0
        self.bits = 32
        self.step = 0  # signed constant step (0: the step is local svar)
        self.svar = -1
        self.bound = 0  # constant bound (when nvar < 0), unsigned
        self.nvar = -1
        self.pred = "ne"
        self.skip: tuple[int, ...] = ()  # the tail's instruction indices
        self.tee = 0  # the index of the tail's local.tee
        self.x0: int | None = None  # the counter's constant value on entry
        self.span: tuple[int, int] | bool | None = None  # see _span

    def _span(self) -> tuple[int, int] | bool | None:
        """With constant start, step and bound: ``(low, high)`` of the values
        the counter takes when the range form applies (and runs MIN_TRIPS
        times at least), False when it does not (the loop stays a while
        loop); None when it is decided on entry."""
        if self.x0 is None or self.nvar >= 0 or self.svar >= 0:
            return None
        r = self._range(self.x0, self.bound)
        if r is None:
            return False
        a, b, k = r
        trips = (b - a + k - 1) // k if k > 0 else (a - b - k - 1) // -k
        if trips < MIN_TRIPS:
            return False
        last = a + (trips - 1) * k
        return min(a, last), max(a, last)

    def _range(self, x0: int, n: int) -> tuple[int, int, int] | None:
        """``range`` arguments for constant start and bound, or None when the
        counter would wrap or the test not end the loop where the range ends."""
        m = 1 << self.bits
        k = self.step
        if self.pred == "ne":
            end = n or (m if k > 0 else 0)
            if k > 0 and x0 < end and (end - x0) % k == 0:
                return x0, end, k
            if k < 0 and x0 > end and (x0 - end) % -k == 0:
                return x0, end, k
            return None
        if self.pred == "lt" and k > 0 and x0 < n <= m - k:
            return x0, n, k
        if self.pred == "gt" and k < 0 and x0 > n >= -k - 1:
            return x0, n, k
        return None

    def _reads(self, body: list, s: int) -> list[int] | None:
        """The ``local.get``s of the counter in the body before its counting
        tail, or None when a branch leaves the loop (the counter must then
        hold its value there: the loop cannot run over something else)."""
        reads = []
        depth = 0
        for j in range(s + 1, self.skip[0]):
            op, imm, _ = body[j]
            if op == _LOCAL_GET and imm == self.x:
                reads.append(j)
            elif op in (_BLOCK, _LOOP, _IF):
                depth += 1
            elif op == _END:
                depth -= 1
            elif op in (_BR, _BR_IF) and imm > depth:
                return None
            elif op == _BR_TABLE and max(max(imm[0], default=0), imm[1]) > depth:
                return None
        return reads

    def shifted(self, body: list, s: int) -> tuple[int, dict[int, int]] | None:
        """For a static i32 loop whose counter is read only as ``x + C`` and
        left only by running out (or a return): ``shift``, with ``a = x +
        shift`` the loop variable instead of ``x``, and for each read the
        offset that gives ``x + C`` from ``a`` (hash64's ``x`` runs from
        -32768 up to 0 and its reads are ``x + base``: ``a`` runs over the
        addresses, small ints, instead of "negative" two-digit ones). None
        when that does not apply."""
        st = self.span
        if not st or self.bits != 32:
            return None
        lo, hi = st
        m = 1 << 32
        gets = self._reads(body, s)
        if not gets:
            return None
        reads: list[tuple[int, int]] = []
        for j in gets:
            nxt, add = body[j + 1], body[j + 2]
            if nxt[0] != _I32_CONST or add[0] != _I32_ADD:
                return None
            c = nxt[1] & (m - 1)
            if (lo + c) // m != (hi + c) // m:
                return None  # x + C wraps inside the range
            reads.append((j, c))
        # a = x + shift takes the first read's values; a read x + C is
        # a + offset (both exact: neither wraps inside the range).
        shift = reads[0][1] - (lo + reads[0][1]) // m * m
        return shift, {j: c - (lo + c) // m * m - shift for j, c in reads}

    def scale(self, body: list, shift: int, offsets: dict[int, int]) -> int:
        """For a shifted loop (see ``shifted``): ``k`` > 0 when every read
        ``a + offset`` is the address of an access of 2**k bytes (a load
        right after it, or a store it is the address of) and the loop can
        run over ``a >> k`` instead: the accesses index their view with it
        (``MVQ[t + 1]`` rather than ``MVQ[(t + 8) >> 3]``); else 0."""
        lo, _ = self.span  # type: ignore[misc]
        return _scale(
            [_access_size(body, j + 3) for j in offsets], (lo + shift, self.step, *offsets.values())
        )

    def scaled(self, body: list, s: int) -> tuple[int, list[int]] | None:
        """For a static i32 loop whose counter's every read is (part of a sum
        that is) the address of an access of 2**k bytes, and left only by
        running out or a return: ``(k, reads)``, the loop then running over
        ``x >> k`` (sha256's rounds: ``MVI[q3 + a]`` for ``(l3 + l8) >> 2``);
        None otherwise."""
        st = self.span
        if not st or self.bits != 32:
            return None
        lo, hi = st
        if max(lo, hi) >= 0x80000000:
            return None  # ("negative": sums with it wrap, the unwrapped index is out of range)
        reads = self._reads(body, s)
        if not reads:
            return None
        k = _scale([_access_size(body, j + 1) for j in reads], (lo, self.step))
        return (k, reads) if k else None

    def offset_reads(
        self, body: list, s: int, writes: set[int] | frozenset[int]
    ) -> tuple[int, dict[int, tuple[int, int]]] | None:
        """For an i32 loop whose form is decided on entry, whose counter is
        read only as ``x + y`` (``y`` a local the loop does not write) and
        left only by running out or a return: ``y``, and for each read the
        index of its first instruction and of the other two (the range form
        then runs over ``t = x + y``: sieve's ``M[p + j] = 1`` is ``M[t] =
        1``). None otherwise."""
        if self.span is not None or self.bits != 32:
            return None
        gets = self._reads(body, s)
        if not gets:
            return None
        y = -1
        reads: dict[int, tuple[int, int]] = {}
        end = self.skip[0]
        for j in gets:
            a, b = body[j + 1], body[j - 1]
            if a[0] == _LOCAL_GET and j + 2 < end and body[j + 2][0] == _I32_ADD:
                first, other = j, (j + 1, j + 2)
                z = a[1]
            elif b[0] == _LOCAL_GET and j - 1 > s and a[0] == _I32_ADD:
                first, other = j - 1, (j, j + 1)
                z = b[1]
            else:
                return None
            if z == self.x or z in writes or (y >= 0 and z != y) or first in reads:
                return None
            y = z
            reads[first] = other
        return y, reads

    def feasible(self) -> bool:
        """Whether a constant bound leaves room for the range form at all."""
        if self.nvar >= 0 or self.svar >= 0:
            return True
        m = 1 << self.bits
        if self.pred == "lt":
            return self.bound <= m - self.step
        if self.pred == "gt":
            return self.bound >= -self.step - 1
        return True

    def header(self, shift: int = 0, scale: int = 0, over: str = "") -> str:
        """``range(...)`` of the ``for`` statement: for a static loop its
        constants (plus ``shift``, see ``shifted``, divided by ``2**scale``,
        see ``scale``), otherwise the counter, bound and step as they are on
        entry (both plus ``over``, see ``offset_reads``)."""
        if self.span:
            x0, end, k = self._range(self.x0, self.bound)  # type: ignore[arg-type, misc]
            if scale:
                # (end need not be a multiple: the range stops before it)
                a, b = x0 + shift, end + shift
                b = -(-b >> scale) if k > 0 else (b >> scale)
                return f"range({a >> scale}, {b}, {k >> scale})"
            return f"range({x0 + shift}, {end + shift}, {k})"
        k = f"l{self.svar}" if self.svar >= 0 else str(self.step)
        plus = f" + {over}" if over else ""
        return f"range(l{self.x}{plus}, {self._end()}{plus}, {k})"

    def _end(self) -> str:
        if self.nvar >= 0:
            return f"l{self.nvar}"
        if self.pred == "ne" and self.bound == 0:
            return str(1 << self.bits) if self.step > 0 else "0"
        return str(self.bound)

    def guard(self) -> str:
        """The condition for the range form (dynamic loops): no wrap, the
        test ends the loop where the range ends, MIN_TRIPS iterations."""
        x, end, m = f"l{self.x}", self._end(), 1 << self.bits
        t = MIN_TRIPS
        if self.svar >= 0:  # "lt", the step a local
            s = f"l{self.svar}"
            return f"0 < {s} <= {m} - {end} and {x} + {t} * {s} <= {end}"
        k = self.step
        if self.pred == "ne":
            if k > 0:
                g = f"{x} + {t * k} <= {end}"
                return g + (f" and ({end} - {x}) % {k} == 0" if k > 1 else "")
            g = f"{x} >= {end} + {t * -k}"
            return g + (f" and ({x} - {end}) % {-k} == 0" if k < -1 else "")
        if self.pred == "lt":
            g = f"{x} + {t * k} <= {end}"
            return g + (f" <= {m - k}" if self.nvar >= 0 else "")
        g = f"{x} >= {end} + {t * -k}"
        return g + (f" and {end} >= {-k - 1}" if self.nvar >= 0 and k < -1 else "")

    def after(self, last: str | None = None) -> str:
        """The counter's value once the range has run out: the stepped value
        that failed the test (a constant for a static loop, whose ``for``
        may not run over the counter itself: see ``shifted``; ``last``: the
        counter's last value when the loop ran over something else, see
        ``offset_reads``)."""
        m = 1 << self.bits
        if self.span:
            lo, hi = self.span  # type: ignore[misc]
            return str(((hi if self.step > 0 else lo) + self.step) % m)
        if self.pred == "ne":
            return f"l{self.nvar}" if self.nvar >= 0 else str(self.bound)
        k = f"l{self.svar}" if self.svar >= 0 else str(self.step)
        return f"({last or f'l{self.x}'} + {k}) & {hex(m - 1)}"


def counted_loops(body: list, loops: list[tuple[int, int, int]]) -> dict[int, Counted]:
    """``{start of a loop: Counted}`` for the loops of the shape above.
    ``loops``: (start, end, number of branches to it) of the loops whose
    block type is empty."""
    out: dict[int, Counted] = {}
    for s, e, branches in loops:
        if branches != 1 or e < s + 6 or body[e - 1][0] != _BR_IF or body[e - 1][1] != 0:
            continue
        c = _tail(body, s, e)
        if c is None:
            continue
        # One set of the counter in the body (the tail's), none of the bound
        # or the step.
        x = c.x
        fixed = {v for v in (c.nvar, c.svar) if v >= 0}
        if x in fixed:
            continue
        ok = c.feasible()
        for j in range(s + 1, e):
            op, imm, _ = body[j]
            if op in _SETS and (imm in fixed or (imm == x and j != c.tee)):
                ok = False
                break
        if not ok:
            continue
        c.x0 = _entry_const(body, s, x, c.bits)
        c.span = st = c._span()
        if st is False:
            continue
        if st is None and (
            e - s > MAX_COPIED
            or any(body[j][0] in (_LOOP, _CALL, _CALL_INDIRECT) for j in range(s + 1, e))
        ):
            continue
        out[s] = c
    return out


def _tail(body: list, s: int, e: int) -> Counted | None:
    """Match the counting tail of the loop at ``s``..``e`` (see Counted)."""
    c = Counted()
    cmp = body[e - 2]
    if cmp[0] == _LOCAL_TEE:  # local.tee $x  br_if 0: continue while nonzero
        get, step, add, tee = body[e - 5 : e - 1]
        bound = None
        c.pred = "ne"
        first = e - 5
        swapped = False
    elif cmp[0] in _CMPS and e >= s + 8:
        c.bits, c.pred = _CMPS[cmp[0]]
        a = body[e - 7 : e - 2]
        if a[0][0] == _LOCAL_GET and a[3][0] == _LOCAL_TEE and a[0][1] == a[3][1]:
            get, step, add, tee, bound = a
            swapped = False
        else:
            bound, get, step, add, tee = a
            swapped = True
        first = e - 7
    else:
        return None
    if get[0] != _LOCAL_GET or tee[0] != _LOCAL_TEE or get[1] != tee[1] or add[0] not in _ADDS:
        return None
    bits, const = _ADDS[add[0]]
    if cmp[0] in _CMPS and _CMPS[cmp[0]][0] != bits:
        return None
    c.bits = bits
    c.x = get[1]
    m = 1 << bits
    if step[0] == const:
        k = step[1] & (m - 1)
        k = k - m if k >= m >> 1 else k
        if k == 0 or abs(k) >= 1 << 31:
            return None
        c.step = k
    elif step[0] == _LOCAL_GET:
        c.svar = step[1]
    else:
        return None
    if bound is not None:
        if bound[0] == const:
            c.bound = bound[1] & (m - 1)
        elif bound[0] == _LOCAL_GET:
            c.nvar = bound[1]
        else:
            return None
    if swapped:
        c.pred = _SWAP[c.pred]
    # le / ge with a constant bound are lt / gt with the next one.
    if c.pred == "le":
        if c.nvar >= 0:
            return None
        c.pred, c.bound = "lt", c.bound + 1
    elif c.pred == "ge":
        if c.nvar >= 0 or c.bound == 0:
            return None
        c.pred, c.bound = "gt", c.bound - 1
    if c.svar >= 0 and c.pred != "lt":
        return None
    if c.svar < 0 and ((c.pred == "lt" and c.step < 0) or (c.pred == "gt" and c.step > 0)):
        return None
    c.skip = tuple(range(first, e))
    c.tee = first + 4 if swapped else first + 3
    return c


def _entry_const(body: list, s: int, x: int, bits: int) -> int | None:
    """The constant ``x`` holds on entry to the loop at ``s`` when the
    straight-line code before it sets it to one."""
    k = s - 1
    while k >= 1:
        op, imm, _ = body[k]
        if op in _SETS and imm == x:
            prev = body[k - 1]
            if op == _LOCAL_SET and prev[0] == (_I32_CONST if bits == 32 else _I64_CONST):
                return prev[1] & ((1 << bits) - 1)
            return None
        if op in (_LOOP, _ELSE, _END, _BR, _BR_TABLE, _RETURN, _UNREACHABLE):
            return None
        k -= 1
    return None


_SCAN = (_LOCAL_GET, _LOCAL_GET, _I32_ADD, _LOCAL_SET, _LOCAL_GET, _I32_CONST, _I32_ADD)


def byte_scans(
    body: list, loops: list[tuple[int, int, int]]
) -> dict[int, tuple[int, int, int, int, int]]:
    """Loops that look for a zero byte (C's ``strlen``: ``do p = s + i; i++;
    while (*p)``), exactly::

        loop                                  ;; no other branch to it
          local.get $s  local.get $i  i32.add  local.set $p
          local.get $i  i32.const 1  i32.add  local.tee $j  local.set $i
          local.get $p  i32.load8_u offset=k  br_if 0
        end

    ``{start: (s, i, p, j, k)}``. They can run as one ``bytearray.find``
    (see Translator.scan_preamble)."""
    out = {}
    for st, e, branches in loops:
        if branches != 1 or e != st + 13:
            continue
        ops = tuple(body[st + 1 + k][0] for k in range(7))
        if ops != _SCAN or body[st + 6][1] != 1:
            continue
        tee, set_, get, load, br = (body[st + 8 + k] for k in range(5))
        if (tee[0], set_[0], get[0], load[0], br[0]) != (
            _LOCAL_TEE,
            _LOCAL_SET,
            _LOCAL_GET,
            _I32_LOAD8_U,
            _BR_IF,
        ) or br[1] != 0:
            continue
        s_, i, p = body[st + 1][1], body[st + 2][1], body[st + 4][1]
        j = tee[1]
        if body[st + 5][1] != i or set_[1] != i or get[1] != p:
            continue
        if len({s_, i, p, j}) != 4:
            continue
        out[st] = (s_, i, p, j, load[1][1])
    return out


_COPY = (
    _LOCAL_GET,
    _LOCAL_GET,
    _I32_ADD,
    _LOCAL_GET,
    _LOCAL_GET,
    _I32_ADD,
    _I32_LOAD8_U,
    _I32_STORE8,
)


def byte_copies(body: list, counted: dict[int, Counted]) -> dict[int, tuple[int, int, int, int]]:
    """Counted loops that copy bytes forward, one per step of the counter
    (``memcpy`` written as a loop), exactly::

        loop
          local.get $d  local.get $i  i32.add
          local.get $s  local.get $i  i32.add  i32.load8_u offset=a
          i32.store8 offset=b
          (the counting tail: $i + 1, against the bound)
        end

    ``{start: (d, s, b, a)}``. Where the two ranges do not overlap with the
    destination after the source (then a forward copy is a ``memmove``) and
    both are in memory, they run as one slice assignment (see
    Translator.copy_preamble)."""
    out = {}
    for st, c in counted.items():
        if c.step != 1 or c.svar >= 0 or c.bits != 32 or c.pred not in ("lt", "ne"):
            continue
        if not c.skip or c.skip[0] != st + 9:
            continue
        ins = body[st + 1 : st + 9]
        if tuple(op for op, _, _ in ins) != _COPY:
            continue
        d, x1, s_, x2 = ins[0][1], ins[1][1], ins[3][1], ins[4][1]
        if x1 != c.x or x2 != c.x or c.x in (d, s_):
            continue
        out[st] = (d, s_, ins[7][1][1], ins[6][1][1])
    return out
