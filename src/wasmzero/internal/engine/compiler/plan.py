"""The plan of one function: what the analyses (``passes/``) find about it
before any source is emitted.

``plan_function`` runs the passes in order, each reading the body and the
findings of the passes before it, and records everything in one
``FunctionPlan``; the emitters (``emit/``, composed into ``Translator``)
read the plan and emit. A second back end (another emitter) reads the same
plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...wasm.instructions import BLOCKTYPE_EMPTY, BLOCKTYPE_VALTYPES
from ..context import ModuleContext
from .opcodes import _BLOCK, _IF, _LOCAL_GET, _LOOP
from .passes.align import global_alignment, likely_aligned, read_alignment
from .passes.counters import (
    Counted,
    byte_copies,
    byte_scans,
    counted_loops,
    counter_ranges,
    guarded_ranges,
)
from .passes.idioms import byte_stream
from .passes.locals import _local_writes, _negative_locals
from .passes.structure import KIND_LOOP, Node, analyse
from .passes.tails import thread_tails
from .views import _VIEW_SHIFT


@dataclass
class FunctionPlan:
    """Findings about one function, by pass. Indices are positions in
    ``body`` (the body after tail threading)."""

    # -- structure and branch targets (passes/tails.py, passes/structure.py) --
    body: list
    # (params, results) of each block/loop/if by its index.
    block_types: dict[int, tuple[int, int]]
    # The control tree by start index (the function's node last), and the
    # br_table chains lowered as switches.
    nodes: dict[int, Node]
    switch_chains: Any
    # -- locals (passes/locals.py) --
    # Locals every read of which follows a set (no zero initialisation).
    assigned: set[int]
    # Indices of every local.set/local.tee.
    sets: list[int]
    # Names of i32 locals that may hold "negative" numbers (wrapped sums).
    suspect: frozenset[str]
    # -- alignment (passes/align.py) --
    global_al: list[int]  # known alignment of each global
    read_al: Any  # alignment of each address read (read_alignment)
    fixed_al: Any
    shadow: Any  # locals given a checked aligned shadow
    spec: dict[int, int] = field(default_factory=dict)  # likely_aligned locals
    # -- loop counters and value ranges (passes/counters.py) --
    counter_range: dict[int, Any] = field(default_factory=dict)  # read index -> range
    counted: dict[int, Counted] = field(default_factory=dict)  # loops lowered to `for`
    skip: set[int] = field(default_factory=set)  # the counting tails of static ones
    tails: dict[int, int] = field(default_factory=dict)  # tail start -> loop start (others)
    # Static loops over a shifted (or scaled) counter: start -> (variable,
    # shift, scale), and the counter's reads: index -> (variable, offset,
    # low, high, step, scale).
    shifted: dict[int, tuple[str, int, int]] = field(default_factory=dict)
    shift_reads: dict[int, tuple[str, int, int, int, int, int]] = field(default_factory=dict)
    # Loops decided on entry whose counter is read as x + y: start -> (t, y),
    # and the reads: index -> t (Counted.offset_reads).
    over_sums: dict[int, tuple[str, int]] = field(default_factory=dict)
    sum_reads: dict[int, str] = field(default_factory=dict)
    # -- idioms (passes/counters.py, passes/idioms.py) --
    scans: dict[int, tuple[int, int, int, int, int]] = field(default_factory=dict)  # byte scans
    copies: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)  # byte copies
    scan_ends: dict[int, int] = field(default_factory=dict)  # their loops' ends -> start
    # Static loops reading consecutive bytes: start -> (the iterator's name,
    # the bytes' names in order); and their byte loads: index -> (name, offset).
    streams: dict[int, tuple[str, list[str]]] = field(default_factory=dict)
    stream_loads: dict[int, tuple[str, int]] = field(default_factory=dict)
    # Temporaries (t1 .. t<ntemp>) the plan named; the emitters go on from there.
    ntemp: int = 0

    def fresh(self) -> str:
        self.ntemp += 1
        return f"t{self.ntemp}"


def block_arity(ctx: ModuleContext, bt: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    if bt == BLOCKTYPE_EMPTY:
        return (), ()
    if bt < 0:
        return (), (BLOCKTYPE_VALTYPES[bt],)
    ft = ctx.module.types[bt]
    return ft.params, ft.results


def block_types_of(ctx: ModuleContext, body: list) -> dict[int, tuple[int, int]]:
    """(params, results) of each block/loop/if by its index."""
    block_types = {}
    for i, (op, imm, _) in enumerate(body):
        if op in (_BLOCK, _LOOP, _IF):
            p, r = block_arity(ctx, imm)
            block_types[i] = (len(p), len(r))
    return block_types


def plan_function(ctx: ModuleContext, index: int) -> FunctionPlan:
    """Run the analyses over function ``index`` (a defined function)."""
    ft = ctx.func_types[index]
    code = ctx.module.codes[index - ctx.num_imported_funcs]
    local_types = list(ft.params) + list(code.locals)
    nparams = len(ft.params)
    body = code.body
    block_types = block_types_of(ctx, body)
    threaded = thread_tails(body, block_types, len(ft.results), ctx)
    if threaded is not body:
        body = threaded
        block_types = block_types_of(ctx, body)
    nodes, switch_chains = analyse(body, block_types)
    assigned, sets = _local_writes(body)
    if ctx.global_align is None:
        ctx.global_align = global_alignment(ctx.module, ctx.func_types)
    global_al = ctx.global_align
    loops = [(n.start, n.end, len(n.sites)) for n in nodes.values() if n.kind == KIND_LOOP]
    read_al, fixed_al, shadow = read_alignment(
        body, local_types, nparams, global_al, sets, _VIEW_SHIFT
    )
    p = FunctionPlan(
        body=body,
        block_types=block_types,
        nodes=nodes,
        switch_chains=switch_chains,
        assigned=assigned,
        sets=sets,
        suspect=frozenset(f"l{x}" for x in _negative_locals(body, sets)),
        global_al=global_al,
        read_al=read_al,
        fixed_al=fixed_al,
        shadow=shadow,
    )
    p.counter_range = guarded_ranges(body, loops)
    p.counter_range.update(counter_ranges(body, loops))
    p.counted = counted_loops(body, [lp for lp in loops if block_types[lp[0]] == (0, 0)])
    for s, c in p.counted.items():
        st = c.span
        if st:
            p.skip.update(c.skip)
            for j in range(s + 1, c.skip[0]):
                if body[j][0] == _LOCAL_GET and body[j][1] == c.x:
                    p.counter_range[j] = st
        else:
            p.tails[c.skip[0]] = s
    p.scans = {
        st: v
        for st, v in byte_scans(body, [lp for lp in loops if block_types[lp[0]] == (0, 0)]).items()
        if not any(y in p.shadow for y in v[1:4])  # (their locals without shadows)
    }
    p.scan_ends = {nodes[st].end: st for st in p.scans}
    for s, c in p.counted.items():
        if not c.span:
            continue
        sh = c.shifted(body, s) if c.x not in p.shadow else None
        if sh is not None:
            # Reads x + C of the counter become a + offset (see
            # Counted.shifted), maybe scaled (see Counted.scale).
            shift, offsets = sh
            k = c.scale(body, shift, offsets)
            for j in offsets:
                p.skip.update((j + 1, j + 2))
        else:
            # Reads of the counter become a << k (see Counted.scaled;
            # a shadow of the counter is not kept: every read is replaced).
            sc = c.scaled(body, s)
            if sc is None:
                continue
            shift, (k, reads) = 0, sc
            offsets = dict.fromkeys(reads, 0)
        a = p.fresh()
        p.shifted[s] = (a, shift, k)
        lo, hi = c.span  # type: ignore[misc]
        for j, off in offsets.items():
            p.shift_reads[j] = (a, off, lo + shift + off, hi + shift + off, abs(c.step), k)
    for s, (_, _, k) in p.shifted.items():
        loads = byte_stream(p, body, s, k)
        if loads is not None:
            byte = dict(sorted((rel, name) for name, rel in loads.values()))
            p.streams[s] = (p.fresh(), list(byte.values()))
            p.stream_loads.update(loads)
    for s, c in p.counted.items():
        if c.span is None and c.x not in p.shadow:
            r = c.offset_reads(body, s, nodes[s].writes)
            if r is not None:
                y, reads = r
                t = p.fresh()
                p.over_sums[s] = (t, y)
                for j, other in reads.items():
                    p.skip.update(other)
                    p.sum_reads[j] = t
    # Locals written other than by local.set (or a `for` over a counter,
    # which keeps a shadow current): no checked shadow.
    p.copies = {
        st: v
        for st, v in byte_copies(body, p.counted).items()
        if st not in p.shifted and st not in p.over_sums
    }
    if ctx.options.fuel:  # limits: every loop iteration runs, to be charged
        p.scans, p.copies, p.scan_ends = {}, {}, {}
    p.scan_ends.update((nodes[st].end, st) for st in p.copies)
    written = set(p.shadow)
    written.update(c.x for s, c in p.counted.items() if s in p.shifted)
    written.update(c.x for s, c in p.counted.items() if s in p.over_sums)
    for v in p.scans.values():
        written.update(v[:4])
    written.update(y for _, y in p.over_sums.values())
    p.spec = likely_aligned(body, local_types, nparams, _VIEW_SHIFT, written)
    return p
