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


# -- failures: one line, the exit status a user expects (issue 16 section 4) ---------------


def wasm_file(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "soon", ""])
def test_run_rejects_a_bad_timeout_with_one_usage_line(value: str) -> None:
    out = run("run", "--timeout", value, str(HELLO))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1, out.stderr
    assert out.stderr.startswith("wasmzero run: usage error: argument --timeout")
    assert "Traceback" not in out.stderr and out.stdout == ""


CHATTY = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "a chatty line of output\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 24))
    ;; writes for ever, ignoring errors (as `yes` would if SIGPIPE did not end it)
    (loop $l
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br $l))))"""


def test_run_into_a_closed_pipe_exits_141_quietly(tmp_path: Path) -> None:
    path = wat_file(tmp_path, "chatty.wasm", CHATTY)
    env = {**os.environ, "WASMZERO_CACHE_DIR": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "wasmzero", "run", path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == b"a chatty line of output\n"
    proc.stdout.close()  # as `| head -1` does
    status = proc.wait(timeout=60)
    assert status == 141  # 128 + SIGPIPE, what a shell shows for a native tool
    assert proc.stderr.read() == b""


def test_run_interrupted_prints_one_line_and_exits_130(tmp_path: Path) -> None:
    import signal

    path = wat_file(tmp_path, "chatty.wasm", CHATTY)
    proc = subprocess.Popen(
        [sys.executable, "-m", "wasmzero", "run", "--no-cache", path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # a child of a background job may inherit SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    # Interrupt once the guest runs: its output has started.
    assert proc.stdout.readline() == b"a chatty line of output\n"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err == f"error: {path}: interrupted\n".encode()


EXIT = """(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const {code})) unreachable))"""


@pytest.mark.parametrize(
    "code, status", [(0, 0), (1, 1), (255, 255), (256, 1), (257, 1), (512, 1), (300, 44)]
)
def test_run_a_non_zero_guest_exit_is_never_success(tmp_path: Path, code: int, status: int) -> None:
    from wasmzero.cli import exit_status

    path = wat_file(tmp_path, f"exit{code}.wasm", EXIT.format(code=code))
    out = run("run", path)
    assert (out.returncode, out.stderr) == (status, "")
    assert exit_status(code) == status
    assert exit_status(0xFFFFFFFF) == 255 and exit_status(0x100000000 - 256) == 1


# Prints its arguments, then its environment, one per line.
DUMP = """(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $asz (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $aget (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $esz (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $eget (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 4)
  (func $dump (param $len i32) (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (if (i32.eqz (i32.load8_u (i32.add (i32.const 16384) (local.get $i))))
        (then (i32.store8 (i32.add (i32.const 16384) (local.get $i)) (i32.const 10))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i32.store (i32.const 0) (i32.const 16384))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (drop (call $asz (i32.const 8) (i32.const 12)))
    (drop (call $aget (i32.const 1024) (i32.const 16384)))
    (call $dump (i32.load (i32.const 12)))
    (drop (call $esz (i32.const 8) (i32.const 12)))
    (drop (call $eget (i32.const 1024) (i32.const 16384)))
    (call $dump (i32.load (i32.const 12)))))"""


def test_run_env_overrides_an_inherited_variable(tmp_path: Path) -> None:
    path = wat_file(tmp_path, "dump.wasm", DUMP)
    env = {**os.environ, "WASMZERO_CACHE_DIR": "", "WZ_FOO": "inherited", "WZ_BAR": "kept"}
    out = subprocess.run(
        [sys.executable, "-m", "wasmzero", "run", "--env-inherit", "--env", "WZ_FOO=mine", path],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "WZ_FOO=mine" in lines and "WZ_FOO=inherited" not in lines
    assert "WZ_BAR=kept" in lines
    assert sum(line.startswith("WZ_FOO=") for line in lines) == 1


def test_run_argv0_is_what_the_guest_sees(tmp_path: Path) -> None:
    path = wat_file(tmp_path, "dump.wasm", DUMP)
    out = run("run", "--argv0", "prog", path, "a", "b")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["prog", "a", "b"]
    out = run("run", path, "a")
    assert out.stdout.splitlines() == [path, "a"]  # by default, the file as given


def test_run_unresolved_import_names_module_and_function(tmp_path: Path) -> None:
    path = wat_file(
        tmp_path,
        "imp.wasm",
        """(module (import "env" "missing_fn" (func)) (func (export "_start")))""",
    )
    out = run("run", path)
    assert out.returncode == 1
    assert out.stderr == (
        f"error: {path}: LinkError: import func[env.missing_fn]: module[env] not instantiated\n"
    )
    path = wat_file(
        tmp_path,
        "imp2.wasm",
        """(module (import "wasi_snapshot_preview1" "no_such_call" (func))
                   (func (export "_start")))""",
    )
    out = run("run", path)
    assert out.returncode == 1
    assert "wasi_snapshot_preview1.no_such_call" in out.stderr
    assert out.stderr.count("\n") == 1


CALC = """(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $inits (mut i32) (i32.const 0))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "mix") (param i64 f32 f64) (result i64 f32 f64)
    (local.get 0) (local.get 1) (local.get 2))
  (func (export "inits") (result i32) (global.get $inits))
  (func (export "none"))
  (func (export "bye") (call $exit (i32.const 3)))
  (func (export "v") (param v128))
  (func (export "_initialize") (global.set $inits (i32.add (global.get $inits) (i32.const 1))))
  (func (export "_start") unreachable))"""


def test_run_invoke_calls_an_export_and_prints_its_results(tmp_path: Path) -> None:
    path = wat_file(tmp_path, "calc.wasm", CALC)
    out = run("run", "--invoke", "add", path, "2", "0x28")
    assert (out.returncode, out.stdout, out.stderr) == (0, "42\n", "")
    out = run("run", "--invoke", "add", path, "--", "-1", "-2")
    assert out.stdout == "-3\n"
    out = run("run", "--invoke", "add", path, "4294967295", "0")
    assert out.stdout == "-1\n"  # i32 results print signed, as wasmtime's
    out = run("run", "--invoke", "mix", path, "-5", "0.1", "1e20")
    assert out.stdout.splitlines() == ["-5", "0.1", "100000000000000000000"]
    out = run("run", "--invoke", "mix", path, "0", "nan", "-inf")
    assert out.stdout.splitlines() == ["0", "NaN", "-inf"]
    out = run("run", "--engine", "interpreter", "--invoke", "mix", path, "7", "1.5", "2")
    assert out.stdout.splitlines() == ["7", "1.5", "2"]
    # _start (a trap here) is not run; a reactor's _initialize runs once.
    out = run("run", "--invoke", "inits", path)
    assert (out.returncode, out.stdout) == (0, "1\n")
    out = run("run", "--invoke", "none", path)
    assert (out.returncode, out.stdout) == (0, "")
    out = run("run", "--invoke", "bye", path)
    assert (out.returncode, out.stdout, out.stderr) == (3, "", "")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["nope"], "no exported function nope"),
        (["add", "1"], "add takes 2 argument(s) (i32, i32), got 1"),
        (["add", "1", "2", "3"], "add takes 2 argument(s) (i32, i32), got 3"),
        (["add", "1", "x"], "add: invalid i32 argument 'x'"),
        (["add", "1", "1.5"], "add: invalid i32 argument '1.5'"),
        (["add", "1", "4294967296"], "add: 4294967296 is out of range for i32"),
        (["mix", "1", "one", "2"], "mix: invalid f32 argument 'one'"),
        (["v", "1"], "v: cannot pass a v128 argument from the command line"),
    ],
)
def test_run_invoke_mistakes_are_usage_errors(tmp_path: Path, argv: list, message: str) -> None:
    path = wat_file(tmp_path, "calc.wasm", CALC)
    out = run("run", "--invoke", argv[0], path, *argv[1:])
    assert out.returncode == 2
    assert out.stderr == f"wasmzero run: usage error: {message}\n"


def test_an_internal_error_is_one_line_unless_debugging(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from wasmzero import cli

    def broken(args: object) -> int:
        raise RuntimeError("something\nbroke")

    monkeypatch.setattr(cli, "_run", broken)
    monkeypatch.delenv("WASMZERO_DEBUG", raising=False)
    assert cli.main(["run", "x.wasm"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "error: x.wasm: internal error: RuntimeError: something broke "
        "(run with --debug for a traceback)\n"
    )
    assert cli.main(["--debug", "run", "x.wasm"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback") and "RuntimeError: something" in err
    assert err.endswith("error: x.wasm: internal error: RuntimeError: something broke\n")
    monkeypatch.setenv("WASMZERO_DEBUG", "1")
    assert cli.main(["run", "x.wasm"]) == 1
    assert "Traceback" in capsys.readouterr().err
