"""The bound on call depth, and the call state each thread keeps.

Calls between translated functions are Python calls, so wasm recursion is
Python recursion; a host function that calls back into wasm adds C frames
(CPython re-enters its eval loop there). Two things bound it:

- Python's recursion limit, raised by ``max_call_depth`` frames while any
  thread is inside wasm (the limit is process-wide: the first thread in
  raises it, the last one out restores it);
- a budget of C stack per thread, in bytes: what the thread's stack holds
  (its real size, read once per thread) less a reserve, less what the Python
  frames cost on versions where each uses the C stack (3.10). Each host
  round trip (wasm -> host -> wasm) and each interpreted call that CPython
  runs through a C-level call takes its measured cost from the budget.

Exceeding either is ``Trap(CALL_STACK_EXHAUSTED)``, never a crash. A thread
whose stack cannot hold the guaranteed minimum (unknown size, or small, as
with ``threading.stack_size(256 * 1024)``) runs its outermost call on a
worker thread with a known, large stack instead; other calls run in place.

The costs were measured on CPython 3.10-3.13 (x86-64; see RATIONALE.md,
"Call depth") and are used doubled.
"""

from __future__ import annotations

import contextvars
import queue
import sys
import threading
from collections.abc import Callable
from typing import Any

_V = sys.version_info[:2]

# C stack (bytes) per Python frame: 3.10 runs each Python call on the C stack
# (measured 416); 3.11 and later run Python-to-Python calls in one C frame.
PY_FRAME = 512 if _V <= (3, 10) else 0
# C stack per host round trip (wasm -> host -> wasm): measured 2464-3296 on
# 3.10, 1488 on 3.11, 768 on 3.12, 816 on 3.13.
HOST_FRAME = 4096 if _V <= (3, 10) else 3072 if _V == (3, 11) else 2048
# C stack per interpreted call with more than three arguments (CPython 3.11
# runs ``f(*args)`` through C: measured 366); nothing elsewhere (3.10's cost
# is its Python frames, counted in PY_FRAME).
INTERP_FRAME = 768 if _V == (3, 11) else 0

# The default of ``RuntimeConfig.max_call_depth``, in Python frames.
DEFAULT_MAX_CALL_DEPTH = 30_000
# On 3.10 the frames themselves use the C stack: the most that fit (with the
# caller's own limit of 1,000) in a default 8 MiB stack.
FRAME_CAP = 11_000 if PY_FRAME else sys.maxsize
# Host round trips every call can make, whatever its thread: a thread whose
# stack holds fewer (after the frames) hops to a worker.
MIN_HOST_DEPTH = 100
MIN_LEFT = MIN_HOST_DEPTH * HOST_FRAME
# Left for the caller's own C frames, the host's work at the deepest point and
# exception handling: RESERVE plus 1/16 of the stack.
RESERVE = 64 * 1024
# Stack of the worker threads that run calls from small-stack threads (more
# where the frames need it: CPython 3.10 with a high recursion limit).
WORKER_STACK = 32 * 1024 * 1024


class CallState:
    """One thread's call state: how deeply it is inside wasm (0 outside: the
    number of nested entries from Python), the C stack budget left (bytes),
    and what its stack holds (None until read; -1 unknown)."""

    __slots__ = ("depth", "left", "capacity")

    def __init__(self) -> None:
        self.depth = 0
        self.left = 0
        self.capacity: int | None = None


LOCAL = threading.local()  # .s: the thread's CallState


def new_state() -> CallState:
    """The current thread's call state, created (``LOCAL.s`` is the fast
    way to get it: ``try: st = LOCAL.s / except AttributeError: ...``)."""
    st = LOCAL.s = CallState()
    return st


def current() -> CallState:
    """The current thread's call state."""
    try:
        return LOCAL.s
    except AttributeError:
        return new_state()


def _usable(stack: int) -> int:
    return stack - RESERVE - stack // 16


