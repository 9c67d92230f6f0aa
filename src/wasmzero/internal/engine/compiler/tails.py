"""Jump threading: a branch to a block whose end is followed by a short tail
that ends in a jump (or the function's end) runs a copy of that tail
instead.

C compilers gather early exits in a block whose end leads to the shared
exit code (``return x``, or the ``continue`` of an enclosing loop)::

    block $done
      loop
        ... br_if $done ...            ;; leaves the loop and the block
      end
      ...
    end
    local.get $r  return               ;; the tail: where every exit goes

A branch that leaves a Python loop to reach the end of a block costs a flag
(``L = n; break``) and a test after every loop it leaves. A copy of the tail
at the branch (``if cond: return lR``) costs nothing at run time, and once
no branch reaches the block it lowers to no Python structure at all.

The rewrite is on the instruction list, before translation, so every
analysis sees the copies. A tail qualifies when it is at most MAX_TAIL
instructions, straight-line code (it may fall through the ends of
enclosing constructs of empty type, and take conditional branches) that
ends in ``br``, ``br_table``, ``return``, ``unreachable`` or the function's
end, never pops values it did not push, and has no blocks of its own.
Branch labels in the copy are shifted by the depth between the branch and
the tail. Only branches that are not in the block's own body (where a
nested ``if not cond:`` is already free) are rewritten; ``br_if`` becomes
``if ... end`` around the copy.
"""

from __future__ import annotations

from ...wasm.instructions import BLOCKTYPE_EMPTY, OP, OPS

# Opcodes (named from wasm/instructions.py).
_BLOCK = OP["block"]
_BR = OP["br"]
_BR_IF = OP["br_if"]
_BR_TABLE = OP["br_table"]
_CALL = OP["call"]
_CALL_INDIRECT = OP["call_indirect"]
_DROP = OP["drop"]
_ELSE = OP["else"]
_END = OP["end"]
_GLOBAL_GET = OP["global.get"]
_GLOBAL_SET = OP["global.set"]
_IF = OP["if"]
_LOCAL_GET = OP["local.get"]
_LOCAL_SET = OP["local.set"]
_LOCAL_TEE = OP["local.tee"]
_LOOP = OP["loop"]
_RETURN = OP["return"]
_SELECT = OP["select"]
_SELECT_T = OP["select_t"]
_UNREACHABLE = OP["unreachable"]

MAX_TAIL = 12
# Bodies beyond this many instructions (libc's printf_core and fmt_fp: big
# and cold) are left as they are: the pass would cost more than it saves.
MAX_BODY = 3000
# (pops, pushes) of the instructions a tail may hold besides those with a
# fixed signature in the instruction table.
_EFFECTS = {
    _LOCAL_GET: (0, 1),
    _LOCAL_SET: (1, 0),
    _LOCAL_TEE: (1, 1),
    _GLOBAL_GET: (0, 1),
    _GLOBAL_SET: (1, 0),
    _DROP: (1, 0),
    _SELECT: (3, 1),
    _SELECT_T: (3, 1),
}


