"""Sandboxed path resolution through directory descriptors, as cap-std
(wasmtime) does.

A guest path is resolved against an open directory (a pre-open, or a
directory opened from one) one component at a time: each directory on the
way is opened with ``O_DIRECTORY | O_NOFOLLOW`` relative to the one before
(``dir_fd=``), symbolic links are read with ``readlink(name, dir_fd=...)``
and expanded by hand, and ``..`` pops the walk's own stack of descriptors,
never above the starting directory. The operation itself is then made
relative to the last directory's descriptor, on a name that is never
followed by the OS. No joined host path string is ever handed to the OS,
so another writer that swaps a checked directory for a symbolic link
cannot redirect the operation outside the mount: the swap makes the walk
fail (``O_NOFOLLOW``), it never escapes.

Ex.::

    with walk(dir_fd, b"a/b/c.txt", follow=True) as (parent, name):
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=parent)

Absolute paths, ``..`` above the start and symbolic links whose target is
absolute or climbs out are refused with EPERM.
"""

from __future__ import annotations

import errno as _errno
import os
import stat
from types import TracebackType

from ..wasip1 import errno as E

MAX_SYMLINK_EXPANSIONS = 40
MAX_PATH = 4096
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def supported() -> bool:
    """Whether this platform can resolve paths through descriptors (every
    call below needs ``dir_fd`` and ``O_NOFOLLOW``); mounts are refused
    where it cannot."""
    needed = {os.open, os.stat, os.mkdir, os.unlink, os.rmdir, os.rename, os.readlink, os.link}
    return bool(_NOFOLLOW) and needed <= os.supports_dir_fd


class SandboxError(Exception):
    """A path that cannot be resolved in the sandbox; ``errno`` is WASI's."""

    def __init__(self, errno: int) -> None:
        super().__init__(E.errno_name(errno))
        self.errno = errno


def _relative_text(path: bytes) -> str:
    """A guest path as text: EINVAL with a NUL, EILSEQ if not UTF-8, EPERM if
    absolute (only paths relative to a pre-opened directory are allowed)."""
    if b"\0" in path:
        raise SandboxError(E.EINVAL)
    try:
        text = path.decode()
    except UnicodeDecodeError:
        raise SandboxError(E.EILSEQ) from None
    if text.startswith("/"):
        raise SandboxError(E.EPERM)
    return text


def _components(text: str) -> list[str]:
    return [c for c in text.split("/") if c not in ("", ".")]


