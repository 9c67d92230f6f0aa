"""Helpers: run a WASI command module with wasmzero and collect its output."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from wasmzero import ExitError, ModuleConfig, Runtime
from wasmzero.imports import wasi_snapshot_preview1 as wasi

TESTDATA = Path(__file__).parent / "testdata"


@dataclass
class Result:
    exit_code: int
    stdout: bytes
    stderr: bytes


def run(wasm: bytes | str, stdin: bytes = b"", **config: object) -> Result:
    """Instantiate ``wasm`` (bytes, or the name of a testdata program) with
    WASI; ``_start`` runs at instantiation. The exit code is 0 when the
    program returns without calling proc_exit."""
    if isinstance(wasm, str):
        wasm = (TESTDATA / f"{wasm}.wasm").read_bytes()
    out, err = io.BytesIO(), io.BytesIO()
    cfg = ModuleConfig(stdin=io.BytesIO(stdin), stdout=out, stderr=err, **config)  # type: ignore[arg-type]
    with Runtime() as rt:
        wasi.instantiate(rt)
        try:
            rt.instantiate(wasm, cfg)
            code = 0
        except ExitError as e:
            code = e.exit_code
    return Result(code, out.getvalue(), err.getvalue())