def _main_stack() -> int:
    try:
        import resource
    except ImportError:  # Windows: python.exe reserves 2 MB; assume less
        return 1024 * 1024
    soft, _ = resource.getrlimit(resource.RLIMIT_STACK)
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return 8 * 1024 * 1024
    return int(soft)


_native: list[Any] = []  # [function returning the current thread's stack size or -1]


def _native_stack() -> int:
    """The current thread's stack size from the C library, or -1."""
    if not _native:
        _native.append(_native_reader())
    return _native[0]()


def _native_reader() -> Callable[[], int]:
    """A function reading the current thread's stack size through ctypes
    (glibc and musl: ``pthread_getattr_np``; macOS:
    ``pthread_get_stacksize_np``), or one returning -1."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        self_ = libc.pthread_self
        self_.restype = ctypes.c_void_p
        if hasattr(libc, "pthread_getattr_np"):
            getattr_np = libc.pthread_getattr_np
            getattr_np.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
            getsize = libc.pthread_attr_getstacksize
            destroy = libc.pthread_attr_destroy

            def read() -> int:
                attr = ctypes.create_string_buffer(512)  # > sizeof(pthread_attr_t)
                if getattr_np(self_(), attr) != 0:
                    return -1
                size = ctypes.c_size_t()
                rc = getsize(attr, ctypes.byref(size))
                destroy(attr)
                return size.value if rc == 0 else -1

            return read
        if hasattr(libc, "pthread_get_stacksize_np"):
            fn = libc.pthread_get_stacksize_np
            fn.argtypes = (ctypes.c_void_p,)
            fn.restype = ctypes.c_size_t
            return lambda: int(fn(self_()))
    except Exception:  # noqa: BLE001 - no ctypes, no libc: size unknown
        pass
    return lambda: -1


def thread_capacity() -> int:
    """The C stack (bytes) the current thread offers to wasm calls; -1 when
    unknown (so that its calls run on a worker)."""
    if threading.current_thread() is threading.main_thread():
        return _usable(_main_stack())
    size = _native_stack()
    return _usable(size) if size > 0 else -1


# -- the process-wide recursion limit -------------------------------------------

_limit_lock = threading.Lock()
_acquire = _limit_lock.acquire
_release = _limit_lock.release
_getlimit = sys.getrecursionlimit
_setlimit = sys.setrecursionlimit
# [threads inside wasm (their outermost call), the limit before the first of
# them raised it, the largest room asked for]
_raised = [0, 0, 0]


def _raise_limit(room: int) -> int:
    """Raise the recursion limit for one more thread inside wasm; the limit
    it had before any thread raised it."""
    r = _raised
    with _limit_lock:
        if r[0]:
            if room > r[2]:
                r[2] = room
                _setlimit(r[1] + room)
        else:
            r[1] = base = _getlimit()
            r[2] = room
            _setlimit(base + room)
        r[0] += 1
        return r[1]


def _lower_limit() -> None:
    r = _raised
    _acquire()
    try:
        r[0] -= 1
        if r[0] == 0:
            _setlimit(r[1])
    except RecursionError:  # pragma: no cover - a thread deeper than the limit exits
        pass
    finally:
        _release()


def run_outermost(
    st: CallState,
    fn: Callable[..., Any],
    args: Any,
    max_depth: int,
    on_failure: Callable[[Any], Any],
) -> Any:
    """Run the outermost call into wasm of the current thread (state ``st``):
    raise the recursion limit, set the thread's C stack budget, and hop to a
    worker thread when this one's stack cannot hold the guaranteed minimum.
    ``on_failure(e)`` handles what the call raised (see ``instance.invoke``).
    """
    cap = st.capacity
    if cap is None:
        cap = st.capacity = thread_capacity()
    room = max_depth if max_depth < FRAME_CAP else FRAME_CAP
    r = _raised
    _acquire()  # _raise_limit, inline: this is every call's path
    if r[0]:
        if room > r[2]:
            r[2] = room
            _setlimit(r[1] + room)
    else:
        r[1] = base = _getlimit()
        r[2] = room
        _setlimit(base + room)
    r[0] += 1
    _release()
    left = cap - (r[1] + room) * PY_FRAME
    if left < MIN_LEFT:
        need = (r[1] + room) * PY_FRAME + MIN_LEFT
        _lower_limit()
        return _elsewhere(st, cap, room, need, fn, args, max_depth, on_failure)
    st.depth = 1
    st.left = left
    try:
        return fn(*args)
    except BaseException as e:
        on_failure(e)
        raise
    finally:
        st.depth = 0
        _acquire()  # _lower_limit, inline
        r[0] -= 1
        if not r[0]:
            try:
                _setlimit(r[1])
            except RecursionError:  # pragma: no cover - a thread deeper than the limit
                pass
        _release()


def _elsewhere(
    st: CallState,
    cap: int,
    room: int,
    need: int,
    fn: Callable[..., Any],
    args: Any,
    max_depth: int,
    on_failure: Callable[[Any], Any],
) -> Any:
    """The outermost call of a thread whose stack is too small or unknown
    (``need``: the usable bytes the call wants): on a worker thread, or here
    with what there is when none can start."""
    if threading.current_thread().name != _WORKER_NAME:
        ran, out = _on_worker(need, fn, args, max_depth, on_failure)
        if ran:
            return out
    saved = _raise_limit(room)
    st.depth = 1
    st.left = max(cap, 0) - (saved + room) * PY_FRAME
    try:
        if st.left < 0:
            from ...errors import Trap, TrapKind

            raise Trap(TrapKind.CALL_STACK_EXHAUSTED)
        return fn(*args)
    except BaseException as e:
        on_failure(e)
        raise
    finally:
        st.depth = 0
        _lower_limit()


# -- workers with a known stack ---------------------------------------------------

_WORKER_NAME = "wasmzero-call"
_create_lock = threading.Lock()
_idle: list[_Worker] = []  # under _create_lock
MAX_IDLE_WORKERS = 4


class _Worker:
    """A daemon thread with a large stack (at least WORKER_STACK) that runs
    one call at a time for threads whose own stack is too small or
    unknown."""

    def __init__(self, stack: int) -> None:
        self.stack = stack
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name=_WORKER_NAME, daemon=True)

    def _loop(self) -> None:
        current().capacity = _usable(self.stack)
        while True:
            job = self.jobs.get()
            call, box, done = job
            try:
                box.append((True, call()))
            except BaseException as e:  # noqa: BLE001 - handed to the caller
                box.append((False, e))
            finally:
                del call, job
                done.set()
            with _create_lock:
                if len(_idle) >= MAX_IDLE_WORKERS:
                    return
                _idle.append(self)


def _take_worker(need: int) -> _Worker | None:
    """An idle worker whose stack holds ``need`` usable bytes, or a new one;
    None when no thread can start."""
    with _create_lock:
        for k, w in enumerate(_idle):
            if _usable(w.stack) >= need:
                return _idle.pop(k)
        stack = WORKER_STACK
        while _usable(stack) < need:
            stack *= 2
        w = _Worker(stack)
        old = threading.stack_size()
        try:
            threading.stack_size(stack)
            w.thread.start()
        except (RuntimeError, ValueError, MemoryError, OverflowError):
            return None
        finally:
            threading.stack_size(old)
    return w


def _on_worker(
    need: int,
    fn: Callable[..., Any],
    args: Any,
    max_depth: int,
    on_failure: Callable[[Any], Any],
) -> tuple[bool, Any]:
    """Run the call on a worker (with the caller's context variables);
    (False, None) when no worker could be started."""
    w = _take_worker(need)
    if w is None:
        return False, None
    ctx = contextvars.copy_context()
    box: list[tuple[bool, Any]] = []
    done = threading.Event()

    def call() -> Any:
        return ctx.run(run_outermost, current(), fn, args, max_depth, on_failure)

    w.jobs.put((call, box, done))
    done.wait()
    ok, out = box[0]
    if ok:
        return True, out
    raise out
