"""Function listeners and the logging listener (issue 19), on every engine
(the native engine runs an instance with listeners as the compiler engine
does)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import wasmtime

from wasmzero import ExitError, ModuleConfig, Runtime, RuntimeConfig, Trap, i32
from wasmzero.experimental import FunctionListener, ListenerError, multi_factory
from wasmzero.experimental.logging import LoggingListenerFactory
from wasmzero.imports import wasi_snapshot_preview1 as wasi

ENGINES = ["compiler", "interpreter", "native"]
ROOT = Path(__file__).resolve().parents[2]
HELLO = (ROOT / "examples" / "hello.wasm").read_bytes()
GOLDEN = Path(__file__).parent / "testdata" / "hello.log"

NESTED = wasmtime.wat2wasm(
    """(module $m
      (import "env" "host" (func $host (param i32) (result i32)))
      (func $leaf (param $x i32) (result i32) (call $host (local.get $x)))
      (func $mid (param i32) (result i32) (call $leaf (i32.add (local.get 0) (i32.const 1))))
      (func (export "top") (param i32) (result i32) (call $mid (local.get 0)))
      (func (export "trap") (unreachable)))"""
)


def _hello_log(engine: str, wasm: bool) -> str:
    log = io.StringIO()
    factory = LoggingListenerFactory(log, wasm=wasm)
    with Runtime(RuntimeConfig(engine=engine, listener_factory=factory)) as rt:
        wasi.instantiate(rt)
        rt.instantiate(HELLO, ModuleConfig(args=("hello", "7"), stdout=io.BytesIO()))
    return log.getvalue()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_wasi_program_logged_end_to_end(engine: str) -> None:
    log = _hello_log(engine, wasm=True)
    assert log == GOLDEN.read_text()  # the same log from both engines
    assert "==> wasi_snapshot_preview1.fd_write(fd=1," in log
    assert "<== (nwritten=24,errno=ESUCCESS)" in log


class Recorder(FunctionListener):
    def __init__(self, events: list[Any]) -> None:
        self.events = events

    def before(self, module: Any, definition: Any, params: Any, stack: Any) -> None:
        names = [f.definition.debug_name for f in stack]
        self.events.append(("before", definition.debug_name, tuple(params), names))

    def after(self, module: Any, definition: Any, results: Any) -> None:
        self.events.append(("after", definition.debug_name, tuple(results)))

    def abort(self, module: Any, definition: Any, error: BaseException) -> None:
        self.events.append(("abort", definition.debug_name, type(error).__name__))


def _host(x: i32) -> i32:
    return x * 10


@pytest.mark.parametrize("engine", ENGINES)
def test_listeners_see_wasm_and_host_calls_with_the_stack(engine: str) -> None:
    events: list[Any] = []
    with Runtime(
        RuntimeConfig(engine=engine, listener_factory=lambda m, d: Recorder(events))
    ) as rt:
        rt.host_module("env").function("host", _host).instantiate()
        mod = rt.instantiate(NESTED)
        assert mod.exported_function("top")(4) == 50
    assert events == [
        ("before", "m.$3", (4,), ["m.$3"]),
        ("before", "m.mid", (4,), ["m.mid", "m.$3"]),
        ("before", "m.leaf", (5,), ["m.leaf", "m.mid", "m.$3"]),
        ("before", "env.host", (5,), ["env.host", "m.leaf", "m.mid", "m.$3"]),
        ("after", "env.host", (50,)),
        ("after", "m.leaf", (50,)),
        ("after", "m.mid", (50,)),
        ("after", "m.$3", (50,)),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_abort_on_trap_and_on_proc_exit(engine: str) -> None:
    events: list[Any] = []
    factory = lambda m, d: Recorder(events)  # noqa: E731
    with Runtime(RuntimeConfig(engine=engine, listener_factory=factory)) as rt:
        rt.host_module("env").function("host", _host).instantiate()
        mod = rt.instantiate(NESTED)
        with pytest.raises(Trap):
            mod.exported_function("trap")()
    assert events[-1] == ("abort", "m.$4", "Trap")
    events.clear()
    exit_wat = wasmtime.wat2wasm(
        """(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (func (export "_start") (call $exit (i32.const 3))))"""
    )
    with Runtime(RuntimeConfig(engine=engine, listener_factory=factory)) as rt:
        wasi.instantiate(rt)
        with pytest.raises(ExitError):
            rt.instantiate(exit_wat)
    assert [e[0] for e in events] == ["before", "before", "abort", "abort"]
    assert events[2] == ("abort", "wasi_snapshot_preview1.proc_exit", "ExitError")


class Raising(FunctionListener):
    def before(self, module: Any, definition: Any, params: Any, stack: Any) -> None:
        if params and params[0] == 13:
            raise ValueError("unlucky")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_raising_listener_is_a_clear_error(engine: str) -> None:
    with Runtime(RuntimeConfig(engine=engine, listener_factory=lambda m, d: Raising())) as rt:
        rt.host_module("env").function("host", _host).instantiate()
        mod = rt.instantiate(NESTED)
        with pytest.raises(ListenerError, match="raised in before m.*unlucky"):
            mod.exported_function("top")(13)
        assert mod.exported_function("top")(1) == 20  # still usable


def test_multi_factory_and_none_costs_nothing() -> None:
    a: list[Any] = []
    b: list[Any] = []
    factory = multi_factory(
        lambda m, d: Recorder(a) if d.name == "mid" else None,
        lambda m, d: Recorder(b) if d.is_host else None,
        lambda m, d: None,
    )
    with Runtime(RuntimeConfig(listener_factory=factory)) as rt:
        rt.host_module("env").function("host", _host).instantiate()
        mod = rt.instantiate(NESTED)
        assert mod.exported_function("top")(1) == 20
        # An export without a listener is the function itself, unwrapped.
        fi = mod.exported_function("top")._fi
        assert not hasattr(fi.fn, "__wrapped__")
    assert [e[1] for e in a] == ["m.mid", "m.mid"]
    assert [e[1] for e in b] == ["env.host", "env.host"]


def test_scopes_filter_host_functions() -> None:
    for scopes, present, absent in (
        (["proc"], "args_sizes_get", "fd_write"),
        (["filesystem"], "fd_write", "args_get"),
    ):
        log = io.StringIO()
        factory = LoggingListenerFactory(log, scopes)
        with Runtime(RuntimeConfig(listener_factory=factory)) as rt:
            wasi.instantiate(rt)
            rt.instantiate(HELLO, ModuleConfig(args=("hello",), stdout=io.BytesIO()))
        assert present in log.getvalue() and absent not in log.getvalue()
        assert "-->" not in log.getvalue()
    with pytest.raises(ValueError, match="unknown log scope"):
        LoggingListenerFactory(io.StringIO(), ["disk"])


def test_cli_hostlogging() -> None:
    cmd = [sys.executable, "-m", "wasmzero", "run", "--no-cache", "--hostlogging", "proc"]
    r = subprocess.run(
        [*cmd, str(ROOT / "examples" / "hello.wasm"), "--", "7"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0
    assert r.stderr.startswith("==> wasi_snapshot_preview1.args_sizes_get()\n<== (argc=2,")
    assert "fd_write" not in r.stderr
    r = subprocess.run(
        [*cmd, "--log-wasm", str(ROOT / "examples" / "hello.wasm")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.stderr.startswith("--> ")
