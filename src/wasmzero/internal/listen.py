"""Installing function listeners on an instance.

Both engines call functions through the instance's namespace (``f{i}``) and
indirectly, or from Python, through ``FunctionInstance.fn``. A function that
has a listener gets a wrapper in both places, calling ``before``, the
function, then ``after`` (or ``abort``); the translated code itself is the
same with or without listeners, and an instance without any runs exactly
the code it always ran. The engine re-wraps a function when it replaces
its lazy stub with the translation (``Listening.wrap``).

The wasm call stack a listener may iterate is kept per thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from ..experimental.listener import ListenerError, StackFrame

_LOCAL = threading.local()


def _frames() -> list[StackFrame]:
    try:
        return _LOCAL.frames
    except AttributeError:
        frames: list[StackFrame] = []
        _LOCAL.frames = frames
        return frames


def _as_list(out: Any, n: int) -> list[Any]:
    if n == 0:
        return []
    if n == 1:
        return [out]
    return list(out)


def _wrapper(
    fn: Callable[..., Any], listener: Any, definition: Any, module: Any, nresults: int
) -> Callable[..., Any]:
    frame = StackFrame(definition)

    def listened(*args: Any) -> Any:
        frames = _frames()
        frames.append(frame)
        try:
            try:
                listener.before(module, definition, args, reversed(frames))
            except Exception as e:  # noqa: BLE001 - reported as the listener's
                raise ListenerError(
                    f"function listener raised in before {definition.debug_name}: {e!r}"
                ) from e
            try:
                out = fn(*args)
            except BaseException as err:
                if not isinstance(err, ListenerError):
                    try:
                        listener.abort(module, definition, err)
                    except Exception as e:  # noqa: BLE001
                        raise ListenerError(
                            f"function listener raised in abort {definition.debug_name}: {e!r}"
                        ) from e
                raise
            try:
                listener.after(module, definition, _as_list(out, nresults))
            except Exception as e:  # noqa: BLE001
                raise ListenerError(
                    f"function listener raised in after {definition.debug_name}: {e!r}"
                ) from e
            return out
        finally:
            frames.pop()

    listened.__wrapped__ = fn  # type: ignore[attr-defined]
    return listened


class Listening:
    """The listeners of one instance's functions, by index."""

    def __init__(self, inst: Any, factory: Any, module_name: str) -> None:
        self.inst = inst
        self.entries: dict[int, tuple[Any, Any]] = {}
        for i, fi in enumerate(inst.functions):
            own = fi.module is inst and not fi.host
            # An import is described by its exporter's definition (its
            # names); its calls are listened to in this instance only.
            exporter = fi.module
            if own or exporter is None or fi.index >= len(exporter.definitions):
                definition = inst.definitions[i]
            else:
                definition = exporter.definitions[fi.index]
            listener = factory(module_name, definition)
            if listener is not None:
                self.entries[i] = (listener, definition)

    def install(self) -> None:
        inst = self.inst
        ns = inst.ns
        for i in self.entries:
            fi = inst.functions[i]
            if ns is not None:
                ns[f"f{i}"] = self.wrap(i, ns.get(f"f{i}", fi.fn))
            if fi.module is inst and not fi.host:
                fi.fn = self.wrap(i, fi.fn)

    def wrap(self, index: int, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` (function ``index`` of the instance) with its listener, if
        it has one."""
        entry = self.entries.get(index)
        if entry is None or getattr(fn, "__wrapped__", None) is not None:
            return fn
        listener, definition = entry
        nres = len(self.inst.functions[index].type.results)
        return _wrapper(fn, listener, definition, self.inst.api, nres)


def stack() -> Iterator[StackFrame]:
    """The current thread's listened calls, innermost first."""
    return reversed(_frames())
