"""The WASI path functions (``path_*``): each resolves its guest path through
the sandbox's descriptor walk (``..sysfs.path``) and acts relative to the
last directory's descriptor."""

from __future__ import annotations

import errno as _errno
import os
import stat as _stat
from typing import Any

from ..sysfs.fs import KIND_DIR, KIND_FILE, FileEntry, get_fs
from ..sysfs.path import SandboxError, is_dir_at, walk, walk_parent
from . import consts as C
from . import errno as E
from .common import (
    _EFAULT,
    _EINVAL,
    _EISDIR,
    _ENOTCAPABLE,
    _ENOTDIR,
    _EROFS,
    _OK,
    _U32,
    _entry,
    _filetype_of,
    _guard,
    _mem,
    _put_filestat,
    _read_bytes,
    _times,
)

# -- paths -------------------------------------------------------------------------


def _dir(caller: Any, fd: int) -> FileEntry:
    e = _entry(caller, fd)
    if e is None:
        raise SandboxError(E.EBADF)
    if e.kind != KIND_DIR:
        raise SandboxError(E.ENOTDIR)
    return e


def _path(mem: bytearray, ptr: int, n: int) -> bytes:
    return _read_bytes(mem, ptr, n)


def _open_at(
    d: FileEntry,
    parent: int,
    name: str,
    follow: bool,
    oflags: int,
    base: int,
    inheriting: int,
    fdflags: int,
) -> FileEntry | list:
    """path_open's work once the path is resolved: the new entry, or an
    errno result."""
    want_write = bool(
        base & (C.RIGHT_FD_WRITE | C.RIGHT_FD_ALLOCATE | C.RIGHT_FD_FILESTAT_SET_SIZE)
    )
    want_read = bool(base & (C.RIGHT_FD_READ | C.RIGHT_FD_READDIR))
    want_dir = bool(oflags & C.OFLAGS_DIRECTORY)
    if want_dir and oflags & (C.OFLAGS_CREAT | C.OFLAGS_TRUNC):
        return _EINVAL
    if want_dir and base & C.RIGHT_FD_WRITE and is_dir_at(parent, name):
        return _EISDIR  # a directory is never opened for writing
    if d.read_only and (
        oflags & (C.OFLAGS_CREAT | C.OFLAGS_TRUNC)
        or (want_write and base & C.RIGHT_FD_WRITE)
        or fdflags & C.FDFLAGS_APPEND
    ):
        # Creating or truncating is refused; so is opening for write.
        if oflags & C.OFLAGS_CREAT and not oflags & C.OFLAGS_EXCL and is_dir_at(parent, name):
            return _EISDIR
        return _EROFS
    if oflags & C.OFLAGS_TRUNC and not d.rights_base & C.RIGHT_PATH_FILESTAT_SET_SIZE:
        return _ENOTCAPABLE
    if oflags & C.OFLAGS_CREAT and not d.rights_base & C.RIGHT_PATH_CREATE_FILE:
        return _ENOTCAPABLE
    if not want_dir and not oflags & (C.OFLAGS_CREAT | C.OFLAGS_TRUNC) and is_dir_at(parent, name):
        # A directory opened without O_DIRECTORY: read-only, or EISDIR for write.
        if base & C.RIGHT_FD_WRITE and not base & C.RIGHT_FD_READDIR:
            return _EISDIR
        want_dir = True
    if want_dir:
        want_write = False
        base &= ~C.RIGHT_FD_WRITE
    flags = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    if oflags & C.OFLAGS_CREAT:
        flags |= os.O_CREAT
    if oflags & C.OFLAGS_EXCL:
        flags |= os.O_EXCL
    if oflags & C.OFLAGS_TRUNC:
        flags |= os.O_TRUNC
    if want_dir:
        flags |= os.O_DIRECTORY
    if fdflags & C.FDFLAGS_APPEND:
        flags |= os.O_APPEND
    if fdflags & C.FDFLAGS_SYNC:
        flags |= getattr(os, "O_SYNC", 0)
    if fdflags & C.FDFLAGS_DSYNC:
        flags |= getattr(os, "O_DSYNC", 0)
    if fdflags & C.FDFLAGS_RSYNC:
        flags |= getattr(os, "O_RSYNC", 0)
    if fdflags & C.FDFLAGS_NONBLOCK:
        flags |= os.O_NONBLOCK
    write_mode = want_write and base & C.RIGHT_FD_WRITE
    if write_mode or (oflags & C.OFLAGS_TRUNC):
        flags |= os.O_RDWR if want_read else os.O_WRONLY
    else:
        flags |= os.O_RDONLY
    try:
        hfd = os.open(name, flags, 0o666, dir_fd=parent)
    except OSError as exc:
        if exc.errno == _errno.ELOOP and not follow:
            # O_NOFOLLOW on a symlink: ELOOP, as in POSIX and wasmtime.
            return [E.ELOOP]
        if exc.errno == _errno.EISDIR and (flags & (os.O_WRONLY | os.O_RDWR)):
            return _EISDIR
        raise
    try:
        st = os.fstat(hfd)
    except OSError:
        os.close(hfd)
        raise
    is_dir = _stat.S_ISDIR(st.st_mode)
    if is_dir:
        entry = FileEntry(
            KIND_DIR,
            host_fd=hfd,
            read_only=d.read_only,
            fdflags=fdflags,
            rights_base=base & d.rights_inheriting & C.RIGHTS_DIR,
            rights_inheriting=inheriting & d.rights_inheriting,
            filetype=C.FILETYPE_DIRECTORY,
        )
    else:
        entry = FileEntry(
            KIND_FILE,
            host_fd=hfd,
            read_only=d.read_only,
            fdflags=fdflags,
            rights_base=base & d.rights_inheriting & C.RIGHTS_FILE,
            rights_inheriting=inheriting & d.rights_inheriting & C.RIGHTS_FILE,
            filetype=_filetype_of(st.st_mode),
        )
    return entry


