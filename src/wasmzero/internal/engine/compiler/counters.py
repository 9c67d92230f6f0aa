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
