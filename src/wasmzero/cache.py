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
"""

from __future__ import annotations

import marshal
import os
import sys
import threading
from binascii import crc32
from pathlib import Path

try:  # the built-in module: cheaper to import than OpenSSL's hashlib
    from _sha256 import sha256 as _sha256
except ImportError:  # pragma: no cover - other Python builds
    from hashlib import sha256 as _sha256
from typing import Any

from .version import __version__

__all__ = ["CompilationCache"]

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
        self.directory: Path | None = None
        if directory is not None:
            d = Path(directory).expanduser()
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.directory = d

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

    def _path(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / f"{key}.wzc"

    def load_code(self, key: str) -> dict[Any, Any] | None:
        """The translated functions stored for ``key``, or None when there is
        no valid file (a corrupt, truncated or foreign file is ignored)."""
        path = self._path(key)
        if path is None:
            return None
        try:
            blob = path.read_bytes()
        except OSError:
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
        if self.directory is None:
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
            import tempfile

            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(blob)
                os.replace(tmp, path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            pass  # a cache that cannot be written is only a slower cache
