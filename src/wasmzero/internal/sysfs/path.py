"""Sandboxed path resolution.

A guest path is resolved against a directory (a pre-open or a directory
opened from one) component by component with ``os.lstat``: ``..`` may not
climb above that directory, absolute paths are refused, and symbolic links
are expanded by hand so that a link whose target is absolute or climbs out
is refused too (like cap-std, which wasmtime uses). The result is a host
path whose every directory component is a real directory inside the base.
"""

from __future__ import annotations

import os
import stat

from ..wasip1 import errno as E

MAX_SYMLINK_EXPANSIONS = 40
MAX_PATH = 4096


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


def resolve(base: str, path: bytes, follow: bool) -> str:
    """The host path of guest ``path`` relative to host directory ``base``.

    ``follow``: expand a symbolic link in the last component too. Raises
    :class:`SandboxError` (EPERM for an escape, ENOENT, ENOTDIR, ELOOP,
    ENAMETOOLONG, EILSEQ, EINVAL) on failure. The last component need not
    exist.
    """
    if len(path) > MAX_PATH:
        raise SandboxError(E.ENAMETOOLONG)
    text = _relative_text(path)
    if text == "":
        raise SandboxError(E.ENOENT)
    trailing_slash = text.endswith("/")
    pending = [c for c in text.split("/") if c not in ("", ".")]
    pending.reverse()  # a stack: the next component is pending[-1]
    stack: list[str] = []
    expansions = 0
    while pending:
        name = pending.pop()
        is_last = not pending
        if name == "..":
            if not stack:
                raise SandboxError(E.EPERM)
            stack.pop()
            continue
        if len(name.encode()) > 255:
            raise SandboxError(E.ENAMETOOLONG)
        candidate = os.path.join(base, *stack, name)
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            if is_last:
                stack.append(name)
                break
            raise SandboxError(E.ENOENT) from None
        except OSError as exc:
            raise SandboxError(E.from_oserror(exc)) from None
        if stat.S_ISLNK(st.st_mode) and (not is_last or follow or trailing_slash):
            expansions += 1
            if expansions > MAX_SYMLINK_EXPANSIONS:
                raise SandboxError(E.ELOOP)
            target = os.readlink(candidate)
            if target.startswith("/"):
                raise SandboxError(E.EPERM)
            parts = [c for c in target.split("/") if c not in ("", ".")]
            if trailing_slash and is_last:
                parts.append(".")  # keep the directory requirement
            pending.extend(reversed(parts))
            continue
        if not is_last and not stat.S_ISDIR(st.st_mode):
            raise SandboxError(E.ENOTDIR)
        if is_last and trailing_slash and not stat.S_ISDIR(st.st_mode):
            raise SandboxError(E.ENOTDIR)
        stack.append(name)
    return os.path.join(base, *stack) if stack else base


def split_parent(base: str, path: bytes) -> tuple[str, str]:
    """(resolved parent host directory, last name) for operations that act on
    the last component itself (unlink, rmdir, mkdir, rename, symlink, link
    target): the parent is resolved, the last name is not followed. Raises
    SandboxError; a last component of ``.`` or ``..`` is EINVAL (EPERM if
    it climbs out)."""
    text = _relative_text(path)
    stripped = text.rstrip("/")
    if stripped == "":
        raise SandboxError(E.ENOENT if text == "" else E.EPERM)
    head, _, last = stripped.rpartition("/")
    if last == "..":
        # "a/.." names the base or above: refuse like an escape if above.
        resolve(base, stripped.encode(), True)
        raise SandboxError(E.EINVAL)
    parent = resolve(base, head.encode(), True) if head else base
    if head and not os.path.isdir(parent):
        raise SandboxError(E.ENOTDIR if os.path.exists(parent) else E.ENOENT)
    if last == ".":
        raise SandboxError(E.EINVAL)
    return parent, last
