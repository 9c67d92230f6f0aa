"""The C programs in testdata/ (built by testdata/build.sh) run under WASI."""

from __future__ import annotations

import os
from pathlib import Path

from wasmzero import Mount

from ._run import run


def test_hello_args_env_stdin_stderr() -> None:
    r = run(
        "hello",
        stdin=b"some input\n",
        args=("hello", "a b", "x"),
        env={"GREETING": "hi", "OTHER": "1"},
    )
    assert r.exit_code == 0
    assert r.stdout.decode().splitlines() == [
        "hello world",
        "argc=3",
        "argv[0]=hello",
        "argv[1]=a b",
        "argv[2]=x",
        "env GREETING=hi",
        "env OTHER=1",
        "GREETING=hi",
        "stdin=some input",
    ]
    assert r.stderr == b"to stderr\n"


def test_hello_without_stdin_or_env() -> None:
    r = run("hello", args=("hello",))
    assert r.exit_code == 0
    assert b"GREETING=(unset)\n" in r.stdout and b"stdin=EOF\n" in r.stdout


def test_exit_code() -> None:
    r = run("hello", args=("hello", "7"))
    assert r.exit_code == 7
    assert r.stdout.startswith(b"hello world\n")  # flushed before exit
    assert run("hello", args=("hello", "0")).exit_code == 0


def test_file_io_in_a_mounted_dir(tmp_path: Path) -> None:
    r = run("files", mounts=(Mount(str(tmp_path), "/sandbox"),))
    assert r.stdout.decode().splitlines() == [
        "read after seek: file",
        "pread: hello",
        "size after truncate: 5 regular=1",
        "after append: hello world",
        "renamed size: 12",
        "readdir: . .. b.txt c.txt",
        "ok",
    ], r.stdout
    assert r.exit_code == 0
    assert sorted(os.listdir(tmp_path)) == []


def _sandbox_tree(tmp_path: Path) -> Path:
    box = tmp_path / "box"
    (box / "inner").mkdir(parents=True)
    (box / "inside.txt").write_text("inside")
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink("../secret.txt", box / "link_out")
    os.symlink(str(tmp_path / "secret.txt"), box / "link_abs")
    os.symlink("..", box / "dirlink_out")
    return box


def test_sandbox_escapes_fail(tmp_path: Path) -> None:
    box = _sandbox_tree(tmp_path)
    r = run("sandbox", mounts=(Mount(str(box), "/sandbox"),))
    assert r.exit_code == 0
    assert r.stdout.decode().splitlines() == [
        "dotdot: refused",
        "dotdot-deep: refused",
        "absolute: refused",
        "symlink-out: refused",
        "symlink-abs: refused",
        "symlink-dir: refused",
        "inside: opened",  # a control: inner/../inside.txt stays inside
        "stat-symlink-out: refused",
        "create-outside: refused",
        "mkdir-outside: refused",
        "symlink-create: refused",
    ]
    assert not (tmp_path / "created.txt").exists()
    assert not (tmp_path / "newdir").exists()


def test_sandbox_with_root_mount(tmp_path: Path) -> None:
    # Mounted at "/", "/secret.txt" names a file inside the mount (absent).
    box = _sandbox_tree(tmp_path)
    r = run("sandbox", mounts=(Mount(str(box), "/"), Mount(str(box), "/sandbox")))
    assert b"ESCAPED" not in r.stdout and b"inside: opened" in r.stdout
    assert r.exit_code == 0


def test_read_only_mount_refuses_writes(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("read only data\n")
    r = run("readonly", mounts=(Mount(str(tmp_path), "/ro", read_only=True),))
    assert r.exit_code == 0
    assert r.stdout.decode().splitlines() == [
        "read: read only data",
        "open-write: refused",
        "open-trunc: refused",
        "create: refused",
        "mkdir: refused",
        "unlink: refused",
        "rename: refused",
        "symlink: refused",
        "still-there: allowed",
    ]
    assert sorted(os.listdir(tmp_path)) == ["data.txt"]
    assert (tmp_path / "data.txt").read_text() == "read only data\n"


def test_clock_sleep_random() -> None:
    slept = []
    r = run("clock", nanosleep=slept.append)
    assert r.exit_code == 0
    assert r.stdout.decode().splitlines() == [
        "nanosleep=0 monotonic-advanced=1",
        "realtime-year-ok=1",
        "res=1",
        "getentropy=0",
    ]
    assert slept and 0 < slept[0] <= 5_000_000
