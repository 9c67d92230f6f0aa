"""Fuel: a deterministic budget of work for a module, the same in both engines.

A runtime made with ``RuntimeConfig(fuel=N)`` translates (and interprets)
its modules with a charge of one unit

- at the entry of every wasm function, and
- at every loop header reached: a loop's first entry and each branch back
  to it (so a loop that runs its body k times costs k).

Nothing else is charged, so the count depends only on the program's control
flow, never on the engine, its optimisations or the machine. Each module
instance has one :class:`Fuel` meter (``Module.fuel``), readable and
refillable; when a charge takes it below zero the call stops with
``Trap(OUT_OF_FUEL)``. A runtime without fuel translates exactly the code it
always did: the charges are emitted only when :class:`TranslateOptions` say
so, and those options are part of the compilation cache's key.
"""

from __future__ import annotations

from typing import Any

from ...errors import Trap, TrapKind
from ..record import record

#: The names the charges use in an instance's namespace.
FUEL_CELL = "_FU"
FUEL_OUT = "_oof"


@record
class TranslateOptions:
    """What translated code includes beyond the module's own semantics (part
    of the compilation cache's key)."""

    fuel: bool = False
    # Whether a function's entry charges (not a loop entered from the
    # interpreter, engine/osr.py, whose entry the interpreter charged).
    entry_charge: bool = True

    def key(self) -> str:
        return "fuel" if self.fuel else ""


NO_OPTIONS = TranslateOptions()


def charge_lines(indent: str) -> list[str]:
    """The Python lines that charge one unit of fuel (translated code)."""
    return [
        f"{indent}{FUEL_CELL}[0] -= 1",
        f"{indent}if {FUEL_CELL}[0] < 0: raise {FUEL_OUT}()",
    ]


def out_of_fuel() -> Trap:
    return Trap(TrapKind.OUT_OF_FUEL)


class Fuel:
    """One module instance's fuel meter.

    ``remaining`` is the units left (0 once spent); ``consumed`` the units
    charged since it was last set; ``set(n)`` refills it to ``n``.
    """

    __slots__ = ("cell", "_start")

    def __init__(self, amount: int) -> None:
        self.cell = [0]
        self._start = 0
        self.set(amount)

    def set(self, amount: int) -> None:
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise ValueError(f"fuel must be an int >= 0, got {amount!r}")
        self.cell[0] = amount
        self._start = amount

    def add(self, amount: int) -> None:
        """Add ``amount`` units to what is left."""
        self.set(self.remaining + amount)

    @property
    def remaining(self) -> int:
        return max(self.cell[0], 0)

    @property
    def consumed(self) -> int:
        return self._start - self.remaining

    def bind(self, ns: dict[str, Any]) -> None:
        ns[FUEL_CELL] = self.cell
        ns[FUEL_OUT] = out_of_fuel
