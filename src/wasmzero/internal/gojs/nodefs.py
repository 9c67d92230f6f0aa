"""Node's callback ``fs`` API, as Go's ``syscall`` package uses it on
``GOOS=js``, over the module config's mounts.

Paths are absolute or relative to ``process.cwd()``; they are cleaned
lexically (as ``path.resolve`` does), matched to the mount with the longest
guest prefix, and the rest is resolved inside that mount by the sandbox's
walk (:mod:`..sysfs.path`, as for WASI): one component at a time through
directory descriptors, symbolic links expanded by hand and never leaving
the mount.
Each operation is then performed relative to the last directory descriptor,
so a concurrent writer cannot redirect it outside.

Callbacks run at once (before the ``fs`` call returns), which Go supports:
the callback resumes the program re-entrantly.
"""

from __future__ import annotations

import errno as _errno
import os
import posixpath
import stat as _stat
from collections.abc import Callable
from typing import Any

from .root import Root, SandboxError
from .values import (
    UNDEFINED,
    JSArray,
    JSError,
    JSFunction,
    JSObject,
    JSThrow,
    JSUint8Array,
    is_number,
    js_string,
    to_integer,
)

# Node's open flags on Linux (``fs.constants``), which Go reads at start-up.
O_RDONLY, O_WRONLY, O_RDWR = 0, 1, 2
O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY = 0o100, 0o200, 0o1000, 0o2000, 0o200000
_CONSTANTS = {
    "O_RDONLY": O_RDONLY,
    "O_WRONLY": O_WRONLY,
    "O_RDWR": O_RDWR,
    "O_CREAT": O_CREAT,
    "O_EXCL": O_EXCL,
    "O_TRUNC": O_TRUNC,
    "O_APPEND": O_APPEND,
    "O_DIRECTORY": O_DIRECTORY,
}
_WRITE_FLAGS = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND


def node_error(code: int, syscall: str, path: str | None = None) -> JSError:
    """A Node system error (``err.code`` is the errno's name, which Go maps
    back to a ``syscall.Errno``)."""
    name = _errno.errorcode.get(code, "EIO")
    text = f"{name}: {os.strerror(code).lower()}, {syscall}"
    if path is not None:
        text += f" '{path}'"
    err = JSError(text, "Error", name)
    err.props["errno"] = -code
    err.props["syscall"] = syscall
    return err


class _File:
    __slots__ = ("fd", "path", "stream", "append", "read_only")

    def __init__(
        self, fd: int, path: str, stream: Any = None, append: bool = False, read_only: bool = False
    ) -> None:
        self.fd = fd  # host descriptor, -1 for stdio
        self.path = path
        self.stream = stream
        self.append = append
        self.read_only = read_only


def _stats(st: os.stat_result) -> JSObject:
    is_dir = _stat.S_ISDIR(st.st_mode)
    is_file = _stat.S_ISREG(st.st_mode)
    is_link = _stat.S_ISLNK(st.st_mode)
    obj = JSObject(
        {
            "dev": st.st_dev,
            "ino": st.st_ino,
            "mode": st.st_mode,
            "nlink": st.st_nlink,
            "uid": st.st_uid,
            "gid": st.st_gid,
            "rdev": getattr(st, "st_rdev", 0),
            "size": st.st_size,
            "blksize": getattr(st, "st_blksize", 4096),
            "blocks": getattr(st, "st_blocks", 0),
            "atimeMs": st.st_atime_ns // 1_000_000,
            "mtimeMs": st.st_mtime_ns // 1_000_000,
            "ctimeMs": st.st_ctime_ns // 1_000_000,
        }
    )
    obj.props["isDirectory"] = JSFunction(lambda this, args: is_dir, "isDirectory")
    obj.props["isFile"] = JSFunction(lambda this, args: is_file, "isFile")
    obj.props["isSymbolicLink"] = JSFunction(lambda this, args: is_link, "isSymbolicLink")
    return obj


def _stdio_stats() -> JSObject:
    st = os.stat_result((_stat.S_IFCHR | 0o620, 0, 0, 1, 0, 0, 0, 0, 0, 0))
    return _stats(st)


