"""Names from a module are escaped wherever they are printed (issue 18 item
5): a module must not be able to forge lines in a log or a terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

from wasmzero import LinkError, ModuleConfig, Runtime, RuntimeConfig, Trap
from wasmzero.internal.printable import printable

EVIL = "x\nerror: forged line\r\x1b[31m\u202eevil\t\u2028\x00\\n\U000e0001"
EVIL_ESCAPED = "x\\nerror: forged line\\r\\x1b[31m\\u202eevil\\t\\u2028\\x00\\\\n\\U000e0001"


def test_printable_escapes_what_is_not_printable() -> None:
    assert printable(EVIL) == EVIL_ESCAPED
    for name in ("main", "std::vector<int>::push_back", "caf\u00e9", "\U0001f600", "a b", ""):
        assert printable(name) == name  # toolchains' names are unchanged
    assert printable("\x7f\x85\u00a0") == "\\x7f\\x85\\xa0"


def _leb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _name(s: str) -> bytes:
    b = s.encode()
    return _leb(len(b)) + b


def with_names(wasm: bytes, module: str, functions: dict[int, str]) -> bytes:
    """``wasm`` with a name section naming the module and functions."""
    mod = _name(module)
    funcs = _leb(len(functions)) + b"".join(
        _leb(i) + _name(n) for i, n in sorted(functions.items())
    )
    body = _name("name") + b"\x00" + _leb(len(mod)) + mod + b"\x01" + _leb(len(funcs)) + funcs
    return wasm + b"\x00" + _leb(len(body)) + body


TRAPPING = wasmtime.wat2wasm(
    """(module
      (func unreachable)
      (func (export "go") (call 0))
      (func (export "_start") (call 0)))"""
)
HOSTILE = with_names(TRAPPING, EVIL, {0: EVIL, 1: "outer\x1b]0;title\x07"})
HOSTILE_TRACE = (
    f"wasm stack trace:\n\t{EVIL_ESCAPED}.{EVIL_ESCAPED}\n\t{EVIL_ESCAPED}.outer\\x1b]0;title\\x07"
)

IMPORTING = wasmtime.wat2wasm(
    """(module (import "ev\\00ail\\u{202e}" "fn\\n\\1b[2J" (func)) (func (export "_start")))"""
)
IMPORT_ESCAPED = "ev\\x00ail\\u202e.fn\\n\\x1b[2J"


@pytest.mark.parametrize("engine", ["compiler", "interpreter"])
def test_trap_stack_trace_escapes_names(engine: str) -> None:
    with Runtime(RuntimeConfig(engine=engine)) as rt:
        mod = rt.instantiate(HOSTILE, ModuleConfig(start_functions=()))
        with pytest.raises(Trap) as e:
            mod.exported_function("go")()
    text = str(e.value)
    assert "\x1b" not in text and "\u202e" not in text and "\r" not in text
    assert "\n" not in text.split("wasm stack trace:\n", 1)[-1].replace("\n\t", "")
    if e.value.wasm_stack:  # the interpreter engine records no frames
        assert text == f"unreachable\n{HOSTILE_TRACE}"
        assert repr(mod.exported_function("go")).startswith(
            f"<wasmzero.Function {EVIL_ESCAPED}.outer"
        )


def test_function_definitions_debug_names_are_escaped() -> None:
    with Runtime() as rt:
        compiled = rt.compile_module(HOSTILE)
        assert (
            compiled.exported_functions["go"].debug_name
            == f"{EVIL_ESCAPED}.outer\\x1b]0;title\\x07"
        )
        (imp,) = rt.compile_module(IMPORTING).imported_functions
        assert imp.debug_name == IMPORT_ESCAPED
        assert imp.import_ == ("ev\x00ail\u202e", "fn\n\x1b[2J")  # the data itself is kept


def test_link_error_escapes_names() -> None:
    with Runtime() as rt:
        with pytest.raises(LinkError) as e:
            rt.instantiate(IMPORTING)
    assert str(e.value) == (
        f"import func[{IMPORT_ESCAPED}]: module[ev\\x00ail\\u202e] not instantiated"
    )
    assert (e.value.module, e.value.name) == ("ev\x00ail\u202e", "fn\n\x1b[2J")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wasmzero", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "WASMZERO_CACHE_DIR": ""},
    )


def test_cli_output_escapes_names(tmp_path: Path) -> None:
    trapping = tmp_path / "trap.wasm"
    trapping.write_bytes(HOSTILE)
    out = run_cli("run", str(trapping))
    assert out.returncode == 1
    # _start (function 2, unnamed) calls the trapping function
    trace = f"wasm stack trace:\n\t{EVIL_ESCAPED}.{EVIL_ESCAPED}\n\t{EVIL_ESCAPED}.$2"
    trace = trace.replace("\n", "\n  ")
    assert out.stderr == f"error: {trapping}: Trap: unreachable\n  {trace}\n"
    importing = tmp_path / "import.wasm"
    importing.write_bytes(IMPORTING)
    out = run_cli("run", str(importing))
    assert out.returncode == 1
    assert out.stderr == (
        f"error: {importing}: LinkError: import func[{IMPORT_ESCAPED}]: "
        "module[ev\\x00ail\\u202e] not instantiated\n"
    )
    exporting = tmp_path / "export.wasm"
    exporting.write_bytes(
        wasmtime.wat2wasm('(module (func (export "a\\nfunc forged: () -> ()\\1b[0m")))')
    )
    for path in (trapping, importing, exporting):
        out = run_cli("inspect", str(path))
        assert out.returncode == 0, out.stderr
        assert "\x1b" not in out.stdout and "\u202e" not in out.stdout and "\r" not in out.stdout
    assert "func a\\nfunc forged: () -> ()\\x1b[0m: " in out.stdout
    assert "forged" not in "".join(
        line for line in out.stdout.splitlines() if not line.startswith("  func a\\n")
    )
    out = run_cli("run", "--invoke", "a\nb", str(exporting))
    assert out.stderr == "wasmzero run: usage error: no exported function a\\nb\n"
