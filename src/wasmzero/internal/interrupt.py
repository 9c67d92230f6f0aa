"""Stopping running guests: deadlines and closing from another thread.

A runtime made with ``RuntimeConfig(interruptible=True)`` (or a
``call_timeout``) keeps the calls into it that are running, per thread
(:class:`ActiveCalls`). To stop one, the thread that decides (the deadline
watchdog, or a thread calling ``Module.close``) records why and raises
:class:`Interrupted` *in the thread running the guest*, through CPython's
``PyThreadState_SetAsyncExc``: the guest's Python code (translated or
interpreted, both engines alike) stops at its next bytecode, with no check
compiled into it, so a runtime that is not interruptible runs exactly the
code it always ran. At the outermost call the interruption becomes the typed
error that says why (``Trap(DEADLINE_EXCEEDED)``, or ``ExitError`` with the
close's exit code).

A guest blocked in the host is woken too: sleeping through
:func:`sleep_ns` (the WASI and gojs sleepers) and reading a pipe through
:func:`wait_readable` wait on the call's wake-up event instead of in the
OS.
"""

from __future__ import annotations

import ctypes
import heapq
import select
import threading
import time
from collections.abc import Callable
from typing import Any

from ..errors import ExitError, Trap, TrapKind


class Interrupted(BaseException):  # noqa: N818 - raised into a thread, never seen by users
    """Raised asynchronously into a thread whose call is stopped (a
    BaseException so that a host function's ``except Exception`` does not
    swallow it)."""


_set_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.py_object)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi)
)
# The same call with NULL: withdraw an exception that has not landed yet.
_clear_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi)
)
_LOCAL = threading.local()


class _Call:
    """One running outermost call: where it runs and why it must stop."""

    __slots__ = ("inst", "deadline", "thread", "reason", "wake", "fired", "lock")

    def __init__(self, inst: Any, deadline: float | None) -> None:
        self.inst = inst
        self.deadline = deadline
        self.thread = 0  # the thread running the guest, once it runs
        self.reason: BaseException | None = None
        self.wake = threading.Event()
        self.fired = False
        self.lock = threading.Lock()

    def stop(self, reason: BaseException) -> None:
        with self.lock:
            if self.reason is not None:
                return
            self.reason = reason
            self.wake.set()
            if self.thread > 0:
                self.fired = True
                _set_async_exc(self.thread, Interrupted)

    def __lt__(self, other: _Call) -> bool:
        return (self.deadline or 0.0) < (other.deadline or 0.0)


class _Watchdog:
    """One daemon thread firing the deadlines of every runtime's calls."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.heap: list[tuple[float, int, _Call]] = []
        self.seq = 0
        self.thread: threading.Thread | None = None

    def add(self, call: _Call) -> None:
        assert call.deadline is not None
        with self.cond:
            self.seq += 1
            heapq.heappush(self.heap, (call.deadline, self.seq, call))
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="wasmzero-deadlines")
                self.thread.daemon = True
                self.thread.start()
            self.cond.notify()

    def _run(self) -> None:
        cond = self.cond
        while True:
            with cond:
                while not self.heap:
                    cond.wait()
                deadline, _, call = self.heap[0]
                now = time.monotonic()
                if deadline > now:
                    cond.wait(deadline - now)
                    continue
                heapq.heappop(self.heap)
            if call.thread != -1:  # not finished
                call.stop(Trap(TrapKind.DEADLINE_EXCEEDED))


_WATCHDOG = _Watchdog()


class ActiveCalls:
    """The running outermost calls into one runtime's modules.

    Attributes:
        call_timeout: seconds each outermost call may run, or None.
    """

    def __init__(self, call_timeout: float | None) -> None:
        self.call_timeout = call_timeout
        self.lock = threading.Lock()
        self.calls: set[_Call] = set()

    def run(
        self,
        inst: Any,
        invoke: Callable[[Callable[..., Any], Any, int], Any],
        fn: Callable[..., Any],
        args: Any,
        depth: int,
    ) -> Any:
        outer: _Call | None = getattr(_LOCAL, "call", None)
        if outer is not None:  # nested (wasm -> host -> wasm): the outer call covers it
            return invoke(fn, args, depth)
        deadline = getattr(_LOCAL, "deadline", None)
        if self.call_timeout is not None:
            own = time.monotonic() + self.call_timeout
            deadline = own if deadline is None else min(deadline, own)
        call = _Call(inst, deadline)
        if deadline is not None and deadline <= time.monotonic():
            raise Trap(TrapKind.DEADLINE_EXCEEDED)
        with self.lock:
            self.calls.add(call)
        if deadline is not None:
            _WATCHDOG.add(call)

        def guarded(*a: Any) -> Any:
            # Runs in the thread that runs the guest (which may be a worker
            # with a larger stack than the caller's).
            _LOCAL.call = call
            with call.lock:
                call.thread = threading.get_ident()
                if call.reason is not None:
                    call.fired = True
                    _set_async_exc(call.thread, Interrupted)
            try:
                return fn(*a)
            finally:
                with call.lock:
                    if call.fired:
                        # An interruption that has not landed yet must not
                        # land later, in the caller's own code.
                        _clear_async_exc(call.thread, None)
                    call.thread = -1
                _LOCAL.call = None

        try:
            return invoke(guarded, args, depth)
        except Interrupted:
            reason = call.reason
            raise (reason if reason is not None else Trap(TrapKind.DEADLINE_EXCEEDED)) from None
        finally:
            with self.lock:
                self.calls.discard(call)

    def stop(self, inst: Any, reason_for: Callable[[], BaseException]) -> None:
        """Stop every running call into ``inst`` (every call if None)."""
        me = threading.get_ident()
        with self.lock:
            calls = [
                c
                for c in self.calls
                if (inst is None or c.inst is inst) and c.thread != me  # not our own
            ]
        for c in calls:
            c.stop(reason_for())


class deadline:  # noqa: N801 - a context manager, used like a function
    """Calls made from this thread inside the block stop when ``seconds``
    have passed (see ``Runtime.deadline``)."""

    def __init__(self, seconds: float) -> None:
        if not seconds > 0:
            raise ValueError(f"a deadline needs seconds > 0, got {seconds!r}")
        self.seconds = seconds
        self.saved: float | None = None

    def __enter__(self) -> deadline:
        self.saved = getattr(_LOCAL, "deadline", None)
        mine = time.monotonic() + self.seconds
        _LOCAL.deadline = mine if self.saved is None else min(self.saved, mine)
        return self

    def __exit__(self, *exc: object) -> None:
        _LOCAL.deadline = self.saved


def closed_error(exit_code: int) -> ExitError:
    return ExitError(exit_code, f"module closed with exit_code({exit_code})")


def sleep_ns(ns: int) -> None:
    """Sleep, waking early (to be interrupted) if the current call stops."""
    call: _Call | None = getattr(_LOCAL, "call", None)
    if call is None:
        time.sleep(ns / 1e9)
    else:
        call.wake.wait(ns / 1e9)


def wait_readable(stream: Any) -> None:
    """Before a blocking read of ``stream`` in an interruptible call, wait
    until it has data (or the call stops) in slices the stop can end."""
    call: _Call | None = getattr(_LOCAL, "call", None)
    if call is None:
        return
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    while not call.wake.is_set():
        try:
            ready, _, _ = select.select([fd], [], [], 0.05)
        except (OSError, ValueError):
            return
        if ready:
            return
