"""The emitter of locals: reads, writes and tees, and the facts (ranges, aliases,
liveness) that the emitters keep about them while emitting.
"""

from __future__ import annotations

import copy
import math

from ..opcodes import _LOCAL_GET, _LOCAL_SET, _LOCAL_TEE
from ..passes.idioms import _address_at
from ..passes.locals import _MAX_AHEAD, _STRAIGHT_STOPS, _live_in, _transfer
from ..passes.structure import KIND_BLOCK, KIND_IF, Node
from .facts import _AL_FACT, _join_facts, _reads
from .values import Frame, V, _local_index, var


class LocalEmitter:
    """Locals: reads, writes and tees, and the facts (ranges, aliases,
    liveness) that the emitters keep about them while emitting.

    A part of ``Translator`` (translate.py): its methods use the
    translator's state."""

    def op_local_get(self, i: int, x: int) -> None:
        t = self.plan.sum_reads.get(i)
        if t is not None:
            # x + y of a loop over t = x + y (the other get and the add are skipped)
            v = V(f"({t} % 4294967296)", frozenset((t,)), raw=t, rbits=33, rsafe=True)
            v.lin = (((t, 0, 0),), 0)
            self.stack.append(v)
            return
        sr = self.plan.shift_reads.get(i)
        if sr is not None:
            # x + C of a shifted counter (the const and add are skipped)
            a, off, lo, hi, step, k = sr
            g = math.gcd(lo, step)
            al = min((g & -g).bit_length() - 1, 3) if g else 3
            names = frozenset((a,))
            if k:
                # a runs over the addresses >> k (see Counted.scale): an
                # access of 2**k bytes indexes its view with a + off >> k
                e = f"({a} << {k})" if off == 0 else f"(({a} << {k}) + {off})"
                v = V(e, names, hi=hi, lo=lo, al=al, raw=e, rbits=33, rsafe=True)
                v.lin = (((a, k, k),), off)
                self.stack.append(v)
                return
            e = a if off == 0 else f"({a} + {off})" if off > 0 else f"({a} - {-off})"
            self.stack.append(V(e, names, simple=off == 0, hi=hi, lo=lo, al=al))
            return
        w = self.virtual.get(x)
        if w is not None:
            self.stack.append(copy.copy(w))
            return
        al = self.plan.read_al.get(i)
        al = self.plan.fixed_al[x] if al is None else al
        f = self.facts.get(_AL_FACT + x)
        if f is not None and f[0] > al:
            al = f[0]
        v = var(f"l{x}", al)
        r = self.plan.counter_range.get(i) or self.facts.get(x)
        if r is not None:
            v.lo, v.hi = r
        self.stack.append(v)

    def op_local_set(self, i: int, x: int) -> None:
        v = self.pop()
        if v.unsafe:
            self.flush_unsafe()  # as in op_local_tee
        if not self.set_virtual(i, x, v):
            self.assign(f"l{x}", v)
            self.note_range(x, v)
            self.note_alias(x, v)

    def set_virtual(self, i: int, x: int, v: V, tee: bool = False) -> bool:
        """Whether the set (or tee) ``body[i]`` of ``v`` to local ``x`` is
        not written out (see dead_after): then its reads take ``v``."""
        self.virtual.pop(x, None)
        if v.unsafe or not self.dead_after(i, x, v, tee):
            return False
        self.virtual[x] = v
        self.note_range(x, v)
        self.note_alias(x, v, True)
        return True

    def live(self, k: int, x: int) -> bool:
        """Whether local ``x`` may be read after ``body[k]`` starts, before
        it is set again."""
        if self._live is None:
            self._live = _live_in(self.body)
        live = self._live.get(k)
        if live is None:
            # Not a control instruction: from the next one back to it.
            c = k + 1
            while c not in self._live:
                c += 1
            gen, kill = _transfer(self.body, k, c)
            live = gen | (self._live[c] & ~kill)
        return bool(live >> x & 1)

    def dead_after(self, i: int, x: int, v: V, tee: bool = False) -> bool:
        """Whether the value ``local.set x`` (``body[i]``) stores is set
        again in the same straight-line code, read in between (before any
        local it reads changes) at most once, or only as the address
        of accesses it can index a view for (``p + 80`` where p has a
        shadow: ``MVd[q + 10]``), or not set again there but dead where it
        ends (see _live_in). Such a set is not written out: the reads
        take the value itself, and the variable keeps its old value (C's
        ``a = p + 80; a->x += ...; a = p + 88; ...``). ``tee``: the set is
        a ``local.tee``, whose value is read right away."""
        body = self.body
        names = v.names
        viewable = v.lin is not None and (
            any(_local_index(t[0]) in self.plan.shadow for t in v.lin[0])
            and all(t[1] >= 2 or _local_index(t[0]) in self.plan.shadow for t in v.lin[0])
            or self.checked_base(v)[0] is not None
        )
        reads = 0
        changed = False
        if tee and not (viewable and _address_at(body, i)):
            reads = 1  # (the value a tee leaves on the stack)
        for k in range(i + 1, min(len(body), i + _MAX_AHEAD)):
            if k in self.plan.skip:  # (a `for` loop's counting tail: the loop goes on)
                return not self.live(k, x)
            op, imm, _ = body[k]
            if op == _LOCAL_SET or op == _LOCAL_TEE:  # local.set, local.tee
                if imm == x:
                    return True
                if f"l{imm}" in names:
                    changed = True  # (the value can no longer be read)
            elif op == _LOCAL_GET and imm == x:  # local.get
                if changed:
                    return False
                if not (viewable and _address_at(body, k)):
                    reads += 1
                    if reads > 1:
                        return False
            elif op in _STRAIGHT_STOPS:
                return not self.live(k, x)
        return False  # (too far to look)

    def op_local_tee(self, i: int, x: int) -> None:
        v = self.pop()
        if self.set_virtual(i, x, v, tee=True):
            self.stack.append(copy.copy(v))
            return
        if v.unsafe:
            # computed now (a statement): what may trap before it in wasm
            # order, pending below it on the stack, goes first
            self.flush_unsafe()
        self.assign(f"l{x}", v)
        self.note_range(x, v)
        self.note_alias(x, v)
        w = var(f"l{x}", max(v.al, self.plan.read_al.get(i, 0)))
        if v.hi is not None:
            w.lo, w.hi = v.lo, v.hi
        self.stack.append(w)

    def note_range(self, x: int, v: V) -> None:
        """What a set says of the local's range (and alignment), until the
        next set of it or a join of control flow that another value may come
        from."""
        if v.hi is not None:
            self.facts[x] = (v.lo, v.hi)
        else:
            self.facts.pop(x, None)
        # Its alignment too, kept as (al, -al): joins keep the least.
        if v.al:
            self.facts[_AL_FACT + x] = (v.al, -v.al)
        else:
            self.facts.pop(_AL_FACT + x, None)

    def note_alias(self, x: int, v: V, virtual: bool = False) -> None:
        """A local set to a sum of locals (``p = q + 56``, q with a shadow)
        is, until one of them is set again or a join, that sum: accesses
        through it index the view from q's shadow (``MVd[q0 + 7]``, see
        aligned_view). Kept in ``facts`` under ``~x``."""
        if not self.plan.shadow:
            return  # (no base to index from: nothing to note, nor to scan)
        facts = self.facts
        name = f"l{x}"
        if self.aliased:
            # (a virtual set leaves the variable as it was: aliases of it hold)
            stale = [
                k
                for k, f in facts.items()
                if k < 0 and (k == ~x or not virtual and _reads(f, name))
            ]
            for k in stale:
                del facts[k]
        lin = v.lin
        if (
            lin is not None
            and lin[0]
            and v.raw is not None
            and v.rsafe
            and all(_local_index(t[0]) is not None and t[0] != name for t in lin[0])
            and any(_local_index(t[0]) in self.plan.shadow for t in lin[0])
        ):
            facts[~x] = lin
            self.aliased = True

    def join_end(self, fr: Frame) -> None:
        """The ranges after a block or if: those that hold on every path to
        its end (branches to it, the fall through, for an if its then arm
        and, without an else, its entry), widened to cover each."""
        paths = []
        if fr.facts_br is not None:
            paths.append(fr.facts_br)
        if not fr.unreachable:
            paths.append(self.facts)
        if fr.kind == KIND_IF:
            if not fr.else_seen:
                paths.append(fr.facts_in)
            elif fr.facts_then is not None:
                paths.append(fr.facts_then)
        self.facts = _join_facts(paths)

    def branch_facts(self, t: Frame) -> None:
        """A branch to ``t``: its end is reached with the ranges of here."""
        if t.kind == KIND_BLOCK or t.kind == KIND_IF:
            t.facts_br = (
                dict(self.facts) if t.facts_br is None else _join_facts([t.facts_br, self.facts])
            )

    def forget(self, node: Node, ranges: bool = True) -> None:
        """At a join: the ranges and aliases of the locals ``node`` writes
        no longer hold, nor aliases that read them."""
        facts = self.facts
        if facts:
            for x in node.writes:
                if ranges:
                    facts.pop(x, None)
                    facts.pop(_AL_FACT + x, None)
                facts.pop(~x, None)
            if self.aliased:
                written = {f"l{x}" for x in node.writes}
                for k in [
                    k for k, f in facts.items() if k < 0 and any(t[0] in written for t in f[0])
                ]:
                    del facts[k]
