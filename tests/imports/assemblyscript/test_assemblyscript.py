"""The AssemblyScript host module with a program built by asc
(testdata/program.ts, testdata/build.sh), on both engines."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from wasmzero import ExitError, ModuleConfig, Runtime, RuntimeConfig
from wasmzero.imports import assemblyscript

WASM = (Path(__file__).parent / "testdata" / "program.wasm").read_bytes()
ENGINES = ["compiler", "interpreter", "native"]


def _run(engine: str, **host):  # noqa: ANN003, ANN202
    out, err = io.BytesIO(), io.BytesIO()
    rt = Runtime(RuntimeConfig(engine=engine))
    assemblyscript.instantiate(rt, **host)
    mod = rt.instantiate(
        WASM, ModuleConfig(stdout=out, stderr=err, random=lambda n: bytes(range(1, n + 1)))
    )
    return rt, mod, out, err


@pytest.mark.parametrize("engine", ENGINES)
def test_trace_is_off_by_default(engine: str) -> None:
    rt, mod, out, err = _run(engine)
    assert mod.exported_function("traced")(21) == 42
    assert out.getvalue() == err.getvalue() == b""


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_trace(engine: str, stream: str) -> None:
    rt, mod, out, err = _run(engine, trace=stream)
    assert mod.exported_function("traced")(3) == 6
    text = (out if stream == "stdout" else err).getvalue()
    assert text == b"trace: traced 3,0.5\ntrace: no args\n"


@pytest.mark.parametrize("engine", ENGINES)
def test_seed_comes_from_the_random_source(engine: str) -> None:
    a = _run(engine)[1].exported_function("random")()
    b = _run(engine)[1].exported_function("random")()
    assert 0.0 <= a < 1.0 and a == b  # the same source, the same sequence


@pytest.mark.parametrize("engine", ENGINES)
def test_abort_writes_the_message_and_exits_255(engine: str) -> None:
    rt, mod, out, err = _run(engine)
    assert mod.exported_function("check")(1) == 1
    with pytest.raises(ExitError) as e:
        mod.exported_function("check")(0)
    assert e.value.exit_code == 255
    assert err.getvalue().startswith(b"check failed: ok was false at program.ts:")
    assert mod.is_closed
    rt, mod, out, err = _run(engine, abort_message=False)
    with pytest.raises(ExitError):
        mod.exported_function("check")(0)
    assert err.getvalue() == b""


def test_functions_carry_parameter_names_and_export_into_a_builder() -> None:
    with Runtime() as rt:
        b = rt.host_module("env").function("extra", lambda: None, [], [])
        env = assemblyscript.export_functions(b).instantiate()
        defs = env.exported_functions
        assert defs["abort"].param_names == ("message", "fileName", "lineNumber", "columnNumber")
        assert defs["trace"].param_names[:2] == ("message", "nArgs")
        assert defs["seed"].result_names == ("rand",)
        assert "extra" in defs
    with pytest.raises(ValueError, match="trace"):
        assemblyscript.instantiate(Runtime(), trace="file")
