"""Experimental APIs, as wazero's ``experimental`` package: they work and
are tested, but may change between releases.

- :mod:`.listener`: function listeners (before/after/abort of every call).
- :mod:`.logging`: the logging listener (``wasmzero run --hostlogging``).
"""

from .listener import (
    FunctionListener,
    FunctionListenerFactory,
    ListenerError,
    StackFrame,
    multi_factory,
)
from .logging import LoggingListenerFactory

__all__ = [
    "FunctionListener",
    "FunctionListenerFactory",
    "ListenerError",
    "LoggingListenerFactory",
    "StackFrame",
    "multi_factory",
]
