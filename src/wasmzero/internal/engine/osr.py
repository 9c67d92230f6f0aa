"""On-stack replacement at a loop header: the wasm function that runs one
loop of a function from the interpreter's state (see RATIONALE, "Tiering").

A function that tiering runs in the interpreter may enter a loop once and
spend its whole run there. When that loop gets hot, the interpreter hands
its state to translated code for the loop: :func:`loop_function` builds,
from the function's body, a new wasm function that

- takes the function's locals and the loop's parameters (the values the
  loop instruction finds on the operand stack),
- runs the loop exactly as the original does (the same instructions, with
  the depths of branches that leave the loop moved past the blocks added
  around it), and
- returns how the loop was left: an exit number (0: it fell through its
  ``end``; k + 1: a branch to the k-th label enclosing the loop, the
  function's own label, which ``return`` targets, being the last), the
  locals' values, and the values the exit carries (one group of slots per
  exit).

The interpreter then goes on from there: after the loop's ``end``, or as a
branch to that label with those values. The new function is built from the
module's own instructions and block types only, so it translates through
the same pipeline as any function, and the same semantics definitions.
"""

from __future__ import annotations

from ..record import record
from ..wasm.instructions import BLOCKTYPE_EMPTY, BLOCKTYPE_VALTYPES, OP
from ..wasm.types import I32, FuncType

_BLOCK, _LOOP, _IF, _ELSE, _END = OP["block"], OP["loop"], OP["if"], OP["else"], OP["end"]
_BR, _BR_IF, _BR_TABLE, _RETURN = OP["br"], OP["br_if"], OP["br_table"], OP["return"]
_LOCAL_GET, _LOCAL_SET, _I32_CONST = OP["local.get"], OP["local.set"], OP["i32.const"]


@record
class LoopFunction:
    """A loop of a function as a function of its own (see the module doc)."""

    type: FuncType  # (locals..., loop params...) -> (i32 exit, locals..., slots...)
    locals: tuple[int, ...]  # its declared locals: the exit number, then the slots
    body: list  # its instructions, ending with ``end``
    types: list[FuncType]  # block types it adds (indices from len(module.types))
    nlocals: int  # the original function's locals (parameters included)
    exits: list[tuple[int, int]]  # per exit number: (first slot, count) in the results


def block_arity(types: list[FuncType], bt: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A block type's parameter and result types (``types``: the module's)."""
    if bt == BLOCKTYPE_EMPTY:
        return (), ()
    if bt < 0:
        return (), (BLOCKTYPE_VALTYPES[bt],)
    ft = types[bt]
    return ft.params, ft.results


def enclosing(body: list, pc: int) -> list[int]:
    """The positions of the constructs that enclose instruction ``pc``,
    innermost first (the function's own label is not among them)."""
    open_: list[int] = []
    for k in range(pc):
        op = body[k][0]
        if op == _BLOCK or op == _LOOP or op == _IF:
            open_.append(k)
        elif op == _END:
            if open_:
                open_.pop()
    open_.reverse()
    return open_


def loop_end(body: list, pc: int) -> int:
    """The position of the ``end`` of the construct that starts at ``pc``."""
    depth = 0
    for k in range(pc, len(body)):
        op = body[k][0]
        if op == _BLOCK or op == _LOOP or op == _IF:
            depth += 1
        elif op == _END:
            depth -= 1
            if depth == 0:
                return k
    raise ValueError("unbalanced body")  # pragma: no cover - validated modules only


def loop_function(
    types: list[FuncType], ft: FuncType, local_types: list[int], body: list, pc: int
) -> LoopFunction:
    """The loop that starts at ``body[pc]`` of a function of type ``ft`` with
    ``local_types`` (parameters first) as a function of its own, in a module
    whose types are ``types``."""
    assert body[pc][0] == _LOOP
    end = loop_end(body, pc)
    lparams, lresults = block_arity(types, body[pc][1])
    # The labels a branch may leave the loop for, innermost first, and the
    # types each such branch carries.
    carried: list[tuple[int, ...]] = [lresults]  # exit 0: falling through
    for k in enclosing(body, pc):
        p, r = block_arity(types, body[k][1])
        carried.append(p if body[k][0] == _LOOP else r)
    carried.append(tuple(ft.results))  # the function's label
    nl = len(local_types)
    exit_local = nl + len(lparams)
    slots: list[int] = []
    exits: list[tuple[int, int]] = []
    slot_base = exit_local + 1
    for ts in carried:
        exits.append((1 + nl + len(slots), len(ts)))
        slots.extend(ts)
    added: list[FuncType] = []

    def blocktype(ts: tuple[int, ...]) -> int:
        if not ts:
            return BLOCKTYPE_EMPTY
        added.append(FuncType((), tuple(ts)))
        return len(types) + len(added) - 1

    nexits = len(carried)  # exits 0 .. nexits-1; the function label is last
    out: list = [(_BLOCK, BLOCKTYPE_EMPTY, 0)]  # the epilogue's block
    for e in range(nexits - 1, -1, -1):
        out.append((_BLOCK, blocktype(carried[e]), 0))
    out.extend((_LOCAL_GET, nl + j, 0) for j in range(len(lparams)))
    out.append(body[pc])
    depth = 0  # constructs open inside the loop
    for k in range(pc + 1, end):
        ins = body[k]
        op = ins[0]
        if op == _BLOCK or op == _LOOP or op == _IF:
            depth += 1
        elif op == _END:
            depth -= 1
        elif op == _BR or op == _BR_IF:
            if ins[1] > depth:
                ins = (op, ins[1] + 1, ins[2])
        elif op == _BR_TABLE:
            targets, default = ins[1]
            ins = (
                op,
                (
                    tuple(t + 1 if t > depth else t for t in targets),
                    default + 1 if default > depth else default,
                ),
                ins[2],
            )
        elif op == _RETURN:
            # to the function's label: past the loop, then nexits - 1 blocks
            ins = (_BR, depth + nexits, ins[2])
        out.append(ins)
    out.append(body[end])  # the loop's end
    for e in range(nexits):
        out.append((_END, None, 0))  # the block of exit e: its values on the stack
        first, count = exits[e]
        base = slot_base + first - 1 - nl
        out.extend((_LOCAL_SET, base + j, 0) for j in range(count - 1, -1, -1))
        out.append((_I32_CONST, e, 0))
        out.append((_LOCAL_SET, exit_local, 0))
        out.append((_BR, nexits - 1 - e, 0))  # to the epilogue
    out.append((_END, None, 0))  # the epilogue
    out.append((_LOCAL_GET, exit_local, 0))
    out.extend((_LOCAL_GET, j, 0) for j in range(nl))
    out.extend((_LOCAL_GET, slot_base + j, 0) for j in range(len(slots)))
    out.append((_END, None, 0))
    results = (I32, *local_types, *slots)
    return LoopFunction(
        FuncType((*local_types, *lparams), results),
        (I32, *slots),
        out,
        added,
        nl,
        exits,
    )
