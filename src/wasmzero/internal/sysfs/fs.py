"""The file descriptor table of one module instance."""

from __future__ import annotations

import os
from typing import Any

from ..wasip1 import consts as C
from .path import SandboxError
from .path import supported as path_supported

__all__ = ["FileEntry", "FSContext", "SandboxError"]

KIND_STDIN = 0
KIND_STDOUT = 1
KIND_FILE = 2
KIND_DIR = 3


class FileEntry:
    """One open guest file descriptor.

    ``host_fd`` is the host descriptor (-1 for stdio; for a directory, the
    one guest paths are resolved against, never a path string); ``stream``
    the stdio file object (or None); ``preopen`` the guest name of a
    pre-opened directory, else None.
    """

    __slots__ = (
        "kind",
        "host_fd",
        "stream",
        "preopen",
        "read_only",
        "fdflags",
        "rights_base",
        "rights_inheriting",
        "dir_listing",
        "filetype",
    )

    def __init__(
        self,
        kind: int,
        host_fd: int = -1,
        stream: Any = None,
        preopen: bytes | None = None,
        read_only: bool = False,
        fdflags: int = 0,
        rights_base: int = 0,
        rights_inheriting: int = 0,
        filetype: int = C.FILETYPE_UNKNOWN,
    ) -> None:
        self.kind = kind
        self.host_fd = host_fd
        self.stream = stream
        self.preopen = preopen
        self.read_only = read_only
        self.fdflags = fdflags
        self.rights_base = rights_base
        self.rights_inheriting = rights_inheriting
        self.dir_listing: list[tuple[bytes, int, int]] | None = None
        self.filetype = filetype

    def close(self) -> None:
        if self.host_fd >= 0:
            fd, self.host_fd = self.host_fd, -1
            try:
                os.close(fd)
            except OSError:
                pass


def _stdio_filetype(stream: Any) -> int:
    try:
        if stream is not None and stream.isatty():
            return C.FILETYPE_CHARACTER_DEVICE
    except Exception:  # noqa: BLE001 - any file-like object
        pass
    return C.FILETYPE_UNKNOWN


class FSContext:
    """fd -> :class:`FileEntry`, built from a SysContext: 0 stdin, 1 stdout,
    2 stderr, then one pre-opened directory per mount from fd 3."""

    def __init__(self, sys: Any) -> None:
        self.entries: dict[int, FileEntry] = {}
        for fd, (kind, stream) in enumerate(
            ((KIND_STDIN, sys.stdin), (KIND_STDOUT, sys.stdout), (KIND_STDOUT, sys.stderr))
        ):
            ft = _stdio_filetype(stream)
            rights = C.RIGHTS_STDIO if ft == C.FILETYPE_CHARACTER_DEVICE else C.RIGHTS_FILE
            self.entries[fd] = FileEntry(kind, stream=stream, rights_base=rights, filetype=ft)
        if sys.mounts and not path_supported():
            raise ValueError(
                "cannot mount directories: this platform cannot open files relative to a "
                "directory descriptor (dir_fd, O_NOFOLLOW), which the sandbox requires"
            )
        for mount in sys.mounts:
            host = os.path.realpath(mount.host_dir)
            guest = mount.guest_path or "/"
            try:
                hfd = os.open(host, os.O_RDONLY | os.O_DIRECTORY)
            except OSError as exc:
                raise ValueError(f"cannot mount {mount.host_dir!r}: {exc}") from None
            rights = C.RIGHTS_DIR
            if mount.read_only:
                rights &= ~(
                    C.RIGHT_PATH_CREATE_DIRECTORY
                    | C.RIGHT_PATH_CREATE_FILE
                    | C.RIGHT_PATH_LINK_TARGET
                    | C.RIGHT_PATH_RENAME_SOURCE
                    | C.RIGHT_PATH_RENAME_TARGET
                    | C.RIGHT_PATH_FILESTAT_SET_SIZE
                    | C.RIGHT_PATH_FILESTAT_SET_TIMES
                    | C.RIGHT_FD_FILESTAT_SET_TIMES
                    | C.RIGHT_PATH_SYMLINK
                    | C.RIGHT_PATH_REMOVE_DIRECTORY
                    | C.RIGHT_PATH_UNLINK_FILE
                )
            self.entries[len(self.entries)] = FileEntry(
                KIND_DIR,
                host_fd=hfd,
                preopen=guest.encode(),
                read_only=mount.read_only,
                rights_base=rights,
                rights_inheriting=C.RIGHTS_DIR_INHERITING,
                filetype=C.FILETYPE_DIRECTORY,
            )
        self.next_fd = len(self.entries)

    def add(self, entry: FileEntry) -> int:
        """Insert at the lowest free descriptor >= 3; the descriptor."""
        fd = 3
        entries = self.entries
        while fd in entries:
            fd += 1
        entries[fd] = entry
        return fd

    def close_all(self) -> None:
        for e in self.entries.values():
            e.close()
        self.entries.clear()


def get_fs(sys: Any) -> FSContext:
    fs = sys.fs
    if fs is None:
        fs = sys.fs = FSContext(sys)
    return fs


def _fs_del(self: FSContext) -> None:
    try:
        self.close_all()
    except Exception:  # noqa: BLE001 - interpreter shutdown
        pass


FSContext.__del__ = _fs_del  # type: ignore[attr-defined]