class NodeFS:
    """The ``fs`` global of one program and its working directory.

    Attributes:
        js: the JavaScript ``fs`` object.
        cwd: the working directory (a guest path, ``/`` at start).
    """

    def __init__(self, sys: Any) -> None:
        self.sys = sys
        self.cwd = "/"
        # (guest prefix, root, read-only), longest prefix first.
        mounts = []
        for m in sys.mounts:
            guest = posixpath.normpath("/" + m.guest_path.lstrip("/"))
            mounts.append((guest, Root(m.host_dir), m.read_only))
        mounts.sort(key=lambda t: -len(t[0]))
        self.mounts = mounts
        self.files: dict[int, _File] = {
            0: _File(-1, "/dev/stdin", "stdin"),
            1: _File(-1, "/dev/stdout", "stdout"),
            2: _File(-1, "/dev/stderr", "stderr"),
        }
        self.resume: Callable[[], None] = lambda: None
        self.js = self._make_object()

    # -- paths ------------------------------------------------------------

    def resolve(self, parts: list[str]) -> str:
        """``path.resolve(...parts)`` from the working directory."""
        out = self.cwd
        for p in parts:
            if p:
                out = posixpath.join(out, p)
        return posixpath.normpath(out) if out != "//" else "/"

    def chdir(self, path: str) -> None:
        target = self.resolve([path])
        st = self._stat_path(target, True, "chdir")
        if not _stat.S_ISDIR(st.st_mode):
            raise JSThrow(node_error(_errno.ENOTDIR, "chdir", path))
        self.cwd = target

    def _locate(self, path: str, syscall: str) -> tuple[Root, str, bool]:
        """(mount root, path inside it, read-only) for a guest path."""
        full = self.resolve([path])
        for guest, root, ro in self.mounts:
            if full == guest or guest == "/" or full.startswith(guest + "/"):
                rest = full[len(guest) :].lstrip("/") if guest != "/" else full.lstrip("/")
                return root, rest, ro
        raise JSThrow(node_error(_errno.ENOENT, syscall, path))

    def _writable(self, path: str, syscall: str) -> tuple[Root, str]:
        root, rest, ro = self._locate(path, syscall)
        if ro:
            raise JSThrow(node_error(_errno.EROFS, syscall, path))
        return root, rest

    def _stat_path(self, path: str, follow: bool, syscall: str) -> os.stat_result:
        root, rest, _ = self._locate(path, syscall)
        try:
            return root.stat(rest, follow)
        except (OSError, SandboxError) as e:
            raise JSThrow(node_error(_code(e), syscall, path)) from None

    # -- descriptors --------------------------------------------------------

    def _file(self, fd: Any, syscall: str) -> _File:
        f = self.files.get(to_integer(fd)) if is_number(fd) else None
        if f is None:
            raise JSThrow(node_error(_errno.EBADF, syscall))
        return f

    def _add(self, f: _File) -> int:
        fd = 3
        while fd in self.files:
            fd += 1
        self.files[fd] = f
        return fd

    def close_all(self) -> None:
        for fd, f in list(self.files.items()):
            if f.fd >= 0:
                try:
                    os.close(f.fd)
                except OSError:
                    pass
            del self.files[fd]
        for _, root, _ in self.mounts:
            root.close()
        self.mounts = []

    # -- operations (each returns the callback's value or raises) -----------

    def open(self, path: str, flags: int, mode: int) -> int:
        write = bool(flags & _WRITE_FLAGS)
        root, rest, ro = self._locate(path, "open")
        if write and ro:
            raise JSThrow(node_error(_errno.EROFS, "open", path))
        host = os.O_CLOEXEC
        acc = flags & 3
        host |= os.O_WRONLY if acc == O_WRONLY else os.O_RDWR if acc == O_RDWR else os.O_RDONLY
        for node, flag in (
            (O_CREAT, os.O_CREAT),
            (O_EXCL, os.O_EXCL),
            (O_TRUNC, os.O_TRUNC),
            (O_APPEND, os.O_APPEND),
            (O_DIRECTORY, os.O_DIRECTORY),
        ):
            if flags & node:
                host |= flag
        fd = self._call(lambda: root.open(rest, host, mode & 0o777), "open", path)
        return self._add(
            _File(fd, self.resolve([path]), append=bool(flags & O_APPEND), read_only=ro)
        )

    def _call(self, op: Callable[[], Any], syscall: str, path: str | None = None) -> Any:
        try:
            return op()
        except (OSError, SandboxError) as e:
            raise JSThrow(node_error(_code(e), syscall, path)) from None

    def close(self, fd: Any) -> None:
        f = self._file(fd, "close")
        del self.files[to_integer(fd)]
        if f.fd >= 0:
            self._call(lambda: os.close(f.fd), "close")

    def read(self, fd: Any, buf: Any, offset: Any, length: Any, position: Any) -> int:
        f = self._file(fd, "read")
        if not isinstance(buf, JSUint8Array):
            raise JSThrow(JSError("read: buffer is not a Uint8Array", "TypeError"))
        off, n = to_integer(offset), to_integer(length)
        if off < 0 or n < 0 or off + n > len(buf.data):
            raise JSThrow(JSError("read: out of range", "RangeError"))
        if f.stream is not None:
            data = self._read_stream(f, n)
        elif position is None or position is UNDEFINED:
            data = self._call(lambda: os.read(f.fd, n), "read")
        else:
            data = self._call(lambda: os.pread(f.fd, n, to_integer(position)), "read")
        buf.data[off : off + len(data)] = data
        return len(data)

    def _read_stream(self, f: _File, n: int) -> bytes:
        if f.stream != "stdin":
            raise JSThrow(node_error(_errno.EBADF, "read"))
        stream = self.sys.stdin
        if stream is None or n == 0:
            return b""
        read1 = getattr(stream, "read1", None)
        return bytes(read1(n) if read1 is not None else stream.read(n))

    def write(self, fd: Any, buf: Any, offset: Any, length: Any, position: Any) -> int:
        f = self._file(fd, "write")
        if not isinstance(buf, JSUint8Array):
            raise JSThrow(JSError("write: buffer is not a Uint8Array", "TypeError"))
        off, n = to_integer(offset), to_integer(length)
        if off < 0 or n < 0 or off + n > len(buf.data):
            raise JSThrow(JSError("write: out of range", "RangeError"))
        data = bytes(buf.data[off : off + n])
        if f.stream is not None:
            stream = getattr(self.sys, f.stream) if f.stream != "stdin" else None
            if f.stream == "stdin":
                raise JSThrow(node_error(_errno.EBADF, "write"))
            if stream is not None:
                stream.write(data)
                flush = getattr(stream, "flush", None)
                if flush is not None:
                    flush()
            return n
        if position is None or position is UNDEFINED or f.append:
            return self._call(lambda: os.write(f.fd, data), "write")
        return self._call(lambda: os.pwrite(f.fd, data, to_integer(position)), "write")

    def fstat(self, fd: Any) -> JSObject:
        f = self._file(fd, "fstat")
        if f.stream is not None:
            return _stdio_stats()
        return _stats(self._call(lambda: os.fstat(f.fd), "fstat"))

    def readdir(self, path: str) -> JSArray:
        root, rest, _ = self._locate(path, "scandir")
        names = self._call(lambda: root.listdir(rest), "scandir", path)
        return JSArray(sorted(names))

    def mutate(self, syscall: str, path: str, op: Callable[[Root, str], Any]) -> Any:
        root, rest = self._writable(path, syscall)
        self._call(lambda: op(root, rest), syscall, path)
        return UNDEFINED

    def two_paths(self, syscall: str, a: str, b: str, op: Callable[[Root, str, str], None]) -> Any:
        ra, rest_a = self._writable(a, syscall)
        rb, rest_b = self._writable(b, syscall)
        if ra is not rb:
            raise JSThrow(node_error(_errno.EXDEV, syscall, a))
        self._call(lambda: op(ra, rest_a, rest_b), syscall, a)
        return UNDEFINED

    # -- the JavaScript object ------------------------------------------------

    def _make_object(self) -> JSObject:
        fs = JSObject({"constants": JSObject(dict(_CONSTANTS))})

        def define(name: str, arity: int, fn: Callable[..., Any]) -> None:
            def call(this: Any, args: list[Any]) -> Any:
                cb = args[-1] if args else UNDEFINED
                if not isinstance(cb, JSFunction):
                    raise JSThrow(JSError(f"fs.{name}: callback must be a function", "TypeError"))
                params = (args[:-1] + [UNDEFINED] * arity)[:arity]
                try:
                    result = fn(*params)
                except JSThrow as e:
                    cb.call(None, [e.value])
                    return UNDEFINED
                cb.call(None, [None] if result is UNDEFINED or result is None else [None, result])
                return UNDEFINED

            fs.props[name] = JSFunction(call, name)

        s = js_string
        n = to_integer
        define("open", 3, lambda p, fl, m: self.open(s(p), n(fl), n(m)))
        define("close", 1, lambda fd: (self.close(fd), UNDEFINED)[1])
        define("read", 5, self.read)
        define("write", 5, self.write)
        define("fstat", 1, self.fstat)
        define("stat", 1, lambda p: _stats(self._stat_path(s(p), True, "stat")))
        define("lstat", 1, lambda p: _stats(self._stat_path(s(p), False, "lstat")))
        define("readdir", 1, lambda p: self.readdir(s(p)))
        define("fsync", 1, lambda fd: (self._file(fd, "fsync"), UNDEFINED)[1])
        define("mkdir", 2, lambda p, m: self.mutate("mkdir", s(p), lambda r, x: r.mkdir(x, n(m))))
        define("rmdir", 1, lambda p: self.mutate("rmdir", s(p), lambda r, x: r.rmdir(x)))
        define("unlink", 1, lambda p: self.mutate("unlink", s(p), lambda r, x: r.unlink(x)))
        define(
            "rename",
            2,
            lambda a, b: self.two_paths("rename", s(a), s(b), lambda r, x, y: r.rename(x, y)),
        )
        define(
            "link",
            2,
            lambda a, b: self.two_paths("link", s(a), s(b), lambda r, x, y: r.link(x, y)),
        )
        define(
            "symlink",
            2,
            lambda t, p: self.mutate("symlink", s(p), lambda r, x: r.symlink(s(t), x)),
        )
        define(
            "readlink",
            1,
            lambda p: self._call(lambda: self._readlink(s(p)), "readlink", s(p)),
        )
        define("chmod", 2, lambda p, m: self.mutate("chmod", s(p), lambda r, x: r.chmod(x, n(m))))
        define("fchmod", 2, lambda fd, m: self._fd_op(fd, "fchmod", lambda h: os.fchmod(h, n(m))))
        define(
            "chown",
            3,
            lambda p, u, g: self.mutate("chown", s(p), lambda r, x: r.chown(x, n(u), n(g), True)),
        )
        define(
            "lchown",
            3,
            lambda p, u, g: self.mutate("lchown", s(p), lambda r, x: r.chown(x, n(u), n(g), False)),
        )
        define(
            "fchown",
            3,
            lambda fd, u, g: self._fd_op(fd, "fchown", lambda h: os.fchown(h, n(u), n(g))),
        )
        define(
            "utimes",
            3,
            lambda p, a, m: self.mutate("utime", s(p), lambda r, x: r.utime(x, _ns(a), _ns(m))),
        )
        define(
            "truncate",
            2,
            lambda p, ln: self.mutate("open", s(p), lambda r, x: r.truncate(x, n(ln))),
        )
        define(
            "ftruncate",
            2,
            lambda fd, ln: self._fd_op(fd, "ftruncate", lambda h: os.ftruncate(h, n(ln))),
        )
        return fs

    def _readlink(self, path: str) -> str:
        root, rest, _ = self._locate(path, "readlink")
        return root.readlink(rest)

    def _fd_op(self, fd: Any, syscall: str, op: Callable[[int], None]) -> Any:
        f = self._file(fd, syscall)
        if f.fd < 0:
            raise JSThrow(node_error(_errno.EPERM, syscall))
        if f.read_only:
            raise JSThrow(node_error(_errno.EROFS, syscall))
        self._call(lambda: op(f.fd), syscall)
        return UNDEFINED


def _ns(seconds: Any) -> int:
    return int(float(seconds) * 1_000_000_000) if is_number(seconds) else 0


def _code(e: Exception) -> int:
    if isinstance(e, SandboxError):
        return getattr(_errno, e.code, _errno.EIO)
    return getattr(e, "errno", None) or _errno.EIO
