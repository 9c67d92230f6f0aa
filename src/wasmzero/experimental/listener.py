"""Function listeners: be told before and after every call of a function,
as wazero's ``experimental.FunctionListener``.

Ex.::

    from wasmzero import Runtime, RuntimeConfig
    from wasmzero.experimental import FunctionListener

    class Counter(FunctionListener):
        calls = 0
        def before(self, module, definition, params, stack):
            Counter.calls += 1

    rt = Runtime(RuntimeConfig(listener_factory=lambda mod, d: Counter()))

The factory is asked once per function of each instantiated module (its
name and the function's :class:`~wasmzero.FunctionDefinition`); ``None``
means "not this one" and costs nothing. Listeners see host functions (WASI,
user host modules) called from wasm too; ``module`` is the calling module
for those, so a listener can read the caller's memory (WASI pointers).

Stability: experimental, as in wazero; the API may change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..api import FunctionDefinition
    from ..runtime import Module

__all__ = [
    "FunctionListener",
    "FunctionListenerFactory",
    "ListenerError",
    "StackFrame",
    "multi_factory",
]


class StackFrame:
    """One wasm call on the stack: its function's definition (``offset``,
    the byte offset of the call in the module, is None: not tracked)."""

    __slots__ = ("definition", "offset")

    def __init__(self, definition: FunctionDefinition, offset: int | None = None) -> None:
        self.definition = definition
        self.offset = offset

    def __repr__(self) -> str:
        return f"<StackFrame {self.definition.debug_name}>"


class FunctionListener:
    """Override the calls you need; each does nothing by default."""

    def before(
        self,
        module: Module,
        definition: FunctionDefinition,
        params: Sequence[Any],
        stack: Iterator[StackFrame],
    ) -> None:
        """Called before the function runs, with its raw parameters and an
        iterator over the calls that are running (innermost first, this one
        included)."""

    def after(self, module: Module, definition: FunctionDefinition, results: Sequence[Any]) -> None:
        """Called when it returns, with its raw results."""

    def abort(self, module: Module, definition: FunctionDefinition, error: BaseException) -> None:
        """Called when it ends by an error instead: a trap, an exit
        (``proc_exit``), a host function's exception."""


#: ``factory(module_name, definition)`` -> a listener, or None.
FunctionListenerFactory = Callable[[str, "FunctionDefinition"], "FunctionListener | None"]


class ListenerError(RuntimeError):
    """A listener raised: the call it watched is abandoned with this error
    (the exception is its ``__cause__``); the runtime stays usable."""


class _Multi(FunctionListener):
    def __init__(self, listeners: list[FunctionListener]) -> None:
        self.listeners = listeners

    def before(self, module: Any, definition: Any, params: Any, stack: Any) -> None:
        frames = list(stack)
        for listener in self.listeners:
            listener.before(module, definition, params, iter(frames))

    def after(self, module: Any, definition: Any, results: Any) -> None:
        for listener in reversed(self.listeners):
            listener.after(module, definition, results)

    def abort(self, module: Any, definition: Any, error: BaseException) -> None:
        for listener in reversed(self.listeners):
            listener.abort(module, definition, error)


def multi_factory(*factories: FunctionListenerFactory) -> FunctionListenerFactory:
    """One factory asking each of ``factories``: a function gets the
    listeners they give (``before`` in order, ``after``/``abort`` in
    reverse), or None when none does."""

    def factory(module_name: str, definition: FunctionDefinition) -> FunctionListener | None:
        got = [ls for f in factories if (ls := f(module_name, definition)) is not None]
        if not got:
            return None
        return got[0] if len(got) == 1 else _Multi(got)

    return factory
