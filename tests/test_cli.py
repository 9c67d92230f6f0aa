"""The command line: ``python -m wasmzero``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import wasmzero


def run(*args: str, cache: str = "") -> subprocess.CompletedProcess[str]:
    """``python -m wasmzero ARGS``; no default cache unless ``cache`` names one."""
    env = {**os.environ, "WASMZERO_CACHE_DIR": cache}
    return subprocess.run(
        [sys.executable, "-m", "wasmzero", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_version_flag_prints_the_package_version() -> None:
    out = run("--version")
    assert out.returncode == 0
    assert out.stdout.strip().endswith(wasmzero.__version__)


def test_unknown_command_fails_with_usage() -> None:
    out = run("no-such-command")
    assert out.returncode != 0
    assert "usage" in (out.stderr + out.stdout).lower()


# -- wasmzero run ----------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
HELLO = ROOT / "examples" / "hello.wasm"


def wat_file(tmp_path: Path, name: str, text: str) -> str:
    wasmtime = pytest.importorskip("wasmtime")
    path = tmp_path / name
    path.write_bytes(wasmtime.wat2wasm(text))
    return str(path)


def test_run_prints_and_passes_arguments() -> None:
    out = run("run", str(HELLO), "--", "1", "2", "39")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "hello from WebAssembly!",
        "arg 1: 1",
        "arg 2: 2",
        "arg 3: 39",
        "sum of numeric arguments: 42",
    ]


def test_run_exit_code_is_the_guests(tmp_path: Path) -> None:
    path = wat_file(
        tmp_path,
        "exit.wasm",
        """(module
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (func (export "_start") (call $exit (i32.const 7)) unreachable))""",
    )
    out = run("run", path)
    assert out.returncode == 7
    assert out.stderr == ""


def test_run_env_and_mount(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "input.txt").write_bytes(b"line one\nline two\n")
    fileio = ROOT.parent / "shared" / "bench" / "wasm" / "fileio.wasm"
    if not fileio.exists():
        pytest.skip("bench corpus not present")
    out = run("run", "--mount", f"{data}:/data:ro", str(fileio), "1", "/data/input.txt")
    assert out.returncode == 0, out.stderr
    assert "bytes=18 lines=2 words=4" in out.stdout


def test_run_errors_are_one_line_and_exit_1(tmp_path: Path) -> None:
    out = run("run", str(tmp_path / "missing.wasm"))
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "missing.wasm" in out.stderr
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(b"\x00asm\x01\x00\x00\x00\x01\x05")
    out = run("run", str(bad))
    assert out.returncode == 1
    assert out.stderr.startswith("error: ") and "DecodeError" in out.stderr


def test_run_trap_prints_the_wasm_stack(tmp_path: Path) -> None:
    path = wat_file(
        tmp_path,
        "trap.wasm",
        """(module $m
          (func $inner unreachable)
          (func (export "_start") (call $inner)))""",
    )
    out = run("run", path)
    assert out.returncode == 1
    assert "unreachable" in out.stderr
    assert "wasm stack trace" in out.stderr and "inner" in out.stderr


def test_run_timeout_stops_an_endless_loop(tmp_path: Path) -> None:
    path = wat_file(
        tmp_path,
        "loop.wasm",
        """(module (func (export "_start") (loop $l (br $l))))""",
    )
    out = run("run", "--timeout", "0.5", path)
    assert out.returncode == 1
    assert "timed out" in out.stderr


def test_compile_fills_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    out = run("compile", "--cache-dir", str(cache), str(HELLO))
    assert out.returncode == 0, out.stderr
    assert list(cache.glob("*.wzc"))
    out = run("run", "--cache-dir", str(cache), str(HELLO))
    assert out.returncode == 0 and out.stdout.startswith("hello from WebAssembly!")


@pytest.mark.parametrize("command", ["run", "compile", "inspect", "version"])
def test_help_for_each_command(command: str) -> None:
    out = run(command, "--help")
    assert out.returncode == 0
    assert "usage" in out.stdout.lower()


def test_run_uses_a_cache_by_default(tmp_path: Path) -> None:
    cache = tmp_path / "default-cache"
    first = run("run", str(HELLO), cache=str(cache))
    assert first.returncode == 0, first.stderr
    assert list(cache.glob("*.wzc"))
    second = run("run", str(HELLO), "--", "5", cache=str(cache))
    assert second.returncode == 0 and "sum of numeric arguments: 5" in second.stdout
    fresh = tmp_path / "unused"
    out = run("run", "--no-cache", str(HELLO), cache=str(fresh))
    assert out.returncode == 0 and not fresh.exists()


def test_run_with_the_interpreter_engine() -> None:
    out = run("run", "--engine", "interpreter", str(HELLO), "--", "40", "2")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "sum of numeric arguments: 42"
