"""Helpers shared by the WASI functions (functions.py, paths.py): memory
access, errno results, the descriptor table lookup, file stats."""

from __future__ import annotations

import os
import stat as _stat
import time
from typing import Any

from ..sysfs.fs import FileEntry, get_fs
from ..sysfs.path import SandboxError
from . import consts as C
from . import errno as E

_U32 = C.U32
_U64 = C.U64
_IOVEC = C.IOVEC
_OK = [0]
_EFAULT = [E.EFAULT]
_EBADF = [E.EBADF]
_EINVAL = [E.EINVAL]
_ENOTDIR = [E.ENOTDIR]
_EROFS = [E.EROFS]
_ESPIPE = [E.ESPIPE]
_EISDIR = [E.EISDIR]
_ENOTSOCK = [E.ENOTSOCK]
_ENOTCAPABLE = [E.ENOTCAPABLE]


class _Fault(Exception):
    pass


def _mem(caller: Any) -> bytearray:
    mems = caller._inst.memories
    if not mems:
        raise _Fault
    return mems[0].data


def _read_bytes(mem: bytearray, ptr: int, n: int) -> bytes:
    if ptr + n > len(mem):
        raise _Fault
    return bytes(mem[ptr : ptr + n])


def _iovecs(mem: bytearray, iovs: int, n: int) -> list[tuple[int, int]]:
    end = iovs + 8 * n
    if end > len(mem):
        raise _Fault
    out = []
    size = len(mem)
    for i in range(n):
        p, ln = _IOVEC.unpack_from(mem, iovs + 8 * i)
        if p + ln > size:
            raise _Fault
        out.append((p, ln))
    return out


def _gather(mem: bytearray, iovs: int, n: int) -> bytes:
    if n == 1:
        if iovs + 8 > len(mem):
            raise _Fault
        p, ln = _IOVEC.unpack_from(mem, iovs)
        if p + ln > len(mem):
            raise _Fault
        return bytes(mem[p : p + ln])
    return b"".join(bytes(mem[p : p + ln]) for p, ln in _iovecs(mem, iovs, n))


def _scatter(mem: bytearray, vecs: list[tuple[int, int]], data: bytes) -> None:
    pos = 0
    total = len(data)
    for p, ln in vecs:
        if pos >= total:
            break
        chunk = data[pos : pos + ln]
        mem[p : p + len(chunk)] = chunk
        pos += len(chunk)


def _put_u32(mem: bytearray, ptr: int, v: int) -> None:
    if ptr + 4 > len(mem):
        raise _Fault
    _U32.pack_into(mem, ptr, v & 0xFFFFFFFF)


def _put_u64(mem: bytearray, ptr: int, v: int) -> None:
    if ptr + 8 > len(mem):
        raise _Fault
    _U64.pack_into(mem, ptr, v & 0xFFFFFFFFFFFFFFFF)


def _s64(v: int) -> int:
    return v - (1 << 64) if v & (1 << 63) else v


def _guard(fn: Any) -> Any:
    """Map _Fault -> EFAULT, SandboxError -> its errno, OSError -> errno."""

    def wrapped(caller: Any, stack: list) -> list:
        try:
            return fn(caller, stack)
        except _Fault:
            return _EFAULT
        except SandboxError as exc:
            return [exc.errno]
        except OSError as exc:
            return [E.from_oserror(exc)]

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


def _entry(caller: Any, fd: int) -> FileEntry | None:
    sys = caller._inst.sys
    fs = sys.fs
    if fs is None:
        fs = get_fs(sys)
    return fs.entries.get(fd)


def _filetype_of(mode: int) -> int:
    if _stat.S_ISREG(mode):
        return C.FILETYPE_REGULAR_FILE
    if _stat.S_ISDIR(mode):
        return C.FILETYPE_DIRECTORY
    if _stat.S_ISLNK(mode):
        return C.FILETYPE_SYMBOLIC_LINK
    if _stat.S_ISCHR(mode):
        return C.FILETYPE_CHARACTER_DEVICE
    if _stat.S_ISBLK(mode):
        return C.FILETYPE_BLOCK_DEVICE
    if _stat.S_ISSOCK(mode):
        return C.FILETYPE_SOCKET_STREAM
    return C.FILETYPE_UNKNOWN


def _put_filestat(mem: bytearray, ptr: int, st: os.stat_result) -> None:
    if ptr + 64 > len(mem):
        raise _Fault
    C.FILESTAT.pack_into(
        mem,
        ptr,
        st.st_dev & 0xFFFFFFFFFFFFFFFF,
        st.st_ino & 0xFFFFFFFFFFFFFFFF,
        _filetype_of(st.st_mode),
        st.st_nlink,
        st.st_size,
        max(st.st_atime_ns, 0),
        max(st.st_mtime_ns, 0),
        max(st.st_ctime_ns, 0),
    )


def _times(sys: Any, st: os.stat_result | None, atim: int, mtim: int, flags: int) -> Any:
    """(atime_ns, mtime_ns) for os.utime from WASI fstflags, or an errno."""
    if flags & ~0xF:
        return E.EINVAL
    if (flags & C.FSTFLAGS_ATIM and flags & C.FSTFLAGS_ATIM_NOW) or (
        flags & C.FSTFLAGS_MTIM and flags & C.FSTFLAGS_MTIM_NOW
    ):
        return E.EINVAL
    now = time.time_ns()
    if flags & C.FSTFLAGS_ATIM:
        a = atim
    elif flags & C.FSTFLAGS_ATIM_NOW:
        a = now
    else:
        a = st.st_atime_ns if st is not None else now
    if flags & C.FSTFLAGS_MTIM:
        m = mtim
    elif flags & C.FSTFLAGS_MTIM_NOW:
        m = now
    else:
        m = st.st_mtime_ns if st is not None else now
    return (a, m)
