"""Loop counters whose range is known.

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

_I32_CONST = 0x41
_LOCAL_GET = 0x20
_LOCAL_SET = 0x21
_LOCAL_TEE = 0x22
_I32_ADD = 0x6A
_BR_IF = 0x0D
_SETS = (_LOCAL_SET, _LOCAL_TEE)


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
_LT_U, _LT_S, _GT_U, _GT_S, _EQZ = 0x49, 0x48, 0x4B, 0x4A, 0x45
_LOOP, _IF, _ELSE, _END = 0x03, 0x04, 0x05, 0x0B
_JOINS = frozenset((_LOOP, _IF, _ELSE, _END, 0x0C, 0x0E, 0x0F, 0x00))


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
