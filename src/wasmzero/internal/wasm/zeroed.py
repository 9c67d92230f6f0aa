"""Zeroed bytearrays whose pages are not touched until used.

``bytearray(n)`` writes n zero bytes: a C program's 16 MiB linear memory
(wasi-libc's default stack and heap start) costs 7 ms of page faults at
instantiation, most of a small program's run, for pages it never uses.
Here the bytes come from ``PyObject_Calloc`` -- the allocator bytearrays
use, so resizing and freeing them are the interpreter's own -- whose large
blocks are fresh zero pages from the system, faulted in only when touched.
The buffer is handed to an empty bytearray by writing its four fields
(``ob_size``, ``ob_alloc``, ``ob_bytes``, ``ob_start``), whose offsets are
checked on live bytearrays first; where they differ (another
implementation, a free-threaded build), ``bytearray(n)`` is used.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

# Offsets in PyByteArrayObject on 64-bit CPython with the GIL (the native
# engine's trampolines read ob_size and ob_start too).
OB_SIZE, OB_ALLOC, OB_BYTES, OB_START = 16, 24, 32, 40
# Below this, bytearray(n) costs no more than the calloc.
MIN_LAZY = 1 << 20

_lock = threading.Lock()
_layout: bool | None = None
_api: Any = None  # (ctypes, PyObject_Calloc), once checked; False: not usable


def bytearray_layout() -> bool:
    """Whether bytearrays have the four fields at the offsets above (checked
    once, on live bytearrays): CPython with the GIL on a 64-bit machine."""
    global _layout
    with _lock:
        if _layout is None:
            _layout = _check_layout()
        return _layout


def _check_layout() -> bool:
    if sys.implementation.name != "cpython" or sys.maxsize != 2**63 - 1:
        return False
    import ctypes
    import sysconfig

    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        return False
    full, empty = bytearray(b"wasmzero"), bytearray()
    size, alloc, data, start = (
        ctypes.c_ssize_t.from_address(id(full) + OB_SIZE).value,
        ctypes.c_ssize_t.from_address(id(full) + OB_ALLOC).value,
        ctypes.c_void_p.from_address(id(full) + OB_BYTES).value,
        ctypes.c_void_p.from_address(id(full) + OB_START).value,
    )
    if not (size == 8 and alloc >= 9 and data and data == start):
        return False
    if ctypes.string_at(start, 8) != b"wasmzero":
        return False
    # an empty bytearray owns no buffer: zeroed() hands it one
    return ctypes.c_void_p.from_address(id(empty) + OB_BYTES).value is None


def _probe() -> Any:
    global _api
    layout = bytearray_layout()
    with _lock:
        if _api is None:
            _api = False
            if layout:
                import ctypes

                calloc = ctypes.pythonapi.PyObject_Calloc
                calloc.restype = ctypes.c_void_p
                calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
                _api = (ctypes, calloc)
        return _api


def zeroed(n: int) -> bytearray:
    """A bytearray of ``n`` zero bytes (``MemoryError`` when they cannot be
    had), its pages untouched when it is large."""
    if n < MIN_LAZY:
        return bytearray(n)
    api = _api if _api is not None else _probe()
    if not api:
        return bytearray(n)
    ctypes, calloc = api
    p = calloc(1, n + 1)  # and the trailing NUL bytearrays keep
    if not p:
        raise MemoryError(f"cannot allocate {n} bytes")
    out = bytearray()
    base = id(out)
    ctypes.c_void_p.from_address(base + OB_BYTES).value = p
    ctypes.c_void_p.from_address(base + OB_START).value = p
    ctypes.c_ssize_t.from_address(base + OB_ALLOC).value = n + 1
    ctypes.c_ssize_t.from_address(base + OB_SIZE).value = n
    return out
