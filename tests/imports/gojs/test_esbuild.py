"""A Go program someone else published: esbuild-wasm from npm (a 14 MB
GOOS=js build of esbuild) prints its version and transforms TypeScript
exactly as the native esbuild 0.28.2 does (testdata/esbuild_expected.js is
the native binary's output for testdata/esbuild_input.ts).

testdata/fetch_esbuild.sh fetches it (``.ci/run`` does); without it the
test skips and says how to get it.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from wasmzero import ModuleConfig, Runtime
from wasmzero.imports import gojs

DATA = Path(__file__).parent / "testdata"
WASM = DATA / "esbuild-wasm" / "esbuild.wasm"

pytestmark = pytest.mark.skipif(
    not WASM.exists(),
    reason=f"esbuild-wasm is not fetched: run {DATA / 'fetch_esbuild.sh'} (needs npm)",
)


def _run(rt: Runtime, compiled, args: tuple[str, ...], stdin: bytes = b"") -> tuple[bytes, bytes]:  # noqa: ANN001
    out, err = io.BytesIO(), io.BytesIO()
    config = ModuleConfig(
        args=("esbuild", *args), stdin=io.BytesIO(stdin), stdout=out, stderr=err
    ).with_sys()
    gojs.run(rt, compiled, config)
    return out.getvalue(), err.getvalue()


def test_esbuild_version_and_typescript() -> None:
    with Runtime() as rt:
        compiled = rt.compile_module(WASM.read_bytes())
        assert gojs.is_gojs(compiled)
        assert _run(rt, compiled, ("--version",)) == (b"0.28.2\n", b"")
        source = (DATA / "esbuild_input.ts").read_bytes()
        out, err = _run(rt, compiled, ("--loader=ts",), source)
        assert err == b""
        assert out == (DATA / "esbuild_expected.js").read_bytes()
