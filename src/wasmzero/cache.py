"""The compilation cache: translated code shared between runtimes, in memory
and optionally on disk.

Ex.::

    cache = CompilationCache(directory="~/.cache/wasmzero")
    with Runtime(RuntimeConfig(compilation_cache=cache)) as rt:
        rt.instantiate(wasm_bytes)   # a second process reuses the translation

In memory, compiling the same bytes (same features, same engine) in any
runtime given the cache returns the same compiled code, so functions are
translated once. On disk, each module's translated functions are stored as
one file named by a hash of the module bytes and of everything the
translation depends on (wasmzero version and engine sources, Python
implementation and version, features). The file grows run by run: a
runtime adds the functions it translated when it closes, so a program's
first run translates only what it runs, as ``--no-cache`` does. See RATIONALE.md for why the format
is safe to read back.

Trust: a cache file is unmarshalled into code that runs, so whoever can write
the directory runs code in every process that uses it. The directory is used
only when this user owns it, no one else can write it (group write is
fine when the group is this user's private one), and every directory above
it belongs to this user or root and is writable by no one else (or is
sticky, as ``/tmp``); each file is opened without following a symlink and
used only when this user owns it and no one else can write it. Otherwise the disk cache is switched off for this ``CompilationCache``
(it keeps working in memory) and an :class:`UntrustedCacheWarning` says why,
once.
"""

from __future__ import annotations

import errno
import marshal
import os
import stat
import sys
import threading
import warnings
from binascii import crc32

try:  # the built-in module: cheaper to import than OpenSSL's hashlib
    from _sha256 import sha256 as _sha256  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - other Python builds
    from hashlib import sha256 as _sha256
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

from .version import __version__

__all__ = ["CompilationCache", "UntrustedCacheWarning"]


class UntrustedCacheWarning(RuntimeWarning):
    """A cache directory or file that others could have written was refused;
    the cache runs without its disk part."""


_MAGIC = b"WZC2"
_DIGEST = 4  # CRC-32 of header + payload, little-endian


def _engine_fingerprint() -> str:
    """A hash of the sources that decide what translated code looks like, so
    a cache never serves code from a different translator: their names,
    sizes and modification times (hashing their 300 KB of text took a tenth
    of a cached run's start-up; an edit changes the time, and a checkout
    that only touches a file invalidates its cache, the safe direction)."""
    root = os.path.join(os.path.dirname(__file__), "internal")
    stamps = []
    dirs = [os.path.join(root, sub) for sub in ("binary", "engine", "numeric", "wasm")]
    while dirs:
        d = dirs.pop()
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            if e.is_dir():
                dirs.append(e.path)
            elif e.name.endswith(".py"):
                try:
                    st = e.stat()
                    stamp = f"{st.st_size}:{st.st_mtime_ns}"
                except OSError:
                    stamp = "?"
                stamps.append(f"{os.path.relpath(e.path, root)}={stamp};")
    stamps.sort()
    return _sha256("".join([__version__, *stamps]).encode()).hexdigest()


_FINGERPRINT: str | None = None


def _checksum(head: bytes, payload: bytes) -> bytes:
    """CRC-32: it catches the corruption it is there for (see RATIONALE.md)
    at a fraction of SHA-256's cost over a few hundred KB of code."""
    return crc32(payload, crc32(head)).to_bytes(4, "little")