@_guard
def path_open(caller: Any, stack: list) -> list:
    fd, dirflags, p, plen, oflags, base, inheriting, fdflags, out_ptr = stack
    d = _dir(caller, fd)
    mem = _mem(caller)
    path = _path(mem, p, plen)
    if out_ptr + 4 > len(mem):
        return _EFAULT
    if oflags & ~0xF or fdflags & ~0x1F:
        return _EINVAL
    follow = bool(dirflags & C.LOOKUP_SYMLINK_FOLLOW)
    with walk(d.host_fd, path, follow) as (parent, name):
        entry = _open_at(d, parent, name, follow, oflags, base, inheriting, fdflags)
        if isinstance(entry, list):
            return entry
    newfd = get_fs(caller._inst.sys).add(entry)
    _U32.pack_into(mem, out_ptr, newfd)
    return _OK


@_guard
def path_create_directory(caller: Any, stack: list) -> list:
    d = _dir(caller, stack[0])
    path = _path(_mem(caller), stack[1], stack[2])
    with walk_parent(d.host_fd, path) as (parent, name):
        if d.read_only:
            return _EROFS
        os.mkdir(name, 0o777, dir_fd=parent)
    return _OK


@_guard
def path_filestat_get(caller: Any, stack: list) -> list:
    d = _dir(caller, stack[0])
    mem = _mem(caller)
    path = _path(mem, stack[2], stack[3])
    with walk(d.host_fd, path, bool(stack[1] & C.LOOKUP_SYMLINK_FOLLOW)) as (parent, name):
        st = os.stat(name, dir_fd=parent, follow_symlinks=False)
    _put_filestat(mem, stack[4], st)
    return _OK


@_guard
def path_filestat_set_times(caller: Any, stack: list) -> list:
    d = _dir(caller, stack[0])
    path = _path(_mem(caller), stack[2], stack[3])
    follow = bool(stack[1] & C.LOOKUP_SYMLINK_FOLLOW)
    with walk(d.host_fd, path, follow) as (parent, name):
        st = os.stat(name, dir_fd=parent, follow_symlinks=False)
        if d.read_only:
            return _EROFS
        t = _times(caller._inst.sys, st, stack[4], stack[5], stack[6])
        if isinstance(t, int):
            return [t]
        os.utime(name, ns=t, dir_fd=parent, follow_symlinks=False)
    return _OK


