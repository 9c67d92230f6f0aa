"""The compilation cache's disk part trusts only a directory and files that
no one but this user could have written (issue 16 section 3)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from wasmzero import CompilationCache, Runtime, RuntimeConfig
from wasmzero import cache as cache_module
from wasmzero.cache import UntrustedCacheWarning

MODULE = wasmtime.wat2wasm(
    """(module
      (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
      (func (export "f") (param i32) (result i32) (i32.add (call $sq (local.get 0)) (i32.const 2))))"""
)

OTHER_UID = 4242  # a uid (and gid) that is not ours (the tests that use it run as root)


def run_once(directory: Path) -> tuple[int, int]:
    """(result, functions translated) of a run with a fresh cache object, so
    only the disk can spare the translation."""
    cache = CompilationCache(directory)
    with Runtime(RuntimeConfig(engine="compiler", compilation_cache=cache)) as rt:
        compiled = rt.compile_module(MODULE)
        return rt.instantiate_module(compiled).exported_function("f")(
            3
        ), compiled._code.translations


def entry(directory: Path) -> Path:
    (path,) = directory.glob("*.wzc")
    return path


def test_a_private_directory_is_created_and_used(tmp_path: Path) -> None:
    d = tmp_path / "a" / "cache"
    assert run_once(d) == (11, 2)
    assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(entry(d)).st_mode) == 0o600
    assert run_once(d) == (11, 0)  # translated nothing: read back from disk
    assert not [p for p in d.iterdir() if p.name.startswith(".tmp-")]  # atomic writes


def test_a_world_writable_directory_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "cache"
    d.mkdir()
    os.chmod(d, 0o777)
    with pytest.warns(UntrustedCacheWarning, match="writable by (group and )?others"):
        cache = CompilationCache(d)
    assert cache.directory is None and cache.refused is not None
    with pytest.warns(UntrustedCacheWarning):
        assert run_once(d) == (11, 2)  # still runs, in memory only
    assert list(d.iterdir()) == []  # and writes nothing there


def shared_group(path: Path) -> None:
    """Give ``path`` a group that is not this user's private group."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.chown(path, -1, OTHER_UID)
    elif cache_module._private_group(os.stat(path).st_gid):
        pytest.skip("needs root to give the file a group other than this user's private one")


def test_a_group_writable_directory_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "cache"
    d.mkdir(mode=0o700)
    os.chmod(d, 0o770)
    shared_group(d)
    with pytest.warns(UntrustedCacheWarning, match="writable by group"):
        assert CompilationCache(d).directory is None


def test_group_write_is_fine_for_a_user_private_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Debian and Ubuntu give each user a group of their own and umask 002,
    # so ~/.cache is group-writable: writable by this user alone.
    d = tmp_path / "cache"
    d.mkdir(mode=0o700)
    os.chmod(d, 0o770)
    gid = os.stat(d).st_gid
    monkeypatch.setitem(cache_module._PRIVATE_GROUPS, gid, True)
    assert CompilationCache(d).directory == d
    monkeypatch.setitem(cache_module._PRIVATE_GROUPS, gid, False)
    with pytest.warns(UntrustedCacheWarning, match="writable by group"):
        assert CompilationCache(d).directory is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_a_directory_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "cache"
    d.mkdir(mode=0o700)
    os.chown(d, OTHER_UID, OTHER_UID)
    with pytest.warns(UntrustedCacheWarning, match=f"owned by uid {OTHER_UID}"):
        assert run_once(d) == (11, 2)
    assert list(d.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_a_file_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "cache"
    assert run_once(d) == (11, 2)
    os.chown(entry(d), OTHER_UID, OTHER_UID)
    with pytest.warns(UntrustedCacheWarning, match=f"owned by uid {OTHER_UID}"):
        assert run_once(d) == (11, 2)


def test_a_group_writable_file_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "cache"
    assert run_once(d) == (11, 2)
    path = entry(d)
    os.chmod(path, 0o660)
    shared_group(path)
    with pytest.warns(UntrustedCacheWarning, match="file is writable by group"):
        assert run_once(d) == (11, 2)  # not read: translated again
    # The refused file is left alone (not trusted enough to replace silently)
    # and the disk cache stays off for that cache object.
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o660


def test_a_symlinked_file_is_refused(tmp_path: Path) -> None:
    good = tmp_path / "good"
    assert run_once(good) == (11, 2)
    d = tmp_path / "cache"
    d.mkdir(mode=0o700)
    # A valid entry, but reached through a symlink: whoever made the link
    # chooses what is read.
    target = entry(good)
    (d / target.name).symlink_to(target)
    with pytest.warns(UntrustedCacheWarning, match="symbolic link"):
        assert run_once(d) == (11, 2)
    assert (d / target.name).is_symlink()


def test_parents_must_not_be_writable_by_others_unless_sticky(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)  # anyone could rename our directory away
    with pytest.warns(UntrustedCacheWarning, match="not sticky"):
        assert CompilationCache(shared / "cache").directory is None
    os.chmod(shared, 0o1777)  # as /tmp: others cannot touch our entries
    assert CompilationCache(shared / "cache2").directory == shared / "cache2"


def test_the_cli_warns_once_and_runs_without_the_cache(tmp_path: Path) -> None:
    d = tmp_path / "cache"
    d.mkdir()
    os.chmod(d, 0o777)
    hello = Path(__file__).resolve().parents[1] / "examples" / "hello.wasm"
    out = subprocess.run(
        [sys.executable, "-m", "wasmzero", "run", "--cache-dir", str(d), str(hello), "--", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0
    assert out.stdout.splitlines()[-1] == "sum of numeric arguments: 2"
    assert out.stderr.count("\n") == 1
    assert out.stderr.startswith(f"warning: not using compilation cache {d}: ")
    assert list(d.iterdir()) == []
