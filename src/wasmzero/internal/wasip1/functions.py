"""The WASI preview1 functions, as raw host functions ``fn(caller, stack)``.

Each takes the calling :class:`wasmzero.Module` and the raw argument list
(i32/i64 as unsigned ints) and returns the raw result list (one errno, except
``proc_exit``). Guest memory is read and written in place
(``caller._inst.memories[0].data``); a pointer out of bounds is EFAULT.
"""

from __future__ import annotations

import os
import time
from typing import Any

from ...errors import ExitError
from ..interrupt import wait_readable
from ..sysfs.fs import KIND_DIR, KIND_FILE, KIND_STDIN, KIND_STDOUT, FileEntry, get_fs
from . import consts as C
from . import errno as E
from .common import (
    _EBADF,
    _EFAULT,
    _EINVAL,
    _EISDIR,
    _ENOTDIR,
    _ENOTSOCK,
    _EROFS,
    _ESPIPE,
    _OK,
    _U32,
    _U64,
    _entry,
    _filetype_of,
    _gather,
    _guard,
    _iovecs,
    _mem,
    _put_filestat,
    _put_u32,
    _put_u64,
    _s64,
    _scatter,
    _times,
)

# -- args and environment ----------------------------------------------------------


def _strings_get(mem: bytearray, items: list[bytes], ptrs: int, buf: int) -> list:
    total = sum(len(s) + 1 for s in items)
    if ptrs + 4 * len(items) > len(mem) or buf + total > len(mem):
        return _EFAULT
    p = buf
    for i, s in enumerate(items):
        _U32.pack_into(mem, ptrs + 4 * i, p)
        n = len(s)
        mem[p : p + n] = s
        mem[p + n] = 0
        p += n + 1
    return _OK


def _sizes_get(mem: bytearray, items: list[bytes], count_ptr: int, size_ptr: int) -> list:
    if count_ptr + 4 > len(mem) or size_ptr + 4 > len(mem):
        return _EFAULT
    _U32.pack_into(mem, count_ptr, len(items))
    _U32.pack_into(mem, size_ptr, sum(len(s) + 1 for s in items))
    return _OK


@_guard
def args_get(caller: Any, stack: list) -> list:
    return _strings_get(_mem(caller), caller._inst.sys.args, stack[0], stack[1])


@_guard
def args_sizes_get(caller: Any, stack: list) -> list:
    return _sizes_get(_mem(caller), caller._inst.sys.args, stack[0], stack[1])


@_guard
def environ_get(caller: Any, stack: list) -> list:
    return _strings_get(_mem(caller), caller._inst.sys.environ, stack[0], stack[1])


@_guard
def environ_sizes_get(caller: Any, stack: list) -> list:
    return _sizes_get(_mem(caller), caller._inst.sys.environ, stack[0], stack[1])


# -- clocks, random, process -------------------------------------------------------

_RESOLUTION = {
    C.CLOCK_REALTIME: 1_000,
    C.CLOCK_MONOTONIC: 1,
    C.CLOCK_PROCESS_CPUTIME_ID: 1_000,
    C.CLOCK_THREAD_CPUTIME_ID: 1_000,
}


def _now(sys: Any, clock_id: int) -> int | None:
    if clock_id == C.CLOCK_REALTIME:
        return sys.walltime()
    if clock_id == C.CLOCK_MONOTONIC:
        return sys.nanotime()
    if clock_id == C.CLOCK_PROCESS_CPUTIME_ID:
        return time.process_time_ns()
    if clock_id == C.CLOCK_THREAD_CPUTIME_ID:
        return time.thread_time_ns()
    return None


@_guard
def clock_res_get(caller: Any, stack: list) -> list:
    res = _RESOLUTION.get(stack[0])
    if res is None:
        return _EINVAL
    _put_u64(_mem(caller), stack[1], res)
    return _OK


@_guard
def clock_time_get(caller: Any, stack: list) -> list:
    t = _now(caller._inst.sys, stack[0])
    if t is None:
        return _EINVAL
    _put_u64(_mem(caller), stack[2], t)
    return _OK