def thread_tails(body: list, arity: dict[int, tuple[int, int]], results: int, ctx: object) -> list:
    """``body`` with branches to blocks followed by short tails replaced by
    copies of the tails (the same list when nothing qualifies).
    ``arity``: (params, results) of each block/loop/if by its index;
    ``results``: the function's number of results; ``ctx`` the module
    context (function and type signatures, for calls)."""
    # One pass: the innermost construct around each instruction (-1: the
    # function; for an `end`, the construct it closes), where each construct
    # ends, and the branches to rewrite (br/br_if to a block or if, not in
    # its own body).
    n = len(body)
    if n > MAX_BODY:
        return body
    inner = [-1] * n
    end_of: dict[int, int] = {}
    stack: list[int] = []
    sites: list[tuple[int, int]] = []
    for i, ins in enumerate(body):
        op = ins[0]
        if stack:
            inner[i] = stack[-1]
        if op == _BLOCK or op == _LOOP or op == _IF:
            stack.append(i)
        elif op == _END:
            if stack:
                end_of[stack.pop()] = i
        elif (op == _BR or op == _BR_IF) and 0 < ins[1] < len(stack):
            t = stack[-1 - ins[1]]
            if body[t][0] != _LOOP:
                sites.append((i, t))
    if not sites:
        return body
    depth = _depths(inner)
    tails: dict[int, list | None] = {}
    out: dict[int, list] = {}
    budget = n // 2 + 50
    for i, t in sites:
        if t not in tails:
            tails[t] = _tail(body, end_of[t] + 1, depth, inner, arity, results, ctx)
        tail = tails[t]
        if tail is None or len(tail) > budget:
            continue
        conditional = body[i][0] == _BR_IF
        d = depth[i] + (1 if conditional else 0)
        copy = []
        for ins, dj in tail:
            op = ins[0]
            if op == _BR or op == _BR_IF:
                ins = (op, ins[1] + d - dj, ins[2])
            elif op == _BR_TABLE:
                labels, default = ins[1]
                ins = (op, (tuple(k + d - dj for k in labels), default + d - dj), ins[2])
            copy.append(ins)
        if conditional:
            off = body[i][2]
            copy = [(_IF, BLOCKTYPE_EMPTY, off), *copy, (_END, None, off)]
        out[i] = copy
        budget -= len(copy)
    if not out:
        return body
    new = []
    for i, ins in enumerate(body):
        rep = out.get(i)
        if rep is None:
            new.append(ins)
        else:
            new.extend(rep)
    return new


def _tail(
    body: list,
    j: int,
    depth: list[int],
    inner: list[int],
    arity: dict,
    results: int,
    ctx: object,
) -> list | None:
    """The tail that starts at ``j``: ``[(instruction, its depth), ...]``
    ending in a jump, or None if it does not qualify."""
    n = len(body)
    out: list[tuple[tuple, int]] = []
    h = 0  # values pushed by the tail so far
    while j < n and len(out) <= MAX_TAIL:
        ins = body[j]
        op = ins[0]
        if op == _END:
            s = inner[j]  # the construct this end closes
            if s < 0:  # the function's end: its results are returned
                if h < results:
                    return None
                out.append(((_RETURN, None, ins[2]), depth[j]))
                return out
            if arity[s][1]:
                return None  # a construct with results: values at its end
            j += 1
            continue
        if op == _ELSE or op == _BLOCK or op == _LOOP or op == _IF:
            return None
        if op == _BR or op == _BR_TABLE:
            k = ins[1] if op == _BR else ins[1][1]
            if h < _label_arity(body, j, k, inner, arity):
                return None
            out.append((ins, depth[j]))
            return out
        if op == _RETURN:
            if h < results:
                return None
            out.append((ins, depth[j]))
            return out
        if op == _UNREACHABLE:
            out.append((ins, depth[j]))
            return out
        if op == _BR_IF:
            if h < 1 + _label_arity(body, j, ins[1], inner, arity):
                return None
            h -= 1
            out.append((ins, depth[j]))
            j += 1
            continue
        eff = _effect(ins, ctx)
        if eff is None or h < eff[0]:
            return None
        h += eff[1] - eff[0]
        out.append((ins, depth[j]))
        j += 1
    return None


def _label_arity(body: list, j: int, k: int, inner: list[int], arity: dict) -> int:
    """How many values a branch at ``j`` to label ``k`` carries."""
    t = inner[j]
    for _ in range(k):
        if t < 0:
            break
        t = inner[t]
    if t < 0:
        return 1 << 30  # the function itself: a return, not threaded
    p, r = arity[t]
    return p if body[t][0] == _LOOP else r


def _depths(inner: list[int]) -> list[int]:
    """Open labels (the function's included) at each instruction."""
    depth = [0] * len(inner)
    for i, t in enumerate(inner):
        depth[i] = 1 if t < 0 else depth[t] + 1
    return depth


def _effect(ins: tuple, ctx: object) -> tuple[int, int] | None:
    op = ins[0]
    eff = _EFFECTS.get(op)
    if eff is not None:
        return eff
    if op == _CALL or op == _CALL_INDIRECT:
        ft = ctx.func_types[ins[1]] if op == _CALL else ctx.module.types[ins[1][0]]  # type: ignore[attr-defined]
        return len(ft.params) + (1 if op == _CALL_INDIRECT else 0), len(ft.results)
    info = OPS.get(op)
    if info is None or info.sig is None:
        return None
    return len(info.sig[0]), len(info.sig[1])
