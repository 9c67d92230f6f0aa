"""A mount's root directory for Node's ``fs``: operations on paths inside it,
resolved by the sandbox's descriptor walk (:mod:`..sysfs.path`, the same
one WASI uses) and performed relative to the last directory's descriptor.
"""

from __future__ import annotations

import errno as _errno
import os
from collections.abc import Callable
from typing import TypeVar

from ..sysfs.path import SandboxError as _WalkError
from ..sysfs.path import supported, walk, walk_parent
from ..wasip1 import errno as E

_T = TypeVar("_T")


class SandboxError(Exception):
    """A path that cannot be resolved inside the root; ``code`` is the errno
    name Node reports (``"EPERM"`` for an escape, ``"ENOENT"``, ...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _bytes(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


class Root:
    """The root of a mount, opened once and kept open until :meth:`close`."""

    def __init__(self, host_dir: str) -> None:
        if not supported():
            raise OSError(_errno.ENOTSUP, "this platform cannot open files relative to a directory")
        self.fd = os.open(host_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def _at(self, path: str, follow: bool, op: Callable[[int, str], _T]) -> _T:
        try:
            with walk(self.fd, _bytes(path) or b".", follow) as (d, name):
                return op(d, name)
        except _WalkError as e:
            raise SandboxError(E.errno_name(e.errno)) from None

    def _parent(self, path: str, op: Callable[[int, str], _T]) -> _T:
        try:
            with walk_parent(self.fd, _bytes(path)) as (d, name):
                return op(d, name)
        except _WalkError as e:
            raise SandboxError(E.errno_name(e.errno)) from None

    def stat(self, path: str, follow: bool) -> os.stat_result:
        return self._at(path, follow, lambda d, n: os.stat(n, dir_fd=d, follow_symlinks=False))

    def open(self, path: str, flags: int, mode: int) -> int:
        def op(d: int, name: str) -> int:
            return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=d)

        if flags & os.O_CREAT and flags & os.O_EXCL:
            return self._parent(path, op)
        return self._at(path, True, op)

    def listdir(self, path: str) -> list[str]:
        def op(d: int, name: str) -> list[str]:
            h = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=d)
            try:
                return os.listdir(h)
            finally:
                os.close(h)

        return self._at(path, True, op)

    def mkdir(self, path: str, mode: int) -> None:
        self._parent(path, lambda d, n: os.mkdir(n, mode & 0o777, dir_fd=d))

    def rmdir(self, path: str) -> None:
        self._parent(path, lambda d, n: os.rmdir(n, dir_fd=d))

    def unlink(self, path: str) -> None:
        self._parent(path, lambda d, n: os.unlink(n, dir_fd=d))

    def readlink(self, path: str) -> str:
        return self._parent(path, lambda d, n: os.readlink(n, dir_fd=d))

    def symlink(self, target: str, path: str) -> None:
        if "\0" in target:
            raise SandboxError("EINVAL")
        self._parent(path, lambda d, n: os.symlink(target, n, dir_fd=d))

    def rename(self, old: str, new: str) -> None:
        self._two(old, new, lambda a, x, b, y: os.rename(x, y, src_dir_fd=a, dst_dir_fd=b))

    def link(self, old: str, new: str) -> None:
        self._two(
            old,
            new,
            lambda a, x, b, y: os.link(x, y, src_dir_fd=a, dst_dir_fd=b, follow_symlinks=False),
        )

    def _two(self, old: str, new: str, op: Callable[[int, str, int, str], None]) -> None:
        self._parent(old, lambda a, x: self._parent(new, lambda b, y: op(a, x, b, y)))

    def _with_file(self, path: str, flags: int, op: Callable[[int], None]) -> None:
        """Run ``op`` on a descriptor of the file itself (never a link)."""

        def at(d: int, name: str) -> None:
            h = os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=d)
            try:
                op(h)
            finally:
                os.close(h)

        self._at(path, True, at)

    def chmod(self, path: str, mode: int) -> None:
        self._with_file(path, os.O_RDONLY, lambda h: os.fchmod(h, mode & 0o7777))

    def chown(self, path: str, uid: int, gid: int, follow: bool) -> None:
        self._at(path, follow, lambda d, n: os.chown(n, uid, gid, dir_fd=d, follow_symlinks=False))

    def utime(self, path: str, atime_ns: int, mtime_ns: int) -> None:
        self._at(
            path,
            True,
            lambda d, n: os.utime(n, ns=(atime_ns, mtime_ns), dir_fd=d, follow_symlinks=False),
        )

    def truncate(self, path: str, length: int) -> None:
        self._with_file(path, os.O_WRONLY, lambda h: os.ftruncate(h, length))
