"""A mount's root directory, and operations on paths inside it performed
through directory descriptors (as cap-std does): a path is walked one
component at a time with ``O_NOFOLLOW | O_DIRECTORY``, symbolic links are
read and expanded by hand, ``..`` pops the walk's own stack (never above the
root), and the final operation is made relative to the last directory's
descriptor. No joined host path string is ever given to the OS.
"""

from __future__ import annotations

import errno as _errno
import os
from collections.abc import Callable
from typing import TypeVar

MAX_SYMLINK_EXPANSIONS = 40
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_T = TypeVar("_T")


class SandboxError(Exception):
    """A path that cannot be resolved inside the root (``host_errno`` is the
    POSIX errno to report: EPERM for an escape, ENOENT, ENOTDIR, ELOOP)."""

    def __init__(self, host_errno: int) -> None:
        super().__init__(os.strerror(host_errno))
        self.host_errno = host_errno


def _supported() -> bool:
    needed = {os.open, os.stat, os.mkdir, os.unlink, os.rmdir, os.rename, os.readlink}
    return needed <= os.supports_dir_fd and hasattr(os, "O_NOFOLLOW")


class Root:
    """The root of a mount, opened once and kept open until :meth:`close`."""

    def __init__(self, host_dir: str) -> None:
        if not _supported():
            raise OSError(_errno.ENOTSUP, "this platform cannot open files relative to a directory")
        self.fd = os.open(host_dir, _DIR_FLAGS & ~os.O_NOFOLLOW)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def _walk(
        self, path: str, follow_last: bool, op: Callable[[int, str], _T], into: bool = False
    ) -> _T:
        """Resolve ``path`` (relative to the root) to (directory fd, last
        name) and run ``op`` on them; the name is "." for the root itself,
        and for the directory ``path`` names when ``into`` is set."""
        if "\0" in path:
            raise SandboxError(_errno.EINVAL)
        if self.fd < 0:
            raise SandboxError(_errno.EBADF)
        pending = [c for c in path.split("/") if c not in ("", ".")]
        pending.reverse()
        stack: list[int] = []  # fds of the directories below the root
        expansions = 0
        try:
            while True:
                cur = stack[-1] if stack else self.fd
                if not pending:
                    return op(cur, ".")
                name = pending.pop()
                if name == "..":
                    if not stack:
                        raise SandboxError(_errno.EPERM)
                    os.close(stack.pop())
                    continue
                is_last = not pending
                target = _link_target(cur, name) if (follow_last or not is_last) else None
                if target is not None:
                    expansions += 1
                    if expansions > MAX_SYMLINK_EXPANSIONS:
                        raise SandboxError(_errno.ELOOP)
                    if target.startswith("/"):
                        raise SandboxError(_errno.EPERM)
                    pending.extend(reversed([c for c in target.split("/") if c not in ("", ".")]))
                    continue
                if is_last and not into:
                    return op(cur, name)
                try:
                    stack.append(os.open(name, _DIR_FLAGS, dir_fd=cur))
                except OSError as e:
                    if e.errno == _errno.ELOOP:  # became a link after the check
                        raise SandboxError(_errno.EPERM) from None
                    raise
        finally:
            for fd in stack:
                os.close(fd)

    def _parent(self, path: str, op: Callable[[int, str], _T]) -> _T:
        """Like :meth:`_walk` for operations on the last component itself
        (never followed); "." or ".." as last name is EINVAL."""
        parts = [c for c in path.split("/") if c not in ("", ".")]
        if not parts or parts[-1] == "..":
            raise SandboxError(_errno.EINVAL if parts else _errno.EBUSY)
        head = "/".join(parts[:-1])
        return self._walk(head, True, lambda fd, dot: op(fd, parts[-1]), into=True)

    def stat(self, path: str, follow: bool) -> os.stat_result:
        return self._walk(path, follow, lambda fd, n: os.stat(n, dir_fd=fd, follow_symlinks=False))

    def open(self, path: str, flags: int, mode: int) -> int:
        def op(fd: int, name: str) -> int:
            return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=fd)

        if flags & os.O_CREAT and flags & os.O_EXCL:
            return self._parent(path, op)
        return self._walk(path, True, op)

    def listdir(self, path: str) -> list[str]:
        def op(fd: int, name: str) -> list[str]:
            d = os.open(name, _DIR_FLAGS, dir_fd=fd)
            try:
                return os.listdir(d)
            finally:
                os.close(d)

        return self._walk(path, True, op)

    def mkdir(self, path: str, mode: int) -> None:
        self._parent(path, lambda fd, n: os.mkdir(n, mode & 0o777, dir_fd=fd))

    def rmdir(self, path: str) -> None:
        self._parent(path, lambda fd, n: os.rmdir(n, dir_fd=fd))

    def unlink(self, path: str) -> None:
        self._parent(path, lambda fd, n: os.unlink(n, dir_fd=fd))

    def readlink(self, path: str) -> str:
        return self._parent(path, lambda fd, n: os.readlink(n, dir_fd=fd))

    def symlink(self, target: str, path: str) -> None:
        if "\0" in target:
            raise SandboxError(_errno.EINVAL)
        self._parent(path, lambda fd, n: os.symlink(target, n, dir_fd=fd))

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

    def _with_file(self, path: str, follow: bool, op: Callable[[int], None]) -> None:
        """Run ``op`` on a descriptor of the file itself (never a link's
        target outside the root)."""

        def at(fd: int, name: str) -> None:
            h = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            try:
                op(h)
            finally:
                os.close(h)

        self._walk(path, follow, at)

    def chmod(self, path: str, mode: int) -> None:
        self._with_file(path, True, lambda h: os.fchmod(h, mode & 0o7777))

    def chown(self, path: str, uid: int, gid: int, follow: bool) -> None:
        self._walk(
            path, follow, lambda fd, n: os.chown(n, uid, gid, dir_fd=fd, follow_symlinks=False)
        )

    def utime(self, path: str, atime_ns: int, mtime_ns: int) -> None:
        self._walk(
            path,
            True,
            lambda fd, n: os.utime(n, ns=(atime_ns, mtime_ns), dir_fd=fd, follow_symlinks=False),
        )

    def truncate(self, path: str, length: int) -> None:
        def at(fd: int, name: str) -> None:
            h = os.open(name, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            try:
                os.ftruncate(h, length)
            finally:
                os.close(h)

        self._walk(path, True, at)


def _link_target(dir_fd: int, name: str) -> str | None:
    """The target of ``name`` if it is a symbolic link, else None."""
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError as e:
        if e.errno in (_errno.EINVAL, _errno.ENOENT, _errno.ENOTDIR):
            return None
        raise
