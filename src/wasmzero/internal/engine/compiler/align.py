"""Known alignment of i32 values: how many low bits of the values a local
or global can hold are known to be zero (capped at ``CAP``).

A load or store whose address is known to be aligned to its size indexes a
typed memoryview (``MVd[a >> 3]``) instead of calling ``struct``, with no
alignment test. C code addresses arrays of doubles and words from aligned
bases (the stack pointer, static arrays) plus scaled indices and multiples
of the element size, so most of its accesses in loops qualify.

No stack simulation: the value a ``local.set`` (``global.set``, load or
store address) takes is the expression tree that ends just before it, read
backwards through a few operators (constants, variables, ``add``, ``sub``,
``mul``, ``and``, ``or``, ``xor``, ``shl``); anything else counts as
unaligned. Only the locals that the addresses of accesses inside loops
depend on are tracked, and only those that some set could make aligned.

Locals: compilers reuse them (parameters too) for unrelated values, a
counter in one loop and a pointer in the next, so the claims are per read,
from an abstract interpretation over the structured control flow (a state:
the alignment of every tracked local; merges take minimums; a loop is walked
again until its header state is stable). Globals (the stack pointer): one
claim per global, the minimum over its initial value and every
``global.set`` in the module, whose locals get one flow-insensitive claim
each (the minimum over their sets; a parameter claims nothing). Both are
inductive invariants: every assignment keeps the claims, given they held
before it. Imported and exported mutable globals (the host may write them)
claim nothing.
"""

from __future__ import annotations

from typing import Any

from ...wasm.instructions import OP, OPS
from ...wasm.module import Module
from ...wasm.types import EXTERN_GLOBAL, I32

# Opcodes (named from wasm/instructions.py).
_ADD = OP["i32.add"]
_AND = OP["i32.and"]
_BLOCK = OP["block"]
_BR = OP["br"]
_BR_IF = OP["br_if"]
_BR_TABLE = OP["br_table"]
_ELSE = OP["else"]
_END = OP["end"]
_F32_CONST = OP["f32.const"]
_F64_CONST = OP["f64.const"]
_GLOBAL_GET = OP["global.get"]
_GLOBAL_SET = OP["global.set"]
_I32_CONST = OP["i32.const"]
_I64_CONST = OP["i64.const"]
_IF = OP["if"]
_LOCAL_GET = OP["local.get"]
_LOCAL_SET = OP["local.set"]
_LOCAL_TEE = OP["local.tee"]
_LOOP = OP["loop"]
_MUL = OP["i32.mul"]
_OR = OP["i32.or"]
_RETURN = OP["return"]
_SELECT = OP["select"]
_SELECT_T = OP["select_t"]
_SHL = OP["i32.shl"]
_SUB = OP["i32.sub"]
_UNREACHABLE = OP["unreachable"]
_XOR = OP["i32.xor"]

CAP = 3  # 8-byte accesses are the widest a view serves

_BINARY = frozenset((_ADD, _SUB, _MUL, _AND, _OR, _XOR, _SHL))
_LOCAL_OPS = frozenset((_LOCAL_GET, _LOCAL_SET, _LOCAL_TEE))
_SET_OPS = frozenset((_LOCAL_SET, _LOCAL_TEE, _GLOBAL_SET))
_LEAVES = frozenset((_I32_CONST, _I64_CONST, _F32_CONST, _F64_CONST, _LOCAL_GET, _GLOBAL_GET))
_MAX_TREE = 64
_MAX_DEPTH = 12  # operators read backwards from one set


def const_alignment(value: int) -> int:
    """Known zero low bits of an i32 constant (up to CAP)."""
    return _LOW_ZEROS[value & 7]


_LOW_ZEROS = (3, 0, 1, 0, 2, 0, 1, 0)  # by the three low bits


def combine(op: int, a: int, b: int, shift: int | None = None) -> int:
    """Alignment of ``a op b`` from its operands' (``shift``: the constant
    shift count of an ``shl``, if it is one)."""
    if op == _AND:
        return max(a, b)
    if op == _MUL:
        return min(CAP, a + b)
    if op == _SHL:
        return min(CAP, a + shift) if shift is not None else a
    return min(a, b)  # add, sub, or, xor