class _Walk:
    """The context manager :func:`walk` and :func:`walk_parent` return: on
    entry the resolution, as (directory descriptor, name); the descriptors it
    opened are closed on exit."""

    __slots__ = ("base", "path", "follow", "parent", "opened")

    def __init__(self, base: int, path: bytes, follow: bool, parent: bool) -> None:
        self.base = base
        self.path = path
        self.follow = follow
        self.parent = parent
        self.opened: list[int] = []

    def __enter__(self) -> tuple[int, str]:
        try:
            return self._resolve()
        except BaseException:
            self._close()
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    def _close(self) -> None:
        while self.opened:
            try:
                os.close(self.opened.pop())
            except OSError:
                pass

    def _cwd(self) -> int:
        return self.opened[-1] if self.opened else self.base

    def _enter_dir(self, name: str) -> None:
        try:
            fd = os.open(name, _DIR_FLAGS | _NOFOLLOW, dir_fd=self._cwd())
        except OSError as exc:
            if exc.errno == _errno.ELOOP:
                # It became a symbolic link after it was checked: a race
                # with another writer. Refuse rather than follow it.
                raise SandboxError(E.EPERM) from None
            raise
        self.opened.append(fd)

    def _resolve(self) -> tuple[int, str]:
        path = self.path
        if len(path) > MAX_PATH:
            raise SandboxError(E.ENAMETOOLONG)
        text = _relative_text(path)
        if self.parent:
            return self._resolve_parent(text)
        if text == "":
            raise SandboxError(E.ENOENT)
        return self._walk(text, self.follow)

    def _resolve_parent(self, text: str) -> tuple[int, str]:
        stripped = text.rstrip("/")
        if stripped == "":
            raise SandboxError(E.ENOENT if text == "" else E.EPERM)
        head, _, last = stripped.rpartition("/")
        if last == "..":
            # "a/.." names the start or above: refuse like an escape if above.
            self._walk(stripped, True)
            raise SandboxError(E.EINVAL)
        if head:
            _, name = self._walk(head, True)
            if name != ".":
                self._enter_dir_checked(name)
        if last == ".":
            raise SandboxError(E.EINVAL)
        if len(last.encode()) > 255:
            raise SandboxError(E.ENAMETOOLONG)
        return self._cwd(), last

    def _enter_dir_checked(self, name: str) -> None:
        """Descend into ``name`` (already resolved, not a link), mapping a
        non-directory to ENOTDIR and a missing one to ENOENT."""
        try:
            st = os.stat(name, dir_fd=self._cwd(), follow_symlinks=False)
        except FileNotFoundError:
            raise SandboxError(E.ENOENT) from None
        if not stat.S_ISDIR(st.st_mode):
            raise SandboxError(E.ENOTDIR)
        self._enter_dir(name)

    def _walk(self, text: str, follow: bool) -> tuple[int, str]:
        trailing_slash = text.endswith("/")
        pending = _components(text)
        pending.reverse()  # a stack: the next component is pending[-1]
        expansions = 0
        while pending:
            name = pending.pop()
            is_last = not pending
            if name == "..":
                if not self.opened:
                    raise SandboxError(E.EPERM)
                os.close(self.opened.pop())
                continue
            if len(name.encode()) > 255:
                raise SandboxError(E.ENAMETOOLONG)
            try:
                st = os.stat(name, dir_fd=self._cwd(), follow_symlinks=False)
            except FileNotFoundError:
                if is_last:
                    return self._cwd(), name
                raise SandboxError(E.ENOENT) from None
            except OSError as exc:
                raise SandboxError(E.from_oserror(exc)) from None
            if stat.S_ISLNK(st.st_mode) and (not is_last or follow or trailing_slash):
                expansions += 1
                if expansions > MAX_SYMLINK_EXPANSIONS:
                    raise SandboxError(E.ELOOP)
                target = os.readlink(name, dir_fd=self._cwd())
                if target.startswith("/"):
                    raise SandboxError(E.EPERM)
                parts = _components(target)
                if trailing_slash and is_last:
                    parts.append(".")  # keep the directory requirement
                pending.extend(reversed(parts))
                if not pending:
                    return self._cwd(), "."
                continue
            if not is_last:
                if not stat.S_ISDIR(st.st_mode):
                    raise SandboxError(E.ENOTDIR)
                self._enter_dir(name)
                continue
            if trailing_slash and not stat.S_ISDIR(st.st_mode):
                raise SandboxError(E.ENOTDIR)
            return self._cwd(), name
        return self._cwd(), "."


def walk(base: int, path: bytes, follow: bool) -> _Walk:
    """Resolve guest ``path`` relative to the directory descriptor ``base``:
    ``with walk(...) as (dir_fd, name)``, where ``name`` is the last
    component (``"."`` for a directory reached by the path itself), relative
    to ``dir_fd``; it need not exist.

    ``follow``: expand a symbolic link in the last component too. Raises
    :class:`SandboxError` (EPERM for an escape, ENOENT, ENOTDIR, ELOOP,
    ENAMETOOLONG, EILSEQ, EINVAL) on failure.
    """
    return _Walk(base, path, follow, parent=False)


def walk_parent(base: int, path: bytes) -> _Walk:
    """Like :func:`walk` for operations on the last component itself
    (unlink, rmdir, mkdir, rename, symlink, link target): the parent is
    resolved, the last name is not followed. A last component of ``.`` or
    ``..`` is EINVAL (EPERM if it climbs out)."""
    return _Walk(base, path, True, parent=True)


def is_dir_at(dir_fd: int, name: str) -> bool:
    """Whether ``name`` in ``dir_fd`` is a directory (not followed)."""
    try:
        return stat.S_ISDIR(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False