class CompilationCache:
    """Compiled modules shared by every runtime configured with this cache.

    Args:
        directory: where to persist translated code across processes (created
            with mode 0700 if missing); None keeps the cache in memory only.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self._entries: dict[str, Any] = {}
        self._lock = threading.Lock()
        # The directory as a string (pathlib is imported only when asked
        # for ``directory``: start-up time).
        self._dir: str | None = None
        self.refused: str | None = None  # why the disk cache is off, if refused
        if directory is not None:
            d = os.path.expanduser(os.fspath(directory))
            os.makedirs(d, mode=0o700, exist_ok=True)  # the mode applies to d itself
            self._dir = d
            why = _untrusted_directory(d)
            if why is not None:
                self._refuse(why)

    @property
    def directory(self) -> Path | None:
        """The directory in use, or None (memory only, or refused)."""
        if self._dir is None:
            return None
        from pathlib import Path

        return Path(self._dir)

    def _refuse(self, why: str) -> None:
        """Switch the disk cache off and say why (once per cache)."""
        with self._lock:
            if self._dir is None:
                return
            where = self._dir
            self._dir = None
            self.refused = why
        warnings.warn(
            f"wasmzero: not using compilation cache {where}: {why}",
            UntrustedCacheWarning,
            stacklevel=3,
        )

    # -- keys --------------------------------------------------------------

    @staticmethod
    def key(data: bytes, features: int, engine: str) -> str:
        global _FINGERPRINT
        if _FINGERPRINT is None:
            _FINGERPRINT = _engine_fingerprint()
        h = _sha256()
        for part in (
            _FINGERPRINT.encode(),
            sys.implementation.name.encode(),
            repr(sys.version_info[:3]).encode(),
            str(int(features)).encode(),
            engine.encode(),
        ):
            h.update(len(part).to_bytes(4, "little") + part)
        h.update(_sha256(data).digest())
        return h.hexdigest()

    # -- in memory ---------------------------------------------------------

    def get(self, key: str) -> Any:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: str, value: Any) -> Any:
        """Store ``value`` unless another runtime stored one first; returns
        the entry to use."""
        with self._lock:
            return self._entries.setdefault(key, value)

    # -- on disk -----------------------------------------------------------

    def _path(self, key: str) -> str | None:
        d = self._dir
        return None if d is None else os.path.join(d, f"{key}.wzc")

    def load_code(self, key: str) -> dict[Any, Any] | None:
        """The translated functions stored for ``key``, or None when there is
        no valid file (a corrupt, truncated or foreign file is ignored)."""
        path = self._path(key)
        if path is None:
            return None
        blob = self._read_trusted(path)
        if blob is None:
            return None
        head = _MAGIC + bytes.fromhex(key)
        if len(blob) < len(head) + _DIGEST or not blob.startswith(head):
            return None
        digest = blob[len(head) : len(head) + _DIGEST]
        payload = blob[len(head) + _DIGEST :]
        # The checksum is verified before unmarshalling: marshal is only ever
        # given bytes this code wrote for this exact key.
        if _checksum(head, payload) != digest:
            return None
        try:
            codes = marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return None
        if not isinstance(codes, dict):
            return None
        return codes

    def add_code(self, key: str, codes: dict[Any, Any]) -> None:
        """Merge ``codes`` into the disk entry for ``key`` (what another
        process stored since this one read it is kept, unless both wrote at
        the same moment: then one's additions wait for a later run)."""
        if self._dir is None:
            return
        stored = self.load_code(key) or {}
        stored.update(codes)
        self.store_code(key, stored)

    def store_code(self, key: str, codes: dict[Any, Any]) -> None:
        """Write atomically (a temporary file renamed over the target), so
        concurrent processes never see a partial file."""
        path = self._path(key)
        if path is None:
            return
        head = _MAGIC + bytes.fromhex(key)
        payload = marshal.dumps(codes)
        blob = head + _checksum(head, payload) + payload
        try:
            # A new file (O_EXCL: never an existing one or a symlink's
            # target), mode 0600, owned by us -- as tempfile.mkstemp makes
            # it, without importing tempfile into every run.
            tmp = os.path.join(os.path.dirname(path), f".tmp-{os.urandom(8).hex()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o600)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(blob)
                os.replace(tmp, path)  # atomic; replaces a symlink, not its target
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            pass  # a cache that cannot be written is only a slower cache

    def _read_trusted(self, path: str) -> bytes | None:
        """The bytes of a cache file, or None: missing, unreadable, or refused
        (a symlink, not a regular file, another owner, writable by group or
        others: the disk cache is then switched off)."""
        try:
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
        except OSError as e:
            if e.errno == errno.ELOOP or (_NOFOLLOW == 0 and os.path.islink(path)):
                self._refuse(f"{os.path.basename(path)} is a symbolic link")
            return None
        try:
            why = _untrusted_entry(os.fstat(fd), "file")
            if why is not None:
                self._refuse(f"{os.path.basename(path)}: {why}")
                return None
            with os.fdopen(fd, "rb", closefd=False) as f:
                return f.read()
        except OSError:
            return None
        finally:
            os.close(fd)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def _untrusted_entry(st: os.stat_result, what: str) -> str | None:
    """Why a cache directory or file (``what``) is not to be trusted, or
    None: it must be of that type, owned by this user, and writable by no one
    else (as ssh's StrictModes and pip's cache checks; group write is fine
    when the group is this user's private group). Where the platform
    has no owners (no ``os.geteuid``) only the type is checked."""
    want = stat.S_ISDIR if what == "directory" else stat.S_ISREG
    if not want(st.st_mode):
        return f"not a {'directory' if what == 'directory' else 'regular file'}"
    if not hasattr(os, "geteuid"):  # pragma: no cover - not POSIX
        return None
    if st.st_uid != os.geteuid():
        return f"the {what} is owned by uid {st.st_uid}, not by this user ({os.geteuid()})"
    writers = _other_writers(st)
    if writers:
        return f"the {what} is writable by {writers} (mode {st.st_mode & 0o777:o})"
    return None


def _other_writers(st: os.stat_result) -> str:
    """Who besides this user can write ``st``'s file: "others", "group",
    both or "" (none). Group write is no one else's when the group is this
    user's private group (see ``_private_group``)."""
    writers = []
    if st.st_mode & 0o020 and not _private_group(st.st_gid):
        writers.append("group")
    if st.st_mode & 0o002:
        writers.append("others")
    return " and ".join(writers)


_PRIVATE_GROUPS: dict[int, bool] = {}


def _private_group(gid: int) -> bool:
    """Whether group ``gid`` has this user as its only member, the user
    private groups of Debian and Ubuntu (where the usual umask 002 leaves
    ``~/.cache`` group-writable): the primary group of no other user, no
    other listed member, and the primary group or sole member of this user.
    The test Debian's OpenSSH applies to group-writable files. Remembered per
    process (it reads the user database)."""
    known = _PRIVATE_GROUPS.get(gid)
    if known is not None:
        return known
    private = False
    try:
        import grp
        import pwd

        me = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(gid)
        primary = [u.pw_uid for u in pwd.getpwall() if u.pw_gid == gid]
        listed = list(group.gr_mem)
        private = (
            all(uid == me.pw_uid for uid in primary)
            and all(name == me.pw_name for name in listed)
            and bool(primary or listed)
        )
    except (ImportError, KeyError, OSError):
        private = False
    _PRIVATE_GROUPS[gid] = private
    return private


def _untrusted_directory(d: str) -> str | None:
    """Why directory ``d`` is not to be trusted, or None. Besides ``d``
    itself (see ``_untrusted_entry``), every directory above its real path
    must belong to this user or root and, unless sticky (``/tmp``: others
    cannot rename or remove what is ours in it), be writable by no one else:
    whoever can rename an entry of a parent can put a directory of theirs in
    the cache's place."""
    try:
        st = os.stat(d)
    except OSError as e:
        return f"cannot stat it ({e.strerror})"
    why = _untrusted_entry(st, "directory")
    if why is not None or not hasattr(os, "geteuid"):
        return why
    me = os.geteuid()
    parent = os.path.realpath(d)
    while True:
        up = os.path.dirname(parent)
        if up == parent:
            break
        parent = up
        try:
            pst = os.stat(parent)
        except OSError as e:
            return f"cannot stat {parent} ({e.strerror})"
        if pst.st_uid not in (0, me):
            return f"{parent} is owned by uid {pst.st_uid}"
        writers = _other_writers(pst)
        if writers and not pst.st_mode & stat.S_ISVTX:
            return f"{parent} is writable by {writers} and not sticky"
    return None