def _expr(body: list, k: int, read: Any, globs: list[int], depth: int = 0) -> tuple[int, int]:
    """(alignment, first index) of the expression tree whose last
    instruction is ``body[k]``; first index -1 when the tree's extent is
    unknown (its value then counts as unaligned where the extent matters).
    ``read(k, x)``: the alignment of local ``x`` read by ``body[k]``."""
    op, imm, _ = body[k]
    if op == _I32_CONST:
        return const_alignment(imm), k
    if op == _LOCAL_GET:
        return read(k, imm), k
    if op == _GLOBAL_GET:
        return globs[imm], k
    if depth >= _MAX_DEPTH or k == 0:
        return 0, -1
    if op == _LOCAL_TEE:
        return _expr(body, k - 1, read, globs, depth + 1)
    if op not in _BINARY:
        return 0, -1
    b, start = _expr(body, k - 1, read, globs, depth + 1)
    shift = None
    if op == _SHL:
        prev = body[k - 1]
        if prev[0] == _I32_CONST:
            shift = prev[1] & 31
    if start <= 0:
        # The left operand cannot be found; some operators need only the right.
        if op == _AND or op == _MUL:
            return b, -1
        if op == _SHL and shift is not None:
            return min(CAP, shift), -1
        return 0, -1
    a, start = _expr(body, start - 1, read, globs, depth + 1)
    return combine(op, a, b, shift), start


def tree_start(body: list, k: int, depth: int = 0) -> int:
    """The first index of the expression tree whose last instruction is
    ``body[k]`` (operators with a fixed signature, constants, variables,
    ``local.tee``, ``select``), or -1."""
    op, imm, _ = body[k]
    if op in _LEAVES:
        return k
    if depth >= _MAX_TREE:
        return -1
    if op == _LOCAL_TEE:
        n = 1
    elif op == _SELECT or op == _SELECT_T:  # select
        n = 3
    else:
        info = OPS.get(op)
        if info is None or info.sig is None or len(info.sig[1]) != 1:
            return -1
        n = len(info.sig[0])
    for _ in range(n):
        if k <= 0:
            return -1
        k = tree_start(body, k - 1, depth + 1)
        if k < 0:
            return -1
    return k


def _optimistic(body: list, k: int, globs: list[int], found: set[int]) -> int:
    """The alignment of the tree ending at ``body[k]`` if every local read
    were fully aligned; adds the locals it reads to ``found``."""

    def probe(j: int, x: int) -> int:
        found.add(x)
        return CAP

    return _expr(body, k, probe, globs)[0]


def _closure(
    body: list,
    sets: dict[int, list[int]],
    demand: set[int],
    local_types: list[int],
    globs: list[int],
) -> tuple[list[int], dict[int, set[int]]]:
    """Grow ``demand`` (locals) by the locals their sets' values read, where
    those values could be aligned. Returns the best alignment any set of
    each local could give, and the locals each such set reads."""
    best = [0] * len(local_types)
    deps: dict[int, set[int]] = {}
    work = list(demand)
    while work:
        x = work.pop()
        if local_types[x] != I32:
            continue
        for k in sets.get(x, ()):
            found: set[int] = set()
            a = _optimistic(body, k - 1, globs, found)
            if a:
                deps[k] = found
                if a > best[x]:
                    best[x] = a
                for y in found - demand:
                    demand.add(y)
                    work.append(y)
    return best, deps


_UNARY = (0, 1, 3, 7)
_BINARY_OF = (0, 1, 1, 2, 2, 2, 2, 3)  # only 0, 1, 3, 7 occur


