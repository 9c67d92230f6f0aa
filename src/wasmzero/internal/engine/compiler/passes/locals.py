"""Analyses of a function's locals: which need no zero initialisation,
which may hold "negative" i32s, and which are live after an instruction.
"""

from __future__ import annotations

from ..opcodes import (
    _BLOCK,
    _BR,
    _BR_IF,
    _BR_TABLE,
    _ELSE,
    _END,
    _I32_ADD,
    _I32_CONST,
    _I32_SUB,
    _IF,
    _LOCAL_GET,
    _LOCAL_SET,
    _LOCAL_TEE,
    _LOOP,
    _RETURN,
    _UNREACHABLE,
)


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
            hit = (p1[0] == _I32_CONST and p1[1] >= 0x80000000) or (
                p1[0] in (_LOCAL_GET, _LOCAL_TEE) and p1[1] in sus
            )
            if not hit and p1[0] in (_I32_ADD, _I32_SUB) and k >= 3:  # i32.add, i32.sub
                for q in (body[k - 2], body[k - 3]):
                    if q[0] in (_LOCAL_GET, _LOCAL_TEE) and q[1] in sus:
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
        if op == _LOCAL_GET:  # local.get
            if imm not in covered:
                unsafe.add(imm)
        elif op == _LOCAL_SET or op == _LOCAL_TEE:  # local.set, local.tee
            sets.append(k)
            written.add(imm)
            if imm not in covered:
                covered.add(imm)
                opened[0 if prefix else -1].append(imm)
        elif op == _BLOCK:  # block
            opened.append([])
        elif op == _LOOP or op == _IF:  # loop, if
            prefix = False
            opened.append([])
        elif prefix and op in _PREFIX_ENDS:
            prefix = False
        if op == _ELSE or (op == _END and len(opened) > 1):  # else, end
            prefix = False
            covered.difference_update(opened[-1])
            if op == _ELSE:  # the then arm's sets do not count in the else arm
                opened[-1] = []
            else:
                opened.pop()
    return written - unsafe, sets


# Control instructions that end the straight-line entry of a function.
_PREFIX_ENDS = frozenset((_UNREACHABLE, _BR, _BR_IF, _BR_TABLE, _RETURN))


# dead_after: how far it looks, and what ends straight-line code (the
# control instructions; _live_in walks these).
_MAX_AHEAD = 200


_STRAIGHT_STOPS = frozenset(
    (_UNREACHABLE, _BLOCK, _LOOP, _IF, _ELSE, _END, _BR, _BR_IF, _BR_TABLE, _RETURN)
)


def _transfer(body: list, lo: int, hi: int) -> tuple[int, int]:
    """(read, set): the locals (bit masks) that ``body[lo:hi]``, straight-line
    code, reads before setting, and sets; live before it is ``read | (live
    after & ~set)``."""
    gen = kill = 0
    for k in range(hi - 1, lo - 1, -1):
        op = body[k][0]
        if op == _LOCAL_GET:
            gen |= 1 << body[k][1]
        elif op == _LOCAL_SET or op == _LOCAL_TEE:
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
    # before[p]: (read, set) of the straight-line code before ctrl[p] (one
    # forward walk: a read counts unless a set of that local precedes it)
    ctrl: list[int] = []
    before: list[tuple[int, int]] = []
    gen = kill = 0
    stops = _STRAIGHT_STOPS
    for k, (op, imm, _) in enumerate(body):
        if op == _LOCAL_GET:
            b = 1 << imm
            if not kill & b:
                gen |= b
        elif op == _LOCAL_SET or op == _LOCAL_TEE:
            kill |= 1 << imm
        elif op in stops:
            ctrl.append(k)
            before.append((gen, kill))
            gen = kill = 0
    n = len(ctrl)
    end_of: dict[int, int] = {}  # a loop's position in ctrl -> its end's
    start_of: dict[int, int] = {}  # an end's index in body -> its construct's
    opened: list[int] = []
    for p, k in enumerate(ctrl):
        op = body[k][0]
        if op == _BLOCK or op == _LOOP or op == _IF:
            opened.append(p)
        elif op == _END and opened:
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
        if op == _END:
            s = start_of.get(k, -1)
            kind = body[s][0] if s >= 0 else _BLOCK
            if kind == _LOOP:
                after[k] = live
                labels.append(header.get(s, 0))
            else:
                labels.append(live)
                if kind == _IF:
                    arms.append([live, live])
        elif op == _ELSE:
            arms[-1][1] = live
            live = arms[-1][0]
        elif op == _BLOCK:
            labels.pop()
        elif op == _LOOP:
            labels.pop()
            if header.get(k, 0) != live:
                # A branch back brings more: walk the body again.
                header[k] = live
                q = end_of[p]
                live = after[ctrl[q]]
                p = q
                continue
        elif op == _IF:
            labels.pop()
            live |= arms.pop()[1]
        elif op == _BR:
            live = labels[-1 - imm]
        elif op == _BR_IF:
            live |= labels[-1 - imm]
        elif op == _BR_TABLE:
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