@_guard
def random_get(caller: Any, stack: list) -> list:
    mem = _mem(caller)
    buf, n = stack[0], stack[1]
    if buf + n > len(mem):
        return _EFAULT
    if n:
        data = caller._inst.sys.random(n)
        if len(data) != n:
            return [E.EIO]
        mem[buf : buf + n] = data
    return _OK


def proc_exit(caller: Any, stack: list) -> list:
    code = stack[0] & 0xFFFFFFFF
    sys = caller._inst.sys
    for s in (sys.stdout, sys.stderr):
        if s is not None:
            try:
                s.flush()
            except Exception:  # noqa: BLE001 - any file-like object
                pass
    fs = sys.fs
    if fs is not None:
        fs.close_all()
    caller.close(code)
    raise ExitError(code)


def proc_raise(caller: Any, stack: list) -> list:
    return [E.ENOSYS]


def sched_yield(caller: Any, stack: list) -> list:
    return _OK


# -- descriptors -------------------------------------------------------------------


def _seek_errno(e: FileEntry) -> list | None:
    """The errno of a positioned operation (seek, tell, pread, ...) on ``e``:
    EISDIR for a directory, ESPIPE for a stream; None for a regular file."""
    if e.kind == KIND_DIR:
        return _EISDIR
    if e.kind != KIND_FILE:
        return _ESPIPE
    return None


def _write_entry(e: FileEntry, data: bytes) -> int:
    kind = e.kind
    if kind == KIND_STDOUT:
        s = e.stream
        if s is not None and data:
            s.write(data)
        return len(data)
    if kind == KIND_FILE:
        if e.host_fd < 0:
            raise OSError(9, "closed")
        view = memoryview(data)
        total = 0
        while total < len(data):
            n = os.write(e.host_fd, view[total:])
            if n <= 0:
                break
            total += n
        return total
    if kind == KIND_DIR:
        raise IsADirectoryError(21, "is a directory")
    raise OSError(9, "not writable")


def _read_entry(e: FileEntry, n: int) -> bytes:
    kind = e.kind
    if kind == KIND_FILE:
        return os.read(e.host_fd, n)
    if kind == KIND_STDIN:
        s = e.stream
        if s is None or n == 0:
            return b""
        wait_readable(s)  # a stopped call is not left blocked in the read
        rd = getattr(s, "read1", None) or s.read
        return rd(n) or b""
    if kind == KIND_DIR:
        raise IsADirectoryError(21, "is a directory")
    raise OSError(9, "not readable")


def _lacks(e: FileEntry, right: int) -> bool:
    """A file (not a directory: its errors are its own) without ``right``:
    EBADF, as for a host descriptor not opened for it (wasmtime answers the
    same since preview1 runs over preview2)."""
    return e.kind != KIND_DIR and not e.rights_base & right


