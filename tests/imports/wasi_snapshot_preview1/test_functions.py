"""Each WASI function called directly from a WAT module (see _wat.py)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from wasmzero import ExitError, Mount, Runtime
from wasmzero.imports import wasi_snapshot_preview1 as wasi
from wasmzero.internal.wasip1 import consts as C
from wasmzero.internal.wasip1 import errno as E

from ._wat import guest

OOB = 65536 - 2  # a pointer whose 4- or 8-byte write runs off the memory


def test_module_exports_all_46_functions() -> None:
    with Runtime() as rt:
        mod = wasi.instantiate(rt)
        defs = mod.exported_functions
        assert len(defs) == 46 and set(defs) == set(wasi.FUNCTION_NAMES)
        assert defs["fd_write"].param_names == ("fd", "iovs", "iovs_len", "result.nwritten")
        assert defs["proc_exit"].result_names == ()
    assert wasi.MODULE_NAME == "wasi_snapshot_preview1"
    assert wasi.LEGACY_MODULE_NAME == "wasi_unstable"


def test_legacy_module_name() -> None:
    with guest(legacy=True, args=("x",)) as g:
        assert g.call("args_sizes_get", 0, 4) == 0 and g.u32(0) == 1


# -- args, environ -----------------------------------------------------------------


def test_args() -> None:
    with guest(args=("prog", "a", "")) as g:
        assert g.call("args_sizes_get", 0, 4) == 0
        assert (g.u32(0), g.u32(4)) == (3, 5 + 2 + 1)
        assert g.call("args_get", 100, 200) == 0
        assert [g.u32(100 + 4 * i) for i in range(3)] == [200, 205, 207]
        assert g.read(200, 8) == b"prog\0a\0\0"
        assert g.call("args_get", OOB, 200) == E.EFAULT
        assert g.call("args_get", 100, OOB) == E.EFAULT
        assert g.call("args_sizes_get", OOB, 4) == E.EFAULT


def test_environ() -> None:
    with guest(env={"A": "1", "BB": "xy"}) as g:
        assert g.call("environ_sizes_get", 0, 4) == 0
        assert (g.u32(0), g.u32(4)) == (2, 4 + 6)
        assert g.call("environ_get", 100, 200) == 0
        assert [g.u32(100), g.u32(104)] == [200, 204]
        assert g.read(200, 10) == b"A=1\0BB=xy\0"
        assert g.call("environ_get", 100, 65530) == E.EFAULT
    with guest() as g:
        assert g.call("environ_sizes_get", 0, 4) == 0 and g.u32(0) == 0 and g.u32(4) == 0


# -- clocks, random, process -------------------------------------------------------


def test_clocks() -> None:
    with guest(walltime=lambda: 1_700_000_000_000_000_000, nanotime=lambda: 42) as g:
        assert g.call("clock_time_get", C.CLOCK_REALTIME, 1, 8) == 0
        assert g.u64(8) == 1_700_000_000_000_000_000
        assert g.call("clock_time_get", C.CLOCK_MONOTONIC, 1, 8) == 0
        assert g.u64(8) == 42
        for clock in (C.CLOCK_PROCESS_CPUTIME_ID, C.CLOCK_THREAD_CPUTIME_ID):
            assert g.call("clock_time_get", clock, 1, 8) == 0 and g.u64(8) > 0
        assert g.call("clock_time_get", 9, 1, 8) == E.EINVAL
        assert g.call("clock_time_get", 0, 1, OOB) == E.EFAULT
        for clock in range(4):
            assert g.call("clock_res_get", clock, 16) == 0 and 0 < g.u64(16) <= 1000
        assert g.call("clock_res_get", 4, 16) == E.EINVAL
        assert g.call("clock_res_get", 0, OOB) == E.EFAULT


def test_random_get() -> None:
    with guest(random=lambda n: bytes(range(n))) as g:
        assert g.call("random_get", 10, 5) == 0 and g.read(10, 5) == bytes(range(5))
        assert g.call("random_get", 65530, 10) == E.EFAULT
        assert g.call("random_get", 0, 0) == 0


def test_proc_exit_closes_the_module() -> None:
    with guest() as g:
        with pytest.raises(ExitError) as e:
            g.call("proc_exit", 5)
        assert e.value.exit_code == 5 and g.module.is_closed


def test_proc_raise_and_sched_yield() -> None:
    with guest() as g:
        assert g.call("sched_yield") == 0
        assert g.call("proc_raise", 9) == E.ENOSYS


# -- stdio -------------------------------------------------------------------------


def test_fd_write_stdout_stderr() -> None:
    with guest() as g:
        g.write(100, b"hello world")
        g.iovec(0, (100, 5), (105, 6))
        assert g.call("fd_write", 1, 0, 2, 50) == 0 and g.u32(50) == 11
        assert g.call("fd_write", 2, 0, 1, 50) == 0 and g.u32(50) == 5
        assert g.stdout.getvalue() == b"hello world" and g.stderr.getvalue() == b"hello"
        assert g.call("fd_write", 1, 0, 2, OOB) == E.EFAULT
        g.iovec(0, (65530, 100))
        assert g.call("fd_write", 1, 0, 1, 50) == E.EFAULT
        assert g.call("fd_write", 1, OOB, 1, 50) == E.EFAULT
        assert g.call("fd_write", 99, 0, 1, 50) == E.EBADF
        assert g.call("fd_write", 0, 0, 0, 50) in (E.EBADF, 0)


def test_fd_write_discarded_when_no_stdout() -> None:
    with guest(stdout=None) as g:
        g.iovec(0, (100, 3))
        assert g.call("fd_write", 1, 0, 1, 50) == 0 and g.u32(50) == 3


def test_fd_read_stdin() -> None:
    with guest(stdin=b"abcdef") as g:
        g.iovec(0, (100, 2), (200, 10))
        assert g.call("fd_read", 0, 0, 2, 50) == 0 and g.u32(50) == 6
        assert g.read(100, 2) == b"ab" and g.read(200, 4) == b"cdef"
        assert g.call("fd_read", 0, 0, 2, 50) == 0 and g.u32(50) == 0
        assert g.call("fd_read", 0, 0, 2, OOB) == E.EFAULT
        assert g.call("fd_read", 42, 0, 2, 50) == E.EBADF


def test_stdio_fdstat_and_seek() -> None:
    with guest() as g:
        for fd in (0, 1, 2):
            assert g.call("fd_fdstat_get", fd, 0) == 0
            assert g.read(0, 1)[0] in (C.FILETYPE_UNKNOWN, C.FILETYPE_CHARACTER_DEVICE)
            assert g.call("fd_seek", fd, 0, 0, 0) == E.ESPIPE
            assert g.call("fd_tell", fd, 0) == E.ESPIPE
            assert g.call("fd_prestat_get", fd, 0) == E.EBADF
            assert g.call("fd_filestat_get", fd, 0) == 0
        assert g.call("fd_fdstat_get", 9, 0) == E.EBADF
        assert g.call("fd_fdstat_get", 1, OOB) == E.EFAULT
        assert g.call("fd_sync", 1) == 0 and g.call("fd_datasync", 2) == 0
        assert g.call("fd_fdstat_set_flags", 1, C.FDFLAGS_APPEND) == 0
        assert g.call("fd_fdstat_get", 1, 0) == 0 and g.read(2, 2) == b"\x01\x00"


# -- pre-opens and files -----------------------------------------------------------


def test_prestat(tmp_path: Path) -> None:
    mounts = (Mount(str(tmp_path), "/"), Mount(str(tmp_path), "/data", read_only=True))
    with guest(mounts=mounts) as g:
        assert g.call("fd_prestat_get", 3, 0) == 0 and g.read(0, 8) == struct.pack("<BxxxI", 0, 1)
        assert g.call("fd_prestat_dir_name", 3, 100, 1) == 0 and g.read(100, 1) == b"/"
        assert g.call("fd_prestat_get", 4, 0) == 0 and g.u32(4) == 5
        assert g.call("fd_prestat_dir_name", 4, 100, 2) == E.ENAMETOOLONG
        assert g.call("fd_prestat_dir_name", 4, 100, 5) == 0 and g.read(100, 5) == b"/data"
        assert g.call("fd_prestat_dir_name", 4, 65534, 5) == E.EFAULT
        assert g.call("fd_prestat_get", 5, 0) == E.EBADF
        assert g.call("fd_prestat_get", 3, OOB) == E.EFAULT
        assert g.call("fd_fdstat_get", 3, 0) == 0 and g.read(0, 1)[0] == C.FILETYPE_DIRECTORY


def test_file_read_write_seek(tmp_path: Path) -> None:
    with guest(mounts=(Mount(str(tmp_path), "/"),)) as g:
        err, fd = g.open(3, "f.txt", C.OFLAGS_CREAT | C.OFLAGS_TRUNC)
        assert err == 0 and fd == 4
        g.write(100, b"0123456789")
        g.iovec(0, (100, 10))
        assert g.call("fd_write", fd, 0, 1, 50) == 0 and g.u32(50) == 10
        assert (tmp_path / "f.txt").read_bytes() == b"0123456789"
        assert g.call("fd_tell", fd, 60) == 0 and g.u64(60) == 10
        assert g.call("fd_seek", fd, -4 & (2**64 - 1), C.WHENCE_END, 60) == 0
        assert g.u64(60) == 6
        g.iovec(0, (300, 10))
        assert g.call("fd_read", fd, 0, 1, 50) == 0 and g.u32(50) == 4
        assert g.read(300, 4) == b"6789"
        assert g.call("fd_seek", fd, 2, C.WHENCE_SET, 60) == 0
        assert g.call("fd_seek", fd, 1, C.WHENCE_CUR, 60) == 0 and g.u64(60) == 3
        assert g.call("fd_seek", fd, 0, 3, 60) == E.EINVAL
        assert g.call("fd_seek", fd, -100 & (2**64 - 1), C.WHENCE_SET, 60) == E.EINVAL
        assert g.call("fd_seek", fd, 0, 0, OOB) == E.EFAULT
        # pread / pwrite don't move the offset
        g.write(400, b"AB")
        g.iovec(0, (400, 2))
        assert g.call("fd_pwrite", fd, 0, 1, 1, 50) == 0 and g.u32(50) == 2
        g.iovec(0, (500, 4))
        assert g.call("fd_pread", fd, 0, 1, 0, 50) == 0 and g.read(500, 4) == b"0AB3"
        assert g.call("fd_tell", fd, 60) == 0 and g.u64(60) == 3
        assert g.call("fd_pread", 3, 0, 1, 0, 50) == E.EISDIR
        assert g.call("fd_pread", 1, 0, 1, 0, 50) == E.ESPIPE
        assert g.call("fd_pwrite", 0, 0, 1, 0, 50) == E.ESPIPE
        # stat, size, times, advise, allocate, sync
        assert g.call("fd_filestat_get", fd, 600) == 0
        assert g.read(616, 1)[0] == C.FILETYPE_REGULAR_FILE and g.u64(600 + 32) == 10
        assert g.call("fd_filestat_set_size", fd, 4) == 0
        assert os.path.getsize(tmp_path / "f.txt") == 4
        assert g.call("fd_allocate", fd, 0, 20) == 0
        assert os.path.getsize(tmp_path / "f.txt") == 20
        assert g.call("fd_advise", fd, 0, 0, 1) == 0
        assert g.call("fd_advise", fd, 0, 0, 9) == E.EINVAL
        assert g.call("fd_sync", fd) == 0 and g.call("fd_datasync", fd) == 0
        t = 1_600_000_000_000_000_000
        flags = C.FSTFLAGS_ATIM | C.FSTFLAGS_MTIM
        assert g.call("fd_filestat_set_times", fd, t, t + 1000, flags) == 0
        assert os.stat(tmp_path / "f.txt").st_mtime_ns == t + 1000
        assert g.call("fd_filestat_set_times", fd, 0, 0, C.FSTFLAGS_ATIM | C.FSTFLAGS_ATIM_NOW) == (
            E.EINVAL
        )
        # fdstat and rights
        assert g.call("fd_fdstat_get", fd, 0) == 0 and g.read(0, 1)[0] == C.FILETYPE_REGULAR_FILE
        assert g.call("fd_fdstat_set_rights", fd, C.RIGHT_FD_READ, 0) == 0
        assert g.call("fd_fdstat_get", fd, 0) == 0 and g.u64(8) == C.RIGHT_FD_READ
        assert g.call("fd_fdstat_set_rights", fd, C.RIGHTS_ALL, 0) == E.ENOTCAPABLE
        assert g.call("fd_close", fd) == 0
        assert g.call("fd_close", fd) == E.EBADF
        assert g.call("fd_read", fd, 0, 1, 50) == E.EBADF


def test_append_flag_and_read_only_fd(tmp_path: Path) -> None:
    (tmp_path / "log").write_bytes(b"abc")
    with guest(mounts=(Mount(str(tmp_path), "/"),)) as g:
        err, fd = g.open(3, "log", rights=C.RIGHT_FD_WRITE, fdflags=C.FDFLAGS_APPEND)
        assert err == 0
        g.write(100, b"de")
        g.iovec(0, (100, 2))
        assert g.call("fd_write", fd, 0, 1, 50) == 0
        assert (tmp_path / "log").read_bytes() == b"abcde"
        err, rfd = g.open(3, "log", rights=C.RIGHT_FD_READ)
        assert err == 0 and g.call("fd_write", rfd, 0, 1, 50) == E.EBADF
        assert g.call("fd_fdstat_set_flags", rfd, C.FDFLAGS_APPEND) == 0
        assert g.call("fd_fdstat_get", rfd, 0) == 0 and g.read(2, 1) == b"\x01"


def test_fd_renumber(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"A")
    (tmp_path / "b").write_bytes(b"B")
    with guest(mounts=(Mount(str(tmp_path), "/"),)) as g:
        _, fa = g.open(3, "a")
        _, fb = g.open(3, "b")
        assert g.call("fd_renumber", fa, fb) == 0
        g.iovec(0, (100, 1))
        assert g.call("fd_read", fb, 0, 1, 50) == 0 and g.read(100, 1) == b"A"
        assert g.call("fd_read", fa, 0, 1, 50) == E.EBADF
        assert g.call("fd_renumber", fa, fb) == E.EBADF
        assert g.call("fd_renumber", fb, 77) == E.EBADF
        # Onto a pre-open too (wasi-testsuite's overwrite_preopen): it is closed.
        assert g.call("fd_renumber", fb, 3) == 0
        assert g.call("fd_prestat_get", 3, 200) == E.EBADF
        assert g.call("fd_read", 3, 0, 1, 50) == 0 and g.read(100, 1) == b"A"


def test_fd_readdir(tmp_path: Path) -> None:
    for name in ("b", "a", "ccc"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "d").mkdir()
    with guest(mounts=(Mount(str(tmp_path), "/"),)) as g:
        assert g.call("fd_readdir", 3, 1000, 4096, 0, 50) == 0
        used = g.u32(50)
        data = g.read(1000, used)
        names, pos = [], 0
        while pos < used:
            nxt, _ino, namlen, ftype = C.DIRENT.unpack_from(data, pos)
            names.append((data[pos + 24 : pos + 24 + namlen].decode(), ftype, nxt))
            pos += 24 + namlen
        assert [n for n, _, _ in names] == [".", "..", "a", "b", "ccc", "d"]
        assert dict((n, t) for n, t, _ in names)["d"] == C.FILETYPE_DIRECTORY
        assert dict((n, t) for n, t, _ in names)["a"] == C.FILETYPE_REGULAR_FILE
        # Resume from a cookie; a small buffer is filled completely.
        assert g.call("fd_readdir", 3, 1000, 4096, 4, 50) == 0
        assert g.read(1000 + 24, 3) == b"ccc"
        assert g.call("fd_readdir", 3, 1000, 10, 0, 50) == 0 and g.u32(50) == 10
        assert g.call("fd_readdir", 3, 1000, 4096, 6, 50) == 0 and g.u32(50) == 0
        assert g.call("fd_readdir", 3, 65000, 4096, 0, 50) == E.EFAULT
        assert g.call("fd_readdir", 1, 1000, 4096, 0, 50) == E.ENOTDIR
        assert g.call("fd_readdir", 20, 1000, 4096, 0, 50) == E.EBADF


# -- paths -------------------------------------------------------------------------


def test_path_open_errors(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"x")
    (tmp_path / "dir").mkdir()
    with guest(mounts=(Mount(str(tmp_path), "/"),)) as g:
        assert g.open(3, "missing")[0] == E.ENOENT
        assert g.open(3, "file", C.OFLAGS_CREAT | C.OFLAGS_EXCL)[0] == E.EEXIST
        assert g.open(3, "file", C.OFLAGS_DIRECTORY)[0] == E.ENOTDIR
        assert g.open(3, "file/x")[0] == E.ENOTDIR
        assert g.open(3, "dir", rights=C.RIGHT_FD_WRITE)[0] == E.EISDIR
        assert g.open(1, "file")[0] == E.ENOTDIR
        assert g.open(40, "file")[0] == E.EBADF
        assert g.open(3, "a" * 300)[0] == E.ENAMETOOLONG
        p, n = g.path(2000, "file")
        assert g.call("path_open", 3, 1, p, n, 0, 0, 0, 0, OOB) == E.EFAULT
        assert g.call("path_open", 3, 1, 65530, 100, 0, 0, 0, 0, 0) == E.EFAULT
        err, dfd = g.open(3, "dir", C.OFLAGS_DIRECTORY, rights=C.RIGHTS_DIR)
        assert err == 0 and g.call("fd_fdstat_get", dfd, 0) == 0
        assert g.read(0, 1)[0] == C.FILETYPE_DIRECTORY
        # A directory fd is a base for further paths.
        err, _ = g.open(dfd, "new", C.OFLAGS_CREAT)
        assert err == 0 and (tmp_path / "dir" / "new").exists()


def test_path_escapes_are_refused(tmp_path: Path) -> None:
    box = tmp_path / "box"
    (box / "sub").mkdir(parents=True)
    (tmp_path / "secret").write_bytes(b"s")
    os.symlink("../secret", box / "out")
    os.symlink(str(tmp_path / "secret"), box / "abs")
    os.symlink("sub/../../secret", box / "sneaky")
    os.symlink("loop", box / "loop")
    os.symlink("sub", box / "in")
    with guest(mounts=(Mount(str(box), "/"),)) as g:
        assert g.open(3, "../secret")[0] == E.EPERM
        assert g.open(3, "sub/../../secret")[0] == E.EPERM
        assert g.open(3, "/secret")[0] == E.EPERM
        assert g.open(3, "out")[0] == E.EPERM
        assert g.open(3, "abs")[0] == E.EPERM
        assert g.open(3, "sneaky")[0] == E.EPERM
        assert g.open(3, "loop")[0] == E.ELOOP
        # Not following the last symlink: opening the link itself is ELOOP.
        assert g.open(3, "out", dirflags=0)[0] == E.ELOOP
        assert g.open(3, "sub/../sub", rights=C.RIGHT_FD_READ)[0] == 0
        assert g.open(3, "in", C.OFLAGS_DIRECTORY, rights=C.RIGHTS_DIR)[0] == 0
        err, sub = g.open(3, "sub", C.OFLAGS_DIRECTORY, rights=C.RIGHTS_DIR)
        assert err == 0 and g.open(sub, "..")[0] == E.EPERM
        p, n = g.path(100, "out")
        assert g.call("path_filestat_get", 3, 1, p, n, 200) == E.EPERM
        assert g.call("path_filestat_get", 3, 0, p, n, 200) == 0
        assert g.read(216, 1)[0] == C.FILETYPE_SYMBOLIC_LINK
        p, n = g.path(100, "../x")
        assert g.call("path_create_directory", 3, p, n) == E.EPERM
        assert g.call("path_unlink_file", 3, p, n) == E.EPERM
        p, n = g.path(100, "/etc/passwd")
        q, m = g.path(300, "link")
        assert g.call("path_symlink", p, n, 3, q, m) == E.EPERM
        assert not (tmp_path / "x").exists()


def test_directories_and_links(tmp_path: Path) -> None:
    with guest(mounts=(Mount(str(tmp_path), "/"),)) as g:
        p, n = g.path(100, "d")
        assert g.call("path_create_directory", 3, p, n) == 0 and (tmp_path / "d").is_dir()
        assert g.call("path_create_directory", 3, p, n) == E.EEXIST
        (tmp_path / "d" / "f").write_bytes(b"12345")
        assert g.call("path_remove_directory", 3, p, n) == E.ENOTEMPTY
        assert g.call("path_unlink_file", 3, p, n) == E.EISDIR
        # filestat
        p, n = g.path(100, "d/f")
        assert g.call("path_filestat_get", 3, 1, p, n, 200) == 0
        assert g.read(216, 1)[0] == C.FILETYPE_REGULAR_FILE and g.u64(232) == 5
        assert g.call("path_filestat_get", 3, 1, p, n, OOB) == E.EFAULT
        t = 1_500_000_000_000_000_000
        assert g.call("path_filestat_set_times", 3, 1, p, n, t, t, 5) == 0
        assert os.stat(tmp_path / "d" / "f").st_mtime_ns == t
        assert g.call("path_filestat_set_times", 3, 1, p, n, t, t, 16) == E.EINVAL
        # symlink + readlink
        q, m = g.path(300, "lnk")
        assert g.call("path_symlink", p, n, 3, q, m) == 0
        assert os.readlink(tmp_path / "lnk") == "d/f"
        assert g.call("path_readlink", 3, q, m, 400, 64, 50) == 0
        assert g.read(400, g.u32(50)) == b"d/f"
        assert g.call("path_readlink", 3, q, m, 400, 2, 50) == 0 and g.u32(50) == 2
        assert g.call("path_readlink", 3, p, n, 400, 64, 50) == E.EINVAL
        assert g.call("path_symlink", p, n, 3, q, m) == E.EEXIST
        # link
        r, k = g.path(500, "hard")
        assert g.call("path_link", 3, 0, p, n, 3, r, k) == 0
        assert os.stat(tmp_path / "hard").st_nlink == 2
        assert g.call("path_link", 3, 0, p, n, 3, r, k) == E.EEXIST
        # rename
        s, j = g.path(600, "renamed")
        assert g.call("path_rename", 3, r, k, 3, s, j) == 0
        assert (tmp_path / "renamed").read_bytes() == b"12345"
        assert g.call("path_rename", 3, r, k, 3, s, j) == E.ENOENT
        # unlink and rmdir
        assert g.call("path_unlink_file", 3, s, j) == 0
        assert g.call("path_unlink_file", 3, q, m) == 0 and (tmp_path / "d" / "f").exists()
        assert g.call("path_unlink_file", 3, p, n) == 0
        d, dn = g.path(100, "d")
        assert g.call("path_remove_directory", 3, d, dn) == 0
        assert g.call("path_remove_directory", 3, d, dn) == E.ENOENT
        assert os.listdir(tmp_path) == []
        assert g.call("path_create_directory", 3, 65530, 100) == E.EFAULT


def test_read_only_mount(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"data")
    (tmp_path / "d").mkdir()
    with guest(mounts=(Mount(str(tmp_path), "/", read_only=True),)) as g:
        err, fd = g.open(3, "f", rights=C.RIGHT_FD_READ)
        assert err == 0
        g.iovec(0, (100, 4))
        assert g.call("fd_read", fd, 0, 1, 50) == 0 and g.read(100, 4) == b"data"
        assert g.call("fd_write", fd, 0, 1, 50) == E.EBADF
        assert g.open(3, "f", rights=C.RIGHT_FD_WRITE)[0] == E.EROFS
        assert g.open(3, "f", C.OFLAGS_TRUNC)[0] == E.EROFS
        assert g.open(3, "new", C.OFLAGS_CREAT)[0] == E.EROFS
        p, n = g.path(100, "f")
        q, m = g.path(200, "g")
        d, dn = g.path(300, "d")
        assert g.call("path_create_directory", 3, q, m) == E.EROFS
        assert g.call("path_unlink_file", 3, p, n) == E.EROFS
        assert g.call("path_remove_directory", 3, d, dn) == E.EROFS
        assert g.call("path_rename", 3, p, n, 3, q, m) == E.EROFS
        assert g.call("path_symlink", p, n, 3, q, m) == E.EROFS
        assert g.call("path_link", 3, 0, p, n, 3, q, m) == E.EROFS
        assert g.call("path_filestat_set_times", 3, 1, p, n, 0, 0, 10) == E.EROFS
        assert g.call("fd_filestat_set_times", fd, 0, 0, 10) == E.EROFS
        assert g.call("fd_filestat_set_size", fd, 0) in (E.EBADF, E.EINVAL, E.EROFS)
    assert sorted(os.listdir(tmp_path)) == ["d", "f"]
    assert (tmp_path / "f").read_bytes() == b"data"


# -- poll, sockets -----------------------------------------------------------------


def _clock_sub(userdata: int, timeout: int, flags: int = 0, clock: int = 1) -> bytes:
    return struct.pack("<QB7xIxxxxQQH6x", userdata, 0, clock, timeout, 0, flags)


def _fd_sub(userdata: int, kind: int, fd: int) -> bytes:
    return struct.pack("<QB7xI", userdata, kind, fd).ljust(48, b"\0")


def test_poll_oneoff_clock_sleeps() -> None:
    slept: list[int] = []
    with guest(nanosleep=slept.append, nanotime=lambda: 1000) as g:
        g.write(0, _clock_sub(7, 5_000))
        assert g.call("poll_oneoff", 0, 1000, 1, 50) == 0 and g.u32(50) == 1
        ud, err, typ, _nbytes, _flags = C.EVENT.unpack_from(g.read(1000, 32))
        assert (ud, err, typ) == (7, 0, C.EVENTTYPE_CLOCK) and slept == [5_000]
        # absolute: deadline 3000 at now=1000 -> sleep 2000
        g.write(0, _clock_sub(8, 3000, C.SUBSCRIPTION_CLOCK_ABSTIME))
        assert g.call("poll_oneoff", 0, 1000, 1, 50) == 0 and slept == [5_000, 2_000]
        assert g.call("poll_oneoff", 0, 1000, 0, 50) == E.EINVAL
        assert g.call("poll_oneoff", 65500, 1000, 1, 50) == E.EFAULT
        assert g.call("poll_oneoff", 0, 1000, 1, OOB) == E.EFAULT


def test_poll_oneoff_fds_are_ready() -> None:
    slept: list[int] = []
    with guest(nanosleep=slept.append) as g:
        g.write(0, _clock_sub(1, 10**9) + _fd_sub(2, 1, 0) + _fd_sub(3, 2, 1) + _fd_sub(4, 1, 99))
        assert g.call("poll_oneoff", 0, 1000, 4, 50) == 0
        n = g.u32(50)
        events = [C.EVENT.unpack_from(g.read(1000 + 32 * i, 32)) for i in range(n)]
        assert {(e[0], e[1], e[2]) for e in events} == {
            (2, 0, C.EVENTTYPE_FD_READ),
            (3, 0, C.EVENTTYPE_FD_WRITE),
            (4, E.EBADF, C.EVENTTYPE_FD_READ),
        }
        assert slept == []


def test_sockets_are_not_available() -> None:
    with guest() as g:
        assert g.call("sock_accept", 1, 0, 0) == E.ENOTSOCK
        assert g.call("sock_accept", 30, 0, 0) == E.EBADF
        assert g.call("sock_recv", 0, 0, 0, 0, 0, 4) == E.ENOTSOCK
        assert g.call("sock_send", 1, 0, 0, 0, 0) == E.ENOTSOCK
        assert g.call("sock_shutdown", 1, 3) == E.ENOTSOCK
        assert g.call("sock_shutdown", 30, 3) == E.EBADF