@_guard
def path_link(caller: Any, stack: list) -> list:
    old_fd, old_flags, op, olen, new_fd, np_, nlen = stack
    od = _dir(caller, old_fd)
    nd = _dir(caller, new_fd)
    mem = _mem(caller)
    old = _path(mem, op, olen)
    new = _path(mem, np_, nlen)
    follow = bool(old_flags & C.LOOKUP_SYMLINK_FOLLOW)
    with (
        walk(od.host_fd, old, follow) as (sdir, sname),
        walk_parent(nd.host_fd, new) as (
            ddir,
            dname,
        ),
    ):
        if nd.read_only or od.read_only:
            return _EROFS
        if is_dir_at(sdir, sname):
            return [E.EPERM]
        if new.endswith(b"/"):
            return _slash_target(ddir, dname)
        os.link(sname, dname, src_dir_fd=sdir, dst_dir_fd=ddir, follow_symlinks=False)
    return _OK


@_guard
def path_readlink(caller: Any, stack: list) -> list:
    d = _dir(caller, stack[0])
    mem = _mem(caller)
    path = _path(mem, stack[1], stack[2])
    buf, buf_len, used_ptr = stack[3], stack[4], stack[5]
    with walk(d.host_fd, path, False) as (parent, name):
        target = os.fsencode(os.readlink(name, dir_fd=parent))
    if buf + buf_len > len(mem) or used_ptr + 4 > len(mem):
        return _EFAULT
    n = min(len(target), buf_len)
    mem[buf : buf + n] = target[:n]
    _U32.pack_into(mem, used_ptr, n)
    return _OK


@_guard
def path_remove_directory(caller: Any, stack: list) -> list:
    d = _dir(caller, stack[0])
    path = _path(_mem(caller), stack[1], stack[2])
    with walk_parent(d.host_fd, path) as (parent, name):
        st = os.stat(name, dir_fd=parent, follow_symlinks=False)
        if not _stat.S_ISDIR(st.st_mode):
            return _ENOTDIR
        if d.read_only:
            return _EROFS
        os.rmdir(name, dir_fd=parent)
    return _OK


@_guard
def path_unlink_file(caller: Any, stack: list) -> list:
    d = _dir(caller, stack[0])
    path = _path(_mem(caller), stack[1], stack[2])
    with walk_parent(d.host_fd, path) as (parent, name):
        st = os.stat(name, dir_fd=parent, follow_symlinks=False)
        if _stat.S_ISDIR(st.st_mode):
            return _EISDIR
        if path.endswith(b"/"):
            return _ENOTDIR
        if d.read_only:
            return _EROFS
        os.unlink(name, dir_fd=parent)
    return _OK


def _slash_target(parent: int, name: str) -> list:
    """The errno for creating ``name/`` (a trailing slash names a directory):
    EEXIST if a directory is there, ENOTDIR if another file, else ENOENT."""
    if is_dir_at(parent, name):
        return [E.EEXIST]
    return _ENOTDIR if _lexists_at(parent, name) else [E.ENOENT]


def _lexists_at(dir_fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


@_guard
def path_rename(caller: Any, stack: list) -> list:
    fd, op, olen, new_fd, np_, nlen = stack
    od = _dir(caller, fd)
    nd = _dir(caller, new_fd)
    mem = _mem(caller)
    old = _path(mem, op, olen)
    new = _path(mem, np_, nlen)
    with (
        walk_parent(od.host_fd, old) as (sdir, sname),
        walk_parent(nd.host_fd, new) as (
            ddir,
            dname,
        ),
    ):
        os.stat(sname, dir_fd=sdir, follow_symlinks=False)
        if od.read_only or nd.read_only:
            return _EROFS
        if is_dir_at(sdir, sname):
            if _lexists_at(ddir, dname) and not is_dir_at(ddir, dname):
                return _ENOTDIR
        elif is_dir_at(ddir, dname):
            return _EISDIR
        os.rename(sname, dname, src_dir_fd=sdir, dst_dir_fd=ddir)
    return _OK


@_guard
def path_symlink(caller: Any, stack: list) -> list:
    op, olen, fd, np_, nlen = stack
    d = _dir(caller, fd)
    mem = _mem(caller)
    target = _path(mem, op, olen)
    with walk_parent(d.host_fd, _path(mem, np_, nlen)) as (parent, name):
        if target.startswith(b"/"):
            # An absolute target could only ever point outside the sandbox.
            return [E.EPERM]
        if b"\0" in target:
            return _EINVAL
        if d.read_only:
            return _EROFS
        if _path(mem, np_, nlen).endswith(b"/"):
            return _slash_target(parent, name)
        os.symlink(os.fsdecode(target), name, dir_fd=parent)
    return _OK
