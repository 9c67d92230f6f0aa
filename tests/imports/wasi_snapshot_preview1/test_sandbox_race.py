"""The sandbox holds under races: while a guest opens, reads, writes,
stats, renames, links and creates through ``d/...`` in a loop, another
thread swaps ``d`` between a directory inside the mount and a symbolic link
to a directory outside it. Resolving through directory descriptors
(sysfs/path.py) never follows the swapped-in link: every operation either
works inside the mount or fails; none reaches the outside directory.

(With the former string-path resolution, the read variant read the outside
file in about a quarter of its reads.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from wasmzero import Mount
from wasmzero.internal.wasip1 import consts as C

from ._wat import Guest, guest

TRIES = 4000
SECRET = b"OUTSIDE-SECRET"


_SWAPPER = """
import os, sys
mount, outside = sys.argv[1], sys.argv[2]
d, real, link = (os.path.join(mount, n) for n in ("d", "d.real", "d.link"))
os.symlink(outside, link)
print("ready", flush=True)
while True:
    try:
        os.rename(d, real)
        os.rename(link, d)
        os.rename(d, link)
        os.rename(real, d)
    except OSError:
        pass
"""


@contextmanager
def _swapping(mount: Path, outside: Path) -> Iterator[None]:
    """Another process (a writer that shares the mount, running truly in
    parallel) swaps ``mount/d`` between a directory and a link to
    ``outside`` as fast as it can, until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _SWAPPER, str(mount), str(outside)],
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        yield
    finally:
        proc.kill()
        proc.wait()
        for name in ("d", "d.link"):
            if (mount / name).is_symlink():
                (mount / name).unlink()
        if (mount / "d.real").exists():
            os.rename(mount / "d.real", mount / "d")


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    mount, outside = tmp_path / "mount", tmp_path / "outside"
    (mount / "d").mkdir(parents=True)
    outside.mkdir()
    (mount / "d" / "secret").write_bytes(b"inside")
    (outside / "secret").write_bytes(SECRET)
    (outside / "victim").write_bytes(SECRET)
    return mount, outside


def _read(g: Guest) -> None:
    err, fd = g.open(3, "d/secret", rights=C.RIGHT_FD_READ)
    if err == 0:
        g.iovec(100, (200, 64))
        if g.call("fd_read", fd, 100, 1, 96) == 0:
            assert SECRET not in g.read(200, g.u32(96)), "read outside the mount"
        g.call("fd_close", fd)


def _write(g: Guest) -> None:
    err, fd = g.open(3, "d/created", C.OFLAGS_CREAT, rights=C.RIGHT_FD_WRITE)
    if err == 0:
        g.call("fd_close", fd)
    err, fd = g.open(3, "d/victim", C.OFLAGS_TRUNC, rights=C.RIGHT_FD_WRITE)
    if err == 0:
        g.call("fd_close", fd)


def _rename(g: Guest) -> None:
    a, n = g.path(2000, "d/secret")
    b, m = g.path(2100, "moved")
    if g.call("path_rename", 3, a, n, 3, b, m) == 0:
        g.call("path_rename", 3, b, m, 3, a, n)


def _stat(g: Guest) -> None:
    p, n = g.path(2000, "d/secret")
    if g.call("path_filestat_get", 3, 1, p, n, 300) == 0:
        assert g.u64(300 + 32) != len(SECRET), "stat outside the mount"


def _mutate(g: Guest) -> None:
    p, n = g.path(2000, "d/newdir")
    g.call("path_create_directory", 3, p, n)
    g.call("path_remove_directory", 3, p, n)
    p, n = g.path(2000, "d/victim")
    g.call("path_unlink_file", 3, p, n)
    t, tn = g.path(2200, "secret")
    p, n = g.path(2000, "d/link")
    if g.call("path_symlink", t, tn, 3, p, n) == 0:
        g.call("path_unlink_file", 3, p, n)
    a, an = g.path(2000, "d/secret")
    b, bn = g.path(2100, "hardlink")
    if g.call("path_link", 3, 0, a, an, 3, b, bn) == 0:
        g.call("path_unlink_file", 3, b, bn)


@pytest.mark.parametrize(
    "operation",
    [_read, _write, _rename, _stat, _mutate],
    ids=["read", "write", "rename", "stat", "mkdir-unlink-symlink-link"],
)
def test_no_escape_while_a_directory_is_swapped_for_a_link(
    tmp_path: Path, operation: Callable[[Guest], None]
) -> None:
    mount, outside = _setup(tmp_path)
    before = {p.name: p.read_bytes() for p in outside.iterdir()}
    with guest(mounts=(Mount(str(mount), "/"),)) as g, _swapping(mount, outside):
        for _ in range(TRIES):
            operation(g)
    # Nothing outside was created, removed, renamed or changed.
    assert {p.name: p.read_bytes() for p in outside.iterdir()} == before


def test_swap_races_actually_happen(tmp_path: Path) -> None:
    """The swapping thread does expose the link: a guest that opens d/secret
    sees it fail some of the time (it is a real race), never succeed
    outside."""
    mount, outside = _setup(tmp_path)
    failures = 0
    with guest(mounts=(Mount(str(mount), "/"),)) as g, _swapping(mount, outside):
        for _ in range(TRIES):
            err, fd = g.open(3, "d/secret", rights=C.RIGHT_FD_READ)
            if err:
                failures += 1
            else:
                g.call("fd_close", fd)
    assert failures > 0
