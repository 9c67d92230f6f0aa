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
_BR, _BR_IF, _BR_TABLE = 0x0C, 0x0D, 0x0E
_STARTS = (0x02, 0x03, 0x04)  # block, loop, if
_END = 0x0B


def counter_ranges(body: list) -> dict[int, tuple[int, int]]:
    """``{index of a local.get: (low, high)}`` for the reads of loop
    counters of the form above."""
    out: dict[int, tuple[int, int]] = {}
    loops = [s for s in range(2, len(body)) if body[s][0] == 0x03]
    if not loops:
        return out
    ends = _block_ends(body)
    for s in loops:
        e = ends.get(s)
        prev, init = body[s - 1], body[s - 2]
        if e is None or e < s + 6 or prev[0] != _LOCAL_SET or init[0] != _I32_CONST:
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
        if not _only_way_back(body, s, e - 5, x):
            continue
        for j in range(s + 1, e - 4):
            if body[j][0] == _LOCAL_GET and body[j][1] == x:
                out[j] = (c, 0x100000000 - k)
    return out


def _block_ends(body: list) -> dict[int, int]:
    ends: dict[int, int] = {}
    stack: list[int] = []
    for k, ins in enumerate(body):
        op = ins[0]
        if op in _STARTS:
            stack.append(k)
        elif op == _END and stack:
            ends[stack.pop()] = k
    return ends


def _only_way_back(body: list, s: int, tail: int, x: int) -> bool:
    """Whether the loop starting at ``s`` neither sets ``x`` nor branches
    back to itself before ``tail`` (where its own increment starts)."""
    depth = 0  # blocks open inside the loop
    for j in range(s + 1, tail):
        op, imm, _ = body[j]
        if op in _STARTS:
            depth += 1
        elif op == _END:
            depth -= 1
        elif op == _LOCAL_SET or op == _LOCAL_TEE:
            if imm == x:
                return False
        elif op == _BR or op == _BR_IF:
            if imm == depth:
                return False
        elif op == _BR_TABLE:
            labels, default = imm
            if depth in labels or default == depth:
                return False
    return True