@_guard
def fd_write(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    if _lacks(e, C.RIGHT_FD_WRITE):
        return _EBADF
    mem = _mem(caller)
    data = _gather(mem, stack[1], stack[2])
    n = _write_entry(e, data)
    _put_u32(mem, stack[3], n)
    return _OK


@_guard
def fd_read(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    if _lacks(e, C.RIGHT_FD_READ):
        return _EBADF
    mem = _mem(caller)
    vecs = _iovecs(mem, stack[1], stack[2])
    if stack[3] + 4 > len(mem):
        return _EFAULT
    total = sum(ln for _, ln in vecs)
    data = _read_entry(e, total)
    _scatter(mem, vecs, data)
    _U32.pack_into(mem, stack[3], len(data))
    return _OK


@_guard
def fd_pread(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    if _lacks(e, C.RIGHT_FD_READ):
        return _EBADF
    err = _seek_errno(e)
    if err is not None:
        return err
    mem = _mem(caller)
    vecs = _iovecs(mem, stack[1], stack[2])
    if stack[4] + 4 > len(mem):
        return _EFAULT
    off = _s64(stack[3])
    if off < 0:
        return _EINVAL
    total = sum(ln for _, ln in vecs)
    data = os.pread(e.host_fd, total, off)
    _scatter(mem, vecs, data)
    _U32.pack_into(mem, stack[4], len(data))
    return _OK


@_guard
def fd_pwrite(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    if _lacks(e, C.RIGHT_FD_WRITE):
        return _EBADF
    err = _seek_errno(e)
    if err is not None:
        return err
    mem = _mem(caller)
    data = _gather(mem, stack[1], stack[2])
    if stack[4] + 4 > len(mem):
        return _EFAULT
    off = _s64(stack[3])
    if off < 0:
        return _EINVAL
    n = os.pwrite(e.host_fd, data, off)
    _U32.pack_into(mem, stack[4], n)
    return _OK


@_guard
def fd_seek(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    whence = stack[2]
    if whence > 2:
        return _EINVAL
    err = _seek_errno(e)
    if err is not None:
        return err
    mem = _mem(caller)
    if stack[3] + 8 > len(mem):
        return _EFAULT
    how = (os.SEEK_SET, os.SEEK_CUR, os.SEEK_END)[whence]
    pos = os.lseek(e.host_fd, _s64(stack[1]), how)
    _U64.pack_into(mem, stack[3], pos)
    return _OK


@_guard
def fd_tell(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    err = _seek_errno(e)
    if err is not None:
        return err
    _put_u64(_mem(caller), stack[1], os.lseek(e.host_fd, 0, os.SEEK_CUR))
    return _OK


@_guard
def fd_close(caller: Any, stack: list) -> list:
    sys = caller._inst.sys
    fs = get_fs(sys)
    e = fs.entries.pop(stack[0], None)
    if e is None:
        return _EBADF
    e.close()
    return _OK


@_guard
def fd_renumber(caller: Any, stack: list) -> list:
    fs = get_fs(caller._inst.sys)
    src, dst = stack[0], stack[1]
    e = fs.entries.get(src)
    if e is None or dst not in fs.entries:
        return _EBADF
    if src == dst:
        return _OK
    old = fs.entries.pop(dst)
    old.close()
    fs.entries[dst] = fs.entries.pop(src)
    return _OK


@_guard
def fd_advise(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    if stack[3] > 5:
        return _EINVAL
    err = _seek_errno(e)
    if err is not None:
        return err
    return _OK


@_guard
def fd_allocate(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    err = _seek_errno(e)
    if err is not None:
        return err
    off, ln = _s64(stack[1]), _s64(stack[2])
    if off < 0 or ln <= 0:
        return _EINVAL
    if e.read_only:
        return _EBADF
    size = os.fstat(e.host_fd).st_size
    if off + ln > size:
        os.ftruncate(e.host_fd, off + ln)
    return _OK


def _sync(caller: Any, fd: int, data_only: bool) -> list:
    e = _entry(caller, fd)
    if e is None:
        return _EBADF
    if e.kind == KIND_STDOUT:
        if e.stream is not None:
            e.stream.flush()
        return _OK
    if e.kind == KIND_STDIN:
        return _OK
    if e.kind == KIND_DIR:
        try:
            os.fsync(e.host_fd)
        except OSError:
            pass
        return _OK
    (os.fdatasync if data_only and hasattr(os, "fdatasync") else os.fsync)(e.host_fd)
    return _OK


@_guard
def fd_sync(caller: Any, stack: list) -> list:
    return _sync(caller, stack[0], False)


@_guard
def fd_datasync(caller: Any, stack: list) -> list:
    return _sync(caller, stack[0], True)


@_guard
def fd_fdstat_get(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    mem = _mem(caller)
    ptr = stack[1]
    if ptr + 24 > len(mem):
        return _EFAULT
    C.FDSTAT.pack_into(mem, ptr, e.filetype, e.fdflags, e.rights_base, e.rights_inheriting)
    return _OK


@_guard
def fd_fdstat_set_flags(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    flags = stack[1]
    if flags & ~0x1F:
        return _EINVAL
    if e.kind == KIND_FILE and hasattr(os, "O_APPEND"):
        import fcntl

        cur = fcntl.fcntl(e.host_fd, fcntl.F_GETFL)
        new = cur & ~(os.O_APPEND | os.O_NONBLOCK)
        if flags & C.FDFLAGS_APPEND:
            new |= os.O_APPEND
        if flags & C.FDFLAGS_NONBLOCK:
            new |= os.O_NONBLOCK
        fcntl.fcntl(e.host_fd, fcntl.F_SETFL, new)
    elif e.kind == KIND_DIR and flags & C.FDFLAGS_APPEND:
        return _EBADF
    e.fdflags = flags
    return _OK


@_guard
def fd_fdstat_set_rights(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    base, inh = stack[1], stack[2]
    if base & ~e.rights_base or inh & ~e.rights_inheriting:
        return [E.ENOTCAPABLE]
    e.rights_base, e.rights_inheriting = base, inh
    return _OK


@_guard
def fd_filestat_get(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    mem = _mem(caller)
    if e.kind in (KIND_FILE, KIND_DIR):
        _put_filestat(mem, stack[1], os.fstat(e.host_fd))
    else:
        if stack[1] + 64 > len(mem):
            return _EFAULT
        C.FILESTAT.pack_into(mem, stack[1], 0, 0, e.filetype, 1, 0, 0, 0, 0)
    return _OK


@_guard
def fd_filestat_set_size(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    if e.kind == KIND_DIR:
        return _EISDIR
    if e.kind != KIND_FILE:
        return _EINVAL
    size = _s64(stack[1])
    if size < 0:
        return _EINVAL
    os.ftruncate(e.host_fd, size)
    return _OK


@_guard
def fd_filestat_set_times(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    if e.kind not in (KIND_FILE, KIND_DIR):
        return _EBADF
    if e.read_only:
        return _EROFS
    t = _times(caller._inst.sys, os.fstat(e.host_fd), stack[1], stack[2], stack[3])
    if isinstance(t, int):
        return [t]
    os.utime(e.host_fd, ns=t)
    return _OK


@_guard
def fd_prestat_get(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    if e.preopen is None:
        return _EBADF
    mem = _mem(caller)
    if stack[1] + 8 > len(mem):
        return _EFAULT
    C.PRESTAT.pack_into(mem, stack[1], C.PREOPENTYPE_DIR, len(e.preopen))
    return _OK


@_guard
def fd_prestat_dir_name(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None or e.preopen is None:
        return _EBADF
    name = e.preopen
    if stack[2] < len(name):
        return [E.ENAMETOOLONG]
    mem = _mem(caller)
    p = stack[1]
    if p + len(name) > len(mem):
        return _EFAULT
    mem[p : p + len(name)] = name
    return _OK


def _listing(e: FileEntry) -> list[tuple[bytes, int, int]]:
    out = []
    st = os.fstat(e.host_fd)
    out.append((b".", st.st_ino, C.FILETYPE_DIRECTORY))
    try:
        # A pre-open's parent is outside the sandbox: report the pre-open.
        pst = st if e.preopen is not None else os.stat("..", dir_fd=e.host_fd)
        out.append((b"..", pst.st_ino, C.FILETYPE_DIRECTORY))
    except OSError:
        out.append((b"..", 0, C.FILETYPE_DIRECTORY))
    with os.scandir(e.host_fd) as it:
        rest = []
        for d in it:
            try:
                if d.is_symlink():
                    ft = C.FILETYPE_SYMBOLIC_LINK
                elif d.is_dir(follow_symlinks=False):
                    ft = C.FILETYPE_DIRECTORY
                elif d.is_file(follow_symlinks=False):
                    ft = C.FILETYPE_REGULAR_FILE
                else:
                    ft = _filetype_of(d.stat(follow_symlinks=False).st_mode)
                ino = d.inode()
            except OSError:
                continue
            rest.append((os.fsencode(d.name), ino, ft))
    rest.sort()
    out.extend(rest)
    return out


@_guard
def fd_readdir(caller: Any, stack: list) -> list:
    e = _entry(caller, stack[0])
    if e is None:
        return _EBADF
    if e.kind != KIND_DIR:
        return _ENOTDIR
    mem = _mem(caller)
    buf, buf_len, cookie, used_ptr = stack[1], stack[2], stack[3], stack[4]
    if buf + buf_len > len(mem) or used_ptr + 4 > len(mem):
        return _EFAULT
    if cookie == 0 or e.dir_listing is None:
        e.dir_listing = _listing(e)
    listing = e.dir_listing
    if cookie > len(listing):
        return _EINVAL
    out = bytearray()
    for i in range(cookie, len(listing)):
        if len(out) >= buf_len:
            break
        name, ino, ft = listing[i]
        out += C.DIRENT.pack(i + 1, ino, len(name), ft) + name
    out = out[:buf_len]
    mem[buf : buf + len(out)] = out
    _U32.pack_into(mem, used_ptr, len(out))
    return _OK


# -- poll --------------------------------------------------------------------------


@_guard
def poll_oneoff(caller: Any, stack: list) -> list:
    in_ptr, out_ptr, nsubs, nevents_ptr = stack
    if nsubs == 0:
        return _EINVAL
    mem = _mem(caller)
    if in_ptr + 48 * nsubs > len(mem) or out_ptr + 32 * nsubs > len(mem):
        return _EFAULT
    if nevents_ptr + 4 > len(mem):
        return _EFAULT
    sys = caller._inst.sys
    events: list[tuple[int, int, int, int]] = []  # userdata, errno, type, nbytes
    timeouts: list[tuple[int, int]] = []  # (relative ns, userdata)
    for i in range(nsubs):
        base = in_ptr + 48 * i
        userdata, tag = C.SUB_HEAD.unpack_from(mem, base)
        if tag == C.EVENTTYPE_CLOCK:
            clock_id, timeout, _precision, flags = C.SUB_CLOCK.unpack_from(mem, base + 16)
            if flags & C.SUBSCRIPTION_CLOCK_ABSTIME:
                now = _now(sys, clock_id)
                if now is None:
                    events.append((userdata, E.EINVAL, tag, 0))
                    continue
                rel = max(timeout - now, 0)
            else:
                if clock_id not in _RESOLUTION:
                    events.append((userdata, E.EINVAL, tag, 0))
                    continue
                rel = timeout
            timeouts.append((rel, userdata))
        elif tag in (C.EVENTTYPE_FD_READ, C.EVENTTYPE_FD_WRITE):
            (fd,) = _U32.unpack_from(mem, base + 16)
            e = _entry(caller, fd)
            if e is None:
                events.append((userdata, E.EBADF, tag, 0))
            elif e.kind == KIND_DIR:
                events.append((userdata, E.EBADF, tag, 0))
            else:
                nbytes = 0
                if tag == C.EVENTTYPE_FD_READ and e.kind == KIND_FILE:
                    try:
                        st = os.fstat(e.host_fd)
                        pos = os.lseek(e.host_fd, 0, os.SEEK_CUR)
                        nbytes = max(st.st_size - pos, 0)
                    except OSError:
                        nbytes = 0
                events.append((userdata, 0, tag, nbytes))
        else:
            return _EINVAL
    if not events and timeouts:
        rel, userdata = min(timeouts)
        if rel > 0:
            sys.nanosleep(rel)
        events.append((userdata, 0, C.EVENTTYPE_CLOCK, 0))
        for r, u in timeouts:
            if r <= rel and u != userdata:
                events.append((u, 0, C.EVENTTYPE_CLOCK, 0))
    elif timeouts:
        for r, u in timeouts:
            if r == 0:
                events.append((u, 0, C.EVENTTYPE_CLOCK, 0))
    for i, (u, err, tag, nbytes) in enumerate(events):
        C.EVENT.pack_into(mem, out_ptr + 32 * i, u, err, tag, nbytes, 0)
    _U32.pack_into(mem, nevents_ptr, len(events))
    return _OK


# -- sockets (none are ever pre-opened) --------------------------------------------


def _sock(caller: Any, fd: int) -> list:
    e = _entry(caller, fd)
    return _EBADF if e is None else _ENOTSOCK


@_guard
def sock_accept(caller: Any, stack: list) -> list:
    return _sock(caller, stack[0])


@_guard
def sock_recv(caller: Any, stack: list) -> list:
    return _sock(caller, stack[0])


@_guard
def sock_send(caller: Any, stack: list) -> list:
    return _sock(caller, stack[0])


@_guard
def sock_shutdown(caller: Any, stack: list) -> list:
    return _sock(caller, stack[0])
