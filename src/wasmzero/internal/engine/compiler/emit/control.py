"""The emitter of blocks, loops, ifs and branches as Python control flow (see
passes/structure.py for the lowering).
"""

from __future__ import annotations

from ...limits import charge_lines
from ..passes.counters import Counted
from ..passes.structure import KIND_BLOCK, KIND_FUNC, KIND_IF, KIND_LOOP
from .values import (
    GUARD_DEPTH,
    MAX_NEST_INDENT,
    MAX_PY_LOOPS,
    Frame,
    Switch,
    TranslationLimit,
    V,
    var,
)


def _node_id(f: Frame) -> int:
    return f.node.id


class ControlEmitter:
    """Blocks, loops, ifs and branches as Python control flow (see
    passes/structure.py for the lowering).

    A part of ``Translator`` (translate.py): its methods use the
    translator's state."""

    # -- control ------------------------------------------------------------------

    def open_block(self, i: int, kind: int, cond: str | None = None) -> None:
        np, nr = self.plan.block_types[i]
        node = self.plan.nodes[i]
        height = len(self.stack) - np
        parent = self.frames[-1]
        # Pending values must be settled before the block runs.
        self.flush_for_block(node.writes)
        if kind == KIND_LOOP:
            self.forget(node)  # the loop header joins the branches back
        for j in range(np):
            slot = f"s{height + j}"
            v = self.stack[height + j]
            if v.e != slot:
                self.assign(slot, v)
                self.stack[height + j] = var(slot)
        if parent.need_guard:
            self.open_region(parent)
        fr = Frame(node, kind, np, nr, height)
        fr.outer_indent = self.indent
        if kind == KIND_LOOP and not node.sites:
            # never branched to: runs once, like a plain block
            if self.ctx.options.fuel:  # limits: fuel at a loop header
                self.lines.extend(charge_lines("    " * self.indent))
        elif kind == KIND_LOOP:
            if self.py_depth >= MAX_PY_LOOPS:
                raise TranslationLimit("loops nested too deeply for Python")
            fr.pyloop = True
        elif node.nest and self.indent + node.direct < MAX_NEST_INDENT:
            fr.nest = True
        elif node.sites and not node.tailbreak and not node.case:
            if self.py_depth < GUARD_DEPTH and node.direct_break:
                fr.pyloop = True
            else:
                fr.guard = True
        if fr.pyloop:
            c = self.plan.counted.get(i) if kind == KIND_LOOP else None
            if c is not None and c.span:
                fr.counted = c
                a, shift, k = self.plan.shifted.get(i, (f"l{c.x}", 0, 0))
                stream = self.plan.streams.get(i)
                if stream is None:
                    self.emit(f"for {a} in {c.header(shift, k)}:")
                else:
                    # The bytes it reads, consecutive (see byte_stream).
                    it, byte = stream
                    lo, end, step = c._range(c.x0, c.bound)  # type: ignore[arg-type, misc]
                    r = range(lo + shift, end + shift, step)
                    self.emit(f"{it} = _bytes_of({r.start}, {r.start + len(r) * step})")
                    self.emit(
                        f"for {a}, {', '.join(byte)} in zip({c.header(shift, k)}{f', {it}' * step}):"
                    )
                if self.has_shadow(c.x) and a == f"l{c.x}":
                    self.lines.append("    " * (self.indent + 1) + self.shadow_line(c.x))
            else:
                self.emit("while True:")
                if c is not None and self.indent < MAX_NEST_INDENT:
                    fr.counted = c
                    fr.head = len(self.lines) - 1
                ts = self.plan.over_sums.get(i) if c is not None else None
                if ts is not None:
                    # the sum the body reads (the range form runs over it)
                    ind = "    " * (self.indent + 1)
                    self.lines.append(f"{ind}{ts[0]} = l{ts[1]} + l{c.x}")
            self.indent += 1
            self.py_depth += 1
            if kind == KIND_LOOP and self.ctx.options.fuel:  # limits: fuel at a loop header
                self.lines.extend(charge_lines("    " * self.indent))
        if kind == KIND_IF:
            self.emit(f"if {cond}:")
            self.indent += 1
        fr.base_indent = self.indent
        fr.arm_start = len(self.lines)
        if kind == KIND_IF:
            fr.facts_in = dict(self.facts)
        self.frames.append(fr)

    def op_block(self, i: int, imm: object) -> None:
        self.open_block(i, KIND_BLOCK)

    def op_loop(self, i: int, imm: object) -> None:
        self.open_block(i, KIND_LOOP)

    def op_if(self, i: int, imm: object) -> None:
        c = self.pop()
        if not c.simple and (c.unsafe or len(c.e) > 120):
            c = self.materialize(c)
        self.open_block(i, KIND_IF, self.cond_of(c))

    def store_results(self, fr: Frame) -> None:
        """Fallthrough to a frame's end: its results go to its slots."""
        n = fr.results
        if n:
            self.move_to_slots(fr.height, self.stack[len(self.stack) - n :])

    def move_to_slots(self, height: int, vals: list[V], emit=None) -> list[str]:
        """Assign ``vals`` to the slots from ``height``; returns the lines
        (emitted unless ``emit`` is False)."""
        pairs = [(f"s{height + j}", v) for j, v in enumerate(vals)]
        pairs = [(t, v) for t, v in pairs if v.e != t]
        if not pairs:
            return []
        if len(pairs) == 1:
            line = f"{pairs[0][0]} = {pairs[0][1].e}"
        else:
            line = ", ".join(t for t, _ in pairs) + " = " + ", ".join(v.e for _, v in pairs)
        if emit is False:
            return [line]
        # Entries left on the stack must not see the new slot values.
        self.flush_reading({t for t, _ in pairs})
        self.emit(line)
        return [line]

    def end_arm(self, fr: Frame) -> None:
        """Close the current arm of ``fr`` (its body, or an if's branch)."""
        if fr.nest_open:
            lines = self.lines
            for pos in reversed(fr.nest_open):
                if pos == len(lines) - 1:
                    head = lines[pos]
                    lines.append(head[: len(head) - len(head.lstrip())] + "    pass")
            fr.nest_open = []
            fr.base_indent = fr.base0
        fr.need_guard = False
        fr.region = False
        if len(self.lines) == fr.arm_start:
            self.lines.append("    " * fr.base_indent + "pass")

    def op_else(self, i: int = 0, imm: object = None) -> None:
        fr = self.frames[-1]
        fr.facts_then = None if fr.unreachable else self.facts
        self.facts = dict(fr.facts_in)
        fr.then_fell = not fr.unreachable
        if not fr.unreachable:
            self.store_results(fr)
        self.end_arm(fr)
        self.indent = fr.base_indent - 1
        self.lines.append("    " * self.indent + "else:")
        self.indent += 1
        fr.arm_start = len(self.lines)
        del self.stack[fr.height :]
        self.stack.extend(var(f"s{fr.height + j}") for j in range(fr.params))
        fr.unreachable = False
        fr.else_seen = True

    def op_end(self, i: int = 0, imm: object = None) -> None:
        fr = self.frames[-1]
        sw = self.switches[-1] if self.switches else None
        if sw is not None and fr is sw.after:
            self.finish_switch(sw)
        fallthrough = not fr.unreachable
        if fr.kind == KIND_FUNC:
            if fallthrough:
                self.emit_return()
            self.end_arm(fr)
            self.frames.pop()
            return
        if fallthrough:
            self.store_results(fr)
        if fr.kind == KIND_IF or fr.kind == KIND_BLOCK:
            self.join_end(fr)
        else:
            # (a counted loop's counter changes in its header and its else:)
            self.forget(fr.node, ranges=False)
        self.end_arm(fr)
        self.frames.pop()
        parent = self.frames[-1]
        self.indent = fr.outer_indent
        if fr.pyloop:
            c = fr.counted
            if c is None or fr.head >= 0:
                # Falling off the end of the body leaves the loop.
                self.lines.append("    " * (self.indent + 1) + "break")
                if c is not None and fr.tail > fr.head:
                    self.copy_counted(fr, c)
            else:
                self.lines += self.counted_exit(c, self.indent)
            self.py_depth -= 1
            self.dispatch_after_loop(fr)
        if fr.guard and fr.reached:
            self.lines.append("    " * self.indent + f"if L == {fr.node.id}: L = 0")
        outer = fr.pending - {fr}
        if outer:
            parent.pending |= outer
            parent.need_guard = True
        del self.stack[fr.height :]
        self.stack.extend(var(f"s{fr.height + j}") for j in range(fr.results))
        if fr.kind == KIND_LOOP:
            after = fallthrough
        elif fr.kind == KIND_IF:
            after = fallthrough or fr.reached or fr.then_fell or not fr.else_seen
        else:
            after = fallthrough or fr.reached
        if not after:
            parent.unreachable = True
        if sw is not None and fr.node.case and fr in sw.cases:
            self.capture_case(sw, sw.cases.index(fr))

    def counted_exit(self, c: Counted, indent: int, last: str | None = None) -> list[str]:
        """The ``else:`` of a counted ``for``: when the range runs out, the
        counter takes the stepped value that ended the loop (``last``: its
        last value, when the loop ran over something else)."""
        ind = "    " * indent
        out = [ind + "else:", ind + f"    l{c.x} = {c.after(last)}"]
        if self.has_shadow(c.x):
            out.append(ind + "    " + self.shadow_line(c.x))
        return out

    def copy_counted(self, fr: Frame, c: Counted) -> None:
        """Turn the ``while True:`` loop just emitted into ``if guard: for
        ... in range(...): body`` ``else: while True: body tail``."""
        lines = self.lines
        h = fr.head
        ind = lines[h][: len(lines[h]) - len(lines[h].lstrip())]
        ts = self.plan.over_sums.get(fr.node.start)
        first = h + 1 if ts is None else h + 2  # (not the sum's line)
        body = ["    " + line for line in lines[first : fr.tail]]
        if not body:
            body = [ind + "        pass"]
        if ts is None:
            var_, last = f"l{c.x}", None
            header = c.header()
        else:
            t, y = ts  # the loop runs over t = x + y
            var_, last = t, f"({t} - l{y})"
            header = c.header(over=f"l{y}")
        out = [ind + f"if {c.guard()}:", ind + f"    for {var_} in {header}:"]
        if self.has_shadow(c.x):
            out.append(ind + "        " + self.shadow_line(c.x))
        out += body
        out += self.counted_exit(c, len(ind) // 4 + 1, last)
        out += [ind + "else:", "    " + lines[h]]
        out += ["    " + line for line in lines[h + 1 :]]
        lines[h:] = out

    def dispatch_after_loop(self, fr: Frame) -> None:
        """After a Python loop ends, continue the multi-level branches that
        left it: the next loop out is their target, or must be left too."""
        if not fr.crossing:
            return
        here: list[Frame] = []
        beyond: list[Frame] = []
        guard_targets: set[Frame] = set()
        for t in fr.crossing:
            hit = None
            for g in reversed(self.frames):
                if g.pyloop or g is t:
                    hit = g
                    break
            if hit is t:
                if t.pyloop:
                    here.append(t)
                else:
                    guard_targets.add(t)
            else:
                beyond.append(t)
        ind = "    " * self.indent
        if here or beyond:
            self.lines.append(ind + "if L:")
            for t in sorted(here, key=lambda f: f.node.id):
                jump = "continue" if t.kind == KIND_LOOP else "break"
                self.lines.append(ind + f"    if L == {t.node.id}: L = 0; {jump}")
            if beyond and guard_targets:
                # Only the targets beyond leave the next loop: a guard
                # target inside it continues here, under `if not L:`.
                ids = " or ".join(f"L == {t.node.id}" for t in sorted(beyond, key=_node_id))
                self.lines.append(ind + f"    if {ids}: break")
            elif beyond:
                self.lines.append(ind + "    break")
        if guard_targets:
            parent = self.frames[-1]
            parent.pending |= guard_targets
            parent.need_guard = True

    # -- branches -------------------------------------------------------------------

    def jump(self, t: Frame) -> list[str]:
        """The statements that transfer control to label ``t`` (values
        already in place)."""
        if t.kind == KIND_FUNC:
            return [self.return_line()]
        t.reached = True
        loops = []
        for g in reversed(self.frames):
            if g is t:
                break
            if g.pyloop:
                loops.append(g)
        if t.pyloop and not loops:
            return ["continue" if t.kind == KIND_LOOP else "break"]
        if t.node.tailbreak and not t.guard and not t.pyloop:
            return ["break"]
        self.uses_L = True
        if not loops:
            self.frames[-1].pending.add(t)
            return [f"L = {t.node.id}"]
        for g in loops:
            g.crossing.add(t)
        return [f"L = {t.node.id}", "break"]

    def branch_lines(self, t: Frame, vals: list[V]) -> list[str]:
        if t.kind == KIND_FUNC:
            return [self.return_line(vals)]
        if vals:
            height = t.height
            lines = self.move_to_slots(height, vals, emit=False)
        else:
            lines = []
        return lines + self.jump(t)

    def label_arity(self, t: Frame) -> int:
        return t.params if t.kind == KIND_LOOP else t.results

    def op_br(self, i: int, label: int) -> None:
        t = self.frames[-1 - label]
        self.branch_facts(t)
        if t.nest:  # in t's own body: the rest of the body is skipped
            t.reached = True
            t.unreachable = True
            return
        n = self.label_arity(t)
        self.flush_unsafe()
        vals = self.stack[len(self.stack) - n :] if n else []
        for line in self.branch_lines(t, vals):
            self.emit(line)
        self.frames[-1].unreachable = True

    def op_br_if(self, i: int, label: int) -> None:
        c = self.pop()
        t = self.frames[-1 - label]
        self.branch_facts(t)
        if t.nest:  # in t's own body: the rest of the body runs if not c
            self.flush_unsafe()
            t.reached = True
            self.emit(f"if not ({self.cond_of(c)}):")
            if not t.nest_open:
                t.base0 = t.base_indent
            t.nest_open.append(len(self.lines) - 1)
            self.indent += 1
            t.base_indent = self.indent
            t.region = False
            return
        n = self.label_arity(t)
        self.flush_unsafe()
        if n:
            st = self.stack
            for k in range(len(st) - n, len(st)):
                st[k] = self.materialize(st[k])
        # (an unsafe condition is evaluated in the `if` itself: everything
        # before it in wasm order has been flushed above)
        vals = self.stack[len(self.stack) - n :] if n else []
        lines = self.branch_lines(t, vals)
        self.emit(f"if {self.cond_of(c)}:")
        for line in lines:
            self.lines.append("    " * (self.indent + 1) + line)
        if lines[-1].startswith("L = "):
            self.frames[-1].need_guard = True

    def op_br_table(self, i: int, imm: tuple) -> None:
        labels, default = imm
        idx = self.pop()
        self.flush_unsafe()
        for label in set(labels) | {default}:
            self.branch_facts(self.frames[-1 - label])
        if not idx.simple:
            idx = self.materialize(idx)
        if i in self.plan.switch_chains:
            self.start_switch(i, idx.e, labels, default)
            return
        t0 = self.frames[-1 - default]
        n = self.label_arity(t0)
        vals = self.stack[len(self.stack) - n :] if n else []
        ranges = self.table_ranges(labels, default)
        code = {}
        for _, _, label in ranges:
            if label not in code:
                code[label] = self.branch_lines(self.frames[-1 - label], vals)
        f = self.frames[-1]
        if f.need_guard:
            self.open_region(f)
        self.emit_tree(idx.e, ranges, code)
        self.frames[-1].unreachable = True

    # -- switches ---------------------------------------------------------------

    def start_switch(self, i: int, idx: str, labels: tuple, default: int) -> None:
        """A ``br_table`` heading a switch chain: the if-tree is emitted once
        every case's code has been translated (see ``finish_switch``)."""
        m = len(self.plan.switch_chains[i]) - 1
        cases = [self.frames[-1 - k] for k in range(m)]
        after = self.frames[-1 - m]
        ranges = self.table_ranges(labels, default)
        code: dict[int, list[str] | int] = {}
        for _, _, label in ranges:
            if label in code:
                continue
            if label < m:
                code[label] = label  # filled by the case's translated code
                self.frames[-1 - label].reached = True
            else:
                code[label] = self.branch_lines(self.frames[-1 - label], [])
        f = self.frames[-1]
        if f.need_guard:
            self.open_region(f)
        sw = Switch(idx, ranges, code, self.indent, self.lines, cases, after)
        self.switches.append(sw)
        self.frames[-1].unreachable = True

    def capture_case(self, sw: Switch, k: int) -> None:
        """After case block ``k`` ends, its case code is translated into a
        buffer of its own, at relative indentation 0."""
        if sw.current is not None:
            sw.buffers[sw.current] = self.lines
        sw.current = k
        self.lines = []
        self.indent = 0
        f = self.frames[-1]
        f.base_indent = 0
        f.arm_start = 0

    def finish_switch(self, sw: Switch) -> None:
        self.switches.pop()
        if sw.current is not None:
            sw.buffers[sw.current] = self.lines
        self.lines = sw.lines
        self.indent = sw.indent
        sw.after.base_indent = sw.after_base
        code: dict = {}
        for label, c in sw.code.items():
            code[label] = sw.buffers.get(c, ["pass"]) if isinstance(c, int) else c
        self.emit_tree(sw.idx, sw.ranges, code)
        sw.after.arm_start = -1

    def table_ranges(self, labels: tuple, default: int) -> list[list[int]]:
        ranges: list[list[int]] = []  # [lo, hi, label]
        for k, label in enumerate(labels):
            if ranges and ranges[-1][2] == label and ranges[-1][1] == k - 1:
                ranges[-1][1] = k
            else:
                ranges.append([k, k, label])
        if ranges and ranges[-1][2] == default:
            ranges[-1][1] = 0xFFFFFFFF
        else:
            ranges.append([len(labels), 0xFFFFFFFF, default])
        return ranges

    def emit_tree(self, idx: str, ranges: list[list[int]], code: dict) -> None:
        """A binary search over index ranges; each leaf is a branch's lines."""
        if len(ranges) == 1:
            prefix = "    " * self.indent
            for line in code[ranges[0][2]]:
                self.lines.append(prefix + line)
            return
        mid = len(ranges) // 2
        self.lines.append("    " * self.indent + f"if {idx} < {ranges[mid][0]}:")
        self.indent += 1
        self.emit_tree(idx, ranges[:mid], code)
        self.indent -= 1
        self.lines.append("    " * self.indent + "else:")
        self.indent += 1
        self.emit_tree(idx, ranges[mid:], code)
        self.indent -= 1
