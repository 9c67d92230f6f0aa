"""Tiering: a function of the compiler engine runs in the interpreter until
it is hot, then translated (see RATIONALE, "Tiering").

``RuntimeConfig.tier_threshold`` is the number of calls a function runs
interpreted, and the number of iterations (loop headers passed) each of its
loops runs interpreted, per instance. The next call translates the function
and runs the translation from then on. The next iteration of a loop runs
the loop in translated code from the interpreter's state (on-stack
replacement, ``osr.py``), so that a long loop in a function entered once is
compiled too (the loop only; the function is translated whole at its next
call). 0 translates every function at its first call
(no interpretation); None never translates.

Code translated for the disk cache, or read back from it, runs at once: the
interpreter only stands in for functions that have no translation yet.
"""

from __future__ import annotations

import sys
from typing import Any

from .osr import LoopFunction

#: Never again (a function whose translation failed stays interpreted).
NEVER = sys.maxsize


class Tier:
    """One function's tiering state in one instance: the interpreter's
    countdown (``left``), the translated function once hot (``hot``), and
    the translated loops entered from the interpreter."""

    __slots__ = ("compiled", "inst", "index", "threshold", "left", "hot", "loops", "loop_left")

    def __init__(self, compiled: Any, inst: Any, index: int, threshold: int) -> None:
        self.compiled = compiled  # the module's CompiledCode (code.py)
        self.inst = inst
        self.index = index
        self.threshold = threshold
        self.left = threshold  # calls left before the function is translated
        self.hot: Any = None
        self.loops: dict[int, Any] = {}  # translated loops by pc (False: cannot be)
        self.loop_left: dict[int, int] = {}  # iterations left per loop before OSR

    def up(self) -> Any:
        """Translate the function and install it; None if it cannot be
        translated (it stays interpreted, and counting stops)."""
        fn = self.compiled.translated(self.inst, self.index)
        if fn is None:
            self.left = NEVER
            return None
        self.hot = fn
        return fn

    def loop(self, pc: int) -> Any:
        """The translated loop at ``pc`` for the interpreter to enter
        (``(function, loop parameters, locals, exits, pc after the loop)``,
        see interp._enter_loop), or None to go on interpreting."""
        entry = self.loops.get(pc)
        if entry is None:
            # Only the loop: the whole function is translated at its next
            # call (a function entered once is never translated whole).
            entry = False
            got = self.compiled.loop_function(self.inst, self.index, pc)
            if got is not None:
                fn, lf, after = got
                assert isinstance(lf, LoopFunction)
                nparams = len(lf.type.params) - lf.nlocals
                entry = (fn, nparams, lf.nlocals, lf.exits, after)
                self.left = min(self.left, 0)  # hot: translated at its next call
            self.loops[pc] = entry
        return entry or None
