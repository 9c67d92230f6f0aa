"""Executable memory and the ctypes entry into native code.

Code is written into an anonymous read+write mapping, which is then made
read+execute with ``mprotect`` before anything runs: never writable and
executable at once. ``probe()`` says whether this process can have
executable memory at all (x86-64 Linux, a kernel that allows it)."""

from __future__ import annotations

import ctypes
import mmap
import os
import platform
import sys
import threading
from typing import Any

PAGE = mmap.PAGESIZE
_PROT_READ, _PROT_WRITE, _PROT_EXEC = 1, 2, 4

# Force the "no executable memory" path (tests, hardened deployments).
DISABLE_ENV = "WASMZERO_NATIVE_DISABLE"

_ENTRY = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)

_probe_result: str | None = None
_probe_lock = threading.Lock()


class NoExecutableMemory(Exception):
    """This process cannot map executable memory."""


def _libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    libc.mprotect.restype = ctypes.c_int
    return libc


class CodeBlob:
    """Machine code in its own read+execute mapping."""

    def __init__(self, code: bytes) -> None:
        if os.environ.get(DISABLE_ENV):
            raise NoExecutableMemory(f"disabled by {DISABLE_ENV}")
        size = max(PAGE, (len(code) + PAGE - 1) // PAGE * PAGE)
        m = mmap.mmap(
            -1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=_PROT_READ | _PROT_WRITE
        )
        m.write(code)
        anchor = ctypes.c_char.from_buffer(m)  # pins the mapping: it can no longer be closed
        addr = ctypes.addressof(anchor)
        if _libc().mprotect(addr, size, _PROT_READ | _PROT_EXEC) != 0:
            err = ctypes.get_errno()
            del anchor
            m.close()
            raise NoExecutableMemory(f"mprotect(PROT_EXEC) failed: {os.strerror(err)}")
        self._map, self._anchor = m, anchor
        self.addr = addr
        self.size = len(code)

    def entry(self, offset: int) -> Any:
        if not 0 <= offset < self.size:
            raise ValueError("entry outside the code")
        return _ENTRY(self.addr + offset)


def probe() -> str | None:
    """None if native code can run here, else why not (said once)."""
    global _probe_result
    with _probe_lock:
        if _probe_result is None:
            _probe_result = _do_probe()
        return _probe_result or None


def _do_probe() -> str:
    if os.environ.get(DISABLE_ENV):
        return f"disabled by {DISABLE_ENV}"
    if platform.machine().lower() not in ("x86_64", "amd64") or sys.maxsize <= 2**32:
        return f"native code needs x86-64, this is {platform.machine()}"
    if not sys.platform.startswith("linux"):
        return f"native code needs Linux, this is {sys.platform}"
    if not _cpu_has("popcnt", "abm", "bmi1"):
        return "native code needs a CPU with popcnt, lzcnt and tzcnt"
    try:
        blob = CodeBlob(bytes([0x48, 0x89, 0xF8, 0xC3]))  # mov rax, rdi; ret
        fn = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64)(blob.addr)
        if fn(42) != 42:
            return "native code probe returned a wrong value"
    except (NoExecutableMemory, OSError, ValueError) as e:
        return f"no executable memory: {e}"
    return ""


def _cpu_has(*flags: str) -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    have = set(line.split(":", 1)[1].split())
                    return all(x in have for x in flags)
    except OSError:
        return False
    return False


def cpu_features() -> str:
    """The CPU features the code depends on (the disk cache key part)."""
    return "x86-64+popcnt+lzcnt+tzcnt"
