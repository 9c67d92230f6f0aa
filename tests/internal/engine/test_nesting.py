"""Translation stays linear in nesting depth (issue 18, item 4): a valid
module of 50,000 nested ``if``s (250 KB; 20,000 took 12 s before, and the
time grew faster than the square) runs in a subprocess under a timeout
that is generous for linear time (about a second here), on both engines. The compiler stops
translating where the Python source would be nested deeper than CPython
compiles and interprets the function instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3] / "src"


def _leb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _vec(items: list[bytes]) -> bytes:
    return _leb(len(items)) + b"".join(items)


def _section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + _leb(len(payload)) + payload


def nested_module(depth: int, opener: bytes, closer: bytes = b"\x0b") -> bytes:
    """``(func (export "run") (param i32) (result i32))`` whose body nests
    ``opener`` ``depth`` times, then returns 7."""
    body = opener * depth + closer * depth + b"\x41\x07\x0b"
    code = _vec([]) + body
    return (
        b"\x00asm\x01\x00\x00\x00"
        + _section(1, _vec([b"\x60" + _vec([b"\x7f"]) + _vec([b"\x7f"])]))
        + _section(3, _vec([b"\x00"]))
        + _section(7, _vec([_leb(3) + b"run\x00\x00"]))
        + _section(10, _vec([_leb(len(code)) + code]))
    )


SHAPES = {
    # local.get 0; if
    "if": (b"\x20\x00\x04\x40", b"\x0b"),
    "if-else": (b"\x20\x00\x04\x40", b"\x05\x0b"),
    # block; local.get 0; br_if 0
    "block-br_if": (b"\x02\x40\x20\x00\x0d\x00", b"\x0b"),
    # loop; local.get 0; i32.eqz; br_if 0
    "loop-br_if": (b"\x03\x40\x20\x00\x45\x0d\x00", b"\x0b"),
}

_RUN = """
import sys
from wasmzero import Runtime, RuntimeConfig
data = open(sys.argv[1], "rb").read()
with Runtime(RuntimeConfig(engine=sys.argv[2])) as rt:
    print(rt.instantiate(data).exported_function("run")(1))
"""


@pytest.mark.parametrize("engine", ["compiler", "interpreter"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_deep_nesting_translates_in_linear_time(shape: str, engine: str, tmp_path: Path) -> None:
    opener, closer = SHAPES[shape]
    wasm = tmp_path / "nested.wasm"
    wasm.write_bytes(nested_module(50_000, opener, closer))
    proc = subprocess.run(
        [sys.executable, "-c", _RUN, str(wasm), engine],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(SRC)),
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["7"]


def test_moderate_nesting_still_compiles() -> None:
    """Nesting that CPython compiles is still translated, not interpreted."""
    from wasmzero import Runtime, RuntimeConfig

    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        mod = rt.instantiate(nested_module(40, *SHAPES["if"]))
        assert mod.exported_function("run")(1) == 7
        assert mod._inst.functions[0].fn.__code__.co_name == "f0"