def _merge(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


class _Frame:
    __slots__ = ("loop", "start", "entry", "out", "back")

    def __init__(self, loop: bool, start: int, entry: int | None) -> None:
        self.loop = loop
        self.start = start  # index (in the walk) of the block instruction
        self.entry = entry  # state on entry (loop header, if's else arm)
        self.out: int | None = None  # merged states branching to the end
        self.back: int | None = None  # merged states branching to a loop

    def branch(self, state: int) -> None:
        """A branch to this block with ``state``."""
        if self.loop:
            self.back = _merge(self.back, state)
        else:
            self.out = _merge(self.out, state)


# Bodies longer than this are not analysed (libc's printf_core and fmt_fp:
# big, cold, and nested deep enough to make the walk costly).
_MAX_BODY = 3000
_CONTROL = frozenset(
    (_UNREACHABLE, _BLOCK, _LOOP, _IF, _ELSE, _END, _BR, _BR_IF, _BR_TABLE, _RETURN)
)


def read_alignment(
    body: list,
    local_types: list[int],
    nparams: int,
    globs: list[int],
    sets: list[int],
    wanted: dict[int, int],
) -> tuple[dict[int, int], list[int], dict[int, int]]:
    """The alignment of the value each ``local.get`` (and ``local.tee``) of
    the body reads: ``reads[k]`` for instruction ``k``, else ``fixed[x]`` for
    local ``x``; and the shadows (see _shadows). ``sets``: the indices of the
    body's sets and tees; ``wanted``: the opcodes of the accesses that can
    use alignment, and the alignment they need."""
    fixed = [CAP if k >= nparams else 0 for k in range(len(local_types))]
    for k in sets:
        fixed[body[k][1]] = 0
    reads: dict[int, int] = {}
    if len(body) > _MAX_BODY:
        return reads, fixed, {}
    set_weight: dict[int, int] = {}  # each local's sets in loops, 10**depth each
    bases: list[tuple[int, int, int, int]] = []  # (get, local, alignment, depth)
    # The locals that the addresses of accesses inside loops depend on.
    demand: set[int] = set()
    events = [k for k, ins in enumerate(body) if ins[0] in wanted or ins[0] in _SET_OR_TEE]
    for k, loops in _loop_depths(body, events).items():
        if not loops:
            continue
        op, imm, _ = body[k]
        if op == _LOCAL_SET or op == _LOCAL_TEE:
            set_weight[imm] = set_weight.get(imm, 0) + 10**loops
            continue
        need = wanted[op]
        if not imm[1] & ((1 << need) - 1):
            end = address_end(body, k)
            if end < 0:
                continue
            leaves: list[tuple[int, int]] = []

            def probe(j: int, x: int, leaves: list[tuple[int, int]] = leaves) -> int:
                leaves.append((j, x))
                return CAP

            if _expr(body, end, probe, globs)[0] >= need:
                for j, x in leaves:
                    demand.add(x)
                    bases.append((j, x, need, loops))
    if not demand:
        return reads, fixed, {}
    by_local: dict[int, list[int]] = {}
    for k in sets:
        if k:
            by_local.setdefault(body[k][1], []).append(k)
    best, deps = _closure(body, by_local, demand, local_types, globs)
    slot = {x: n for n, x in enumerate(x for x in demand if best[x])}
    if not slot:
        return reads, fixed, {}
    # Sets whose value reads no tracked local have a constant alignment.
    known: dict[int, int] = {}
    for x in slot:
        for k in by_local[x]:
            found = deps.get(k)
            if found is None:
                known[k] = 0
            elif not any(y in slot for y in found):
                known[k] = _expr(body, k - 1, lambda j, y: fixed[y], globs)[0]
    events = [
        k
        for k, ins in enumerate(body)
        if ins[0] in _CONTROL or (ins[0] in _LOCAL_OPS and ins[1] in slot)
    ]
    # A state is one int: three bits per tracked local, its alignment in
    # unary (0, 1, 3, 7), so that a merge (minimums) is a bitwise and.
    shift = {x: 3 * n for x, n in slot.items()}
    state: int | None = 0
    for x, sh in shift.items():
        if x >= nparams:  # locals start at zero; parameters claim nothing
            state |= 7 << sh
    frames: list[_Frame] = [_Frame(False, -1, None)]
    headers: dict[int, int] = {}  # the last stable state of each loop

    def read(k: int, x: int) -> int:
        return reads[k] if x in slot else fixed[x]

    n = len(events)
    budget = 3 * n + 100  # loops walked again, nested ones more than once
    e = 0
    while e < n:
        budget -= 1
        if not budget:
            return {}, fixed, {}  # too costly for this function: no claims
        k = events[e]
        op, imm, _ = body[k]
        if op == _LOCAL_GET:
            if state is not None:
                reads[k] = _BINARY_OF[(state >> shift[imm]) & 7]
        elif op == _LOCAL_SET or op == _LOCAL_TEE:
            if state is not None:
                a = known.get(k)
                if a is None:
                    a = _expr(body, k - 1, read, globs)[0]
                sh = shift[imm]
                state = (state & ~(7 << sh)) | (_UNARY[a] << sh)
                if op == _LOCAL_TEE:
                    reads[k] = a
        elif op == _BLOCK:  # block
            frames.append(_Frame(False, e, None))
        elif op == _LOOP:  # loop
            if state is not None:
                # Walked before (an outer loop is walked again): start from
                # what the branches back brought then.
                h = headers.get(e)
                if h is not None:
                    state &= h
            frames.append(_Frame(True, e, state))
        elif op == _IF:  # if
            frames.append(_Frame(False, e, state))
        elif op == _ELSE:  # else
            f = frames[-1]
            f.out = _merge(f.out, state)
            state = f.entry
            f.entry = None  # the else arm is taken: no implicit one
        elif op == _END:  # end
            f = frames.pop()
            if f.loop:
                header = _merge(f.entry, f.back)
                if header is not None and header != f.entry:
                    # A branch back brought lower claims: walk the body again.
                    f.entry = header
                    f.back = None
                    frames.append(f)
                    state = header
                    e = f.start + 1
                    continue
                if header is not None:
                    headers[f.start] = header
            elif f.entry is not None:
                state = _merge(state, f.entry)  # an if without else
            state = _merge(state, f.out)
        elif op == _BR or op == _BR_IF:  # br, br_if
            if state is not None:
                frames[-1 - imm].branch(state)
            if op == _BR:
                state = None
        elif op == _BR_TABLE:  # br_table
            if state is not None:
                labels, default = imm
                for d in set(labels) | {default}:
                    frames[-1 - d].branch(state)
            state = None
        elif op == _RETURN or op == _UNREACHABLE:  # return, unreachable
            state = None
        e += 1
    return reads, fixed, _shadows(bases, reads, fixed, set_weight)


def _shadows(
    bases: list[tuple[int, int, int, int]],
    reads: dict[int, int],
    fixed: list[int],
    set_weight: dict[int, int],
) -> dict[int, int]:
    """Locals worth a shadow ``q = l >> k`` (updated after every set), so
    that ``MVd[(l + 24) >> 3]`` becomes ``MVd[q + 3]``: aligned bases of
    accesses in loops, read so much more often than they are set (a frame
    pointer, an array's start; a pointer stepped once for several accesses),
    counting each loop level as ten times as frequent. ``{local: k}``, ``k``
    the alignment most of its accesses need."""
    uses: dict[int, dict[int, int]] = {}
    weight: dict[int, int] = {}
    for k, x, need, d in bases:
        al = reads.get(k)
        if (fixed[x] if al is None else al) >= need:
            by_need = uses.setdefault(x, {})
            by_need[need] = by_need.get(need, 0) + 1
            weight[x] = weight.get(x, 0) + 10**d
    return {
        x: max(by_need, key=lambda n: (by_need[n], n))
        for x, by_need in uses.items()
        if weight[x] > 2 * set_weight.get(x, 0)
    }


def likely_aligned(
    body: list,
    local_types: list[int],
    nparams: int,
    wanted: dict[int, int],
    exclude: set[int],
) -> dict[int, int]:
    """Locals worth a checked shadow (``q = -1 if l & 3 else l >> 2``): i32
    locals without a proven alignment (a pointer a call returned, a
    parameter) that several accesses address directly (``l``, ``l + 8``,
    as a memarg offset or a sum: the struct fields of a node), read more
    often than set (each loop level ten times as often). An access through
    one tests ``q >= 0``
    and indexes a typed view, and calls ``struct`` only when the pointer
    is not aligned after all; C's pointers to words almost always are.
    ``{local: k}``, ``k`` the alignment most of its accesses need.

    A shadow costs about 470 instructions (two generic operators), an
    access through it saves about 370 (a view index and a test instead of a
    ``struct`` call), so a local needs a quarter more weight in accesses
    than in sets (a parameter is set once, on entry), and two accesses.
    ``exclude``: locals written other than by ``local.set``/``local.tee``
    (loop counters, scans)."""
    bases: dict[int, list[tuple[int, int]]] = {}  # local -> [(access, alignment needed)]
    for k in [k for k, ins in enumerate(body) if ins[0] in wanted]:
        op, imm, _ = body[k]
        need = wanted[op]
        off = imm[1]
        end = address_end(body, k)
        if (
            end >= 2
            and body[end][0] == _ADD
            and body[end - 1][0] == _I32_CONST
            and body[end - 2][0] == _LOCAL_GET
            and 0 <= body[end - 1][1] < 0x80000000
        ):
            off += body[end - 1][1]  # x + c (see Translator.checked_view)
            end -= 2
        if off & ((1 << need) - 1):
            continue
        if end >= 0 and body[end][0] == _LOCAL_GET and body[end][1] not in exclude:
            bases.setdefault(body[end][1], []).append((k, need))
    bases = {x: a for x, a in bases.items() if len(a) >= 2 and local_types[x] == I32}
    if not bases:
        return {}
    # Weights: each loop level counts ten times; a parameter is set once.
    sets: dict[int, int] = {x: 1 for x in bases if x < nparams}
    setters = [k for k, ins in enumerate(body) if ins[0] in _SET_OR_TEE and ins[1] in bases]
    depth_at = _loop_depths(body, sorted({k for a in bases.values() for k, _ in a}.union(setters)))
    for k in setters:
        x = body[k][1]
        sets[x] = sets.get(x, 0) + 10 ** depth_at[k]
    out = {}
    for x, accesses in bases.items():
        if 4 * sum(10 ** depth_at[k] for k, _ in accesses) > 5 * sets.get(x, 0):
            by_need: dict[int, int] = {}
            for _, need in accesses:
                by_need[need] = by_need.get(need, 0) + 1
            out[x] = max(by_need, key=lambda n: (by_need[n], n))
    return out


_SET_OR_TEE = frozenset((_LOCAL_SET, _LOCAL_TEE))
_NESTING = frozenset((_BLOCK, _LOOP, _IF, _END))  # block, loop, if, end


def _loop_depths(body: list, ks: list[int]) -> dict[int, int]:
    """``{k: number of loops around body[k]}`` for the (ascending, not
    block, loop, if or end) indices ``ks``."""
    want = set(ks)
    out: dict[int, int] = {}
    depth = 0
    stack: list[bool] = []
    for k in [k for k, ins in enumerate(body) if ins[0] in _NESTING or k in want]:
        op = body[k][0]
        if k in want:
            out[k] = depth
        elif op == _LOOP:
            stack.append(True)
            depth += 1
        elif op == _END:
            if stack and stack.pop():
                depth -= 1
        else:  # block, if
            stack.append(False)
    return out


def address_end(body: list, k: int) -> int:
    """The index where the address of the access ``body[k]`` ends: just
    before a load; before a store's value tree (-1 when not found)."""
    if OPS[body[k][0]].sig[1]:
        return k - 1
    return tree_start(body, k - 1) - 1


def global_alignment(module: Module, func_types: list) -> list[int]:
    """Claims for every global of ``module``."""
    gtypes = module.all_globals()
    nimp = module.num_imported_globals
    exported = {e.index for e in module.exports if e.kind == EXTERN_GLOBAL}
    globs = []
    for i, gt in enumerate(gtypes):
        a = 0
        if i >= nimp and gt.val_type == I32 and (not gt.mutable or i not in exported):
            init = module.globals[i - nimp].init
            if init and init[0][0] == _I32_CONST:
                a = const_alignment(init[0][1])
        globs.append(a)
    if not any(globs) or module.lazy_bodies:
        # A lazily decoded module's bodies are not all read for this: its
        # globals claim nothing (fewer aligned accesses, no decoding).
        return [0] * len(globs)
    # Per function that sets a global that claims something: those sets,
    # and the sets of the locals their values read.
    users = []
    nfuncs = module.num_imported_funcs
    for n, code in enumerate(module.codes):
        body = code.body
        ks = [k for k, ins in enumerate(body) if ins[0] in _SET_OPS and k]
        sites = [k for k in ks if body[k][0] == _GLOBAL_SET and globs[body[k][1]]]
        if not sites:
            continue
        demand: set[int] = set()
        for k in sites:
            _optimistic(body, k - 1, globs, demand)
        nparams = len(func_types[n + nfuncs].params)
        types = list(func_types[n + nfuncs].params) + list(code.locals)
        demand = {x for x in demand if x >= nparams and types[x] == I32}
        local_sets = [k for k in ks if body[k][0] != _GLOBAL_SET and body[k][1] in demand]
        users.append((body, sites, demand, local_sets))
    # One claim per local, from its sets' values with every other local
    # read counting as unaligned (the stack pointer goes through one local:
    # ``sp = g - 32; g = sp; ...; g = sp + 32``).
    changed = True
    while changed:
        changed = False
        for body, sites, demand, local_sets in users:
            locs = dict.fromkeys(demand, CAP)
            for k in local_sets:
                x = body[k][1]
                if locs[x]:
                    locs[x] = min(locs[x], _expr(body, k - 1, _unaligned, globs)[0])

            def read(k: int, x: int, locs: dict[int, int] = locs) -> int:
                return locs.get(x, 0)

            for k in sites:
                g = body[k][1]
                if globs[g]:
                    a = _expr(body, k - 1, read, globs)[0]
                    if a < globs[g]:
                        globs[g] = a
                        changed = True
    return globs


def _unaligned(k: int, x: int) -> int:
    return 0
