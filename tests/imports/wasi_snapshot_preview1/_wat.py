"""A WAT module importing every WASI function and re-exporting each one
under its own name (with the same signature), plus its memory, so tests can
call a WASI function directly and inspect memory."""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import wasmtime

from wasmzero import ModuleConfig, Runtime
from wasmzero.imports import wasi_snapshot_preview1 as wasi
from wasmzero.internal.wasip1.signatures import SIGNATURES


def _wat(module_name: str) -> str:
    lines = ["(module"]
    for name, (params, results) in SIGNATURES.items():
        ps = " ".join(t for _, t in params)
        rs = " ".join("i32" for _ in results)
        lines.append(
            f'  (import "{module_name}" "{name}" (func ${name} (param {ps}) (result {rs})))'
        )
    lines.append('  (memory (export "memory") 1)')
    for name, (params, results) in SIGNATURES.items():
        ps = " ".join(t for _, t in params)
        rs = " ".join("i32" for _ in results)
        gets = " ".join(f"(local.get {i})" for i in range(len(params)))
        lines.append(f'  (func (export "{name}") (param {ps}) (result {rs}) (call ${name} {gets}))')
    lines.append(")")
    return "\n".join(lines)


WASM = wasmtime.wat2wasm(_wat(wasi.MODULE_NAME))
WASM_LEGACY = wasmtime.wat2wasm(_wat(wasi.LEGACY_MODULE_NAME))


class Guest:
    """The instantiated module: ``g.call("fd_write", ...)`` and memory helpers."""

    def __init__(self, module: Any, stdout: io.BytesIO, stderr: io.BytesIO) -> None:
        self.module = module
        self.memory = module.memory
        self.stdout = stdout
        self.stderr = stderr

    def call(self, name: str, *args: int) -> int:
        out = self.module.exported_function(name)(*args)
        return out

    def write(self, offset: int, data: bytes) -> None:
        self.memory.write(offset, data)

    def read(self, offset: int, n: int) -> bytes:
        return self.memory.read(offset, n)

    def u32(self, offset: int) -> int:
        return struct.unpack_from("<I", self.read(offset, 4))[0]

    def u64(self, offset: int) -> int:
        return struct.unpack_from("<Q", self.read(offset, 8))[0]

    def iovec(self, at: int, *bufs: tuple[int, int]) -> None:
        self.write(at, b"".join(struct.pack("<II", p, n) for p, n in bufs))

    def path(self, at: int, text: str) -> tuple[int, int]:
        b = text.encode()
        self.write(at, b)
        return at, len(b)

    def open(
        self,
        dirfd: int,
        path: str,
        oflags: int = 0,
        rights: int = (1 << 30) - 1,
        fdflags: int = 0,
        dirflags: int = 1,
    ) -> tuple[int, int]:
        """path_open: (errno, new fd)."""
        p, n = self.path(2000, path)
        err = self.call("path_open", dirfd, dirflags, p, n, oflags, rights, rights, fdflags, 1996)
        return err, self.u32(1996)


@contextmanager
def guest(legacy: bool = False, stdin: bytes = b"", **config: Any) -> Iterator[Guest]:
    out, err = io.BytesIO(), io.BytesIO()
    config.setdefault("stdout", out)
    config.setdefault("stderr", err)
    cfg = ModuleConfig(stdin=io.BytesIO(stdin), **config)
    with Runtime() as rt:
        wasi.instantiate(rt, wasi.LEGACY_MODULE_NAME if legacy else wasi.MODULE_NAME)
        mod = rt.instantiate(WASM_LEGACY if legacy else WASM, cfg)
        yield Guest(mod, out, err)
