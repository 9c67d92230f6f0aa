"""Stopping running guests (issue 20): deadlines, closing from another
thread, host calls blocked in WASI woken, table caps; on both engines."""

from __future__ import annotations

import os
import threading
import time

import pytest
import wasmtime

from wasmzero import ExitError, ModuleConfig, Runtime, RuntimeConfig, Trap, TrapKind
from wasmzero.imports import wasi_snapshot_preview1 as wasi

ENGINES = ["compiler", "interpreter", "native"]

SPIN = wasmtime.wat2wasm(
    """(module
      (memory 1)
      (func (export "spin") (loop $l (br $l)))
      (func (export "fills") (loop $l
         (memory.fill (i32.const 0) (i32.const 1) (i32.const 65536)) (br $l)))
      (func $rec (export "rec") (param i32) (result i32)
         (if (result i32) (local.get 0)
           (then (call $rec (i32.sub (local.get 0) (i32.const 1))))
           (else (i32.const 0))))
      (func (export "add") (param i32 i32) (result i32)
         (i32.add (local.get 0) (local.get 1))))"""
)

SLEEP = wasmtime.wat2wasm(
    """(module
      (import "wasi_snapshot_preview1" "poll_oneoff"
        (func $poll (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_read"
        (func $read (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      ;; one clock subscription: relative timeout of 60 s
      (func (export "sleep") (result i32)
        (i32.store8 (i32.const 8) (i32.const 0))
        (i32.store (i32.const 16) (i32.const 1))
        (i64.store (i32.const 24) (i64.const 60000000000))
        (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))
      ;; read stdin into 1000..1100
      (func (export "read") (result i32)
        (i32.store (i32.const 300) (i32.const 1000))
        (i32.store (i32.const 304) (i32.const 100))
        (call $read (i32.const 0) (i32.const 300) (i32.const 1) (i32.const 308))))"""
)


def _after(seconds: float, action) -> threading.Thread:  # noqa: ANN001
    def run() -> None:
        time.sleep(seconds)
        action()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("export", ["spin", "fills"])
def test_deadline_stops_a_runaway_guest(engine: str, export: str) -> None:
    with Runtime(RuntimeConfig(engine=engine, interruptible=True)) as rt:
        mod = rt.instantiate(SPIN)
        with rt.deadline(0.2), pytest.raises(Trap) as e:
            mod.exported_function(export)()
        assert e.value.kind is TrapKind.DEADLINE_EXCEEDED
        assert "deadline exceeded" in str(e.value)
        # The runtime, and the module, stay usable.
        assert mod.exported_function("add")(2, 3) == 5
        assert mod.exported_function("rec")(100) == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_call_timeout_applies_to_every_call(engine: str) -> None:
    with Runtime(RuntimeConfig(engine=engine, call_timeout=0.2)) as rt:
        mod = rt.instantiate(SPIN)
        for _ in range(2):
            with pytest.raises(Trap) as e:
                mod.exported_function("spin")()
            assert e.value.kind is TrapKind.DEADLINE_EXCEEDED
        assert mod.exported_function("add")(1, 1) == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_close_from_another_thread_stops_running_code(engine: str) -> None:
    with Runtime(RuntimeConfig(engine=engine, interruptible=True)) as rt:
        mod = rt.instantiate(SPIN)
        _after(0.2, lambda: mod.close(exit_code=7))
        with pytest.raises(ExitError) as e:
            mod.exported_function("spin")()
        assert e.value.exit_code == 7
        assert "exit_code(7)" in str(e.value)
        other = rt.instantiate(SPIN)
        assert other.exported_function("add")(2, 2) == 4


@pytest.mark.parametrize("engine", ENGINES)
def test_runtime_close_stops_running_code(engine: str) -> None:
    rt = Runtime(RuntimeConfig(engine=engine, interruptible=True))
    mod = rt.instantiate(SPIN)
    _after(0.2, lambda: rt.close(exit_code=3))
    with pytest.raises(ExitError) as e:
        mod.exported_function("spin")()
    assert e.value.exit_code == 3


@pytest.mark.parametrize("engine", ENGINES)
def test_deadline_wakes_a_guest_sleeping_in_wasi(engine: str) -> None:
    with Runtime(RuntimeConfig(engine=engine, interruptible=True)) as rt:
        wasi.instantiate(rt)
        mod = rt.instantiate(SLEEP, ModuleConfig().with_sys())
        started = time.monotonic()
        with rt.deadline(0.2), pytest.raises(Trap) as e:
            mod.exported_function("sleep")()
        assert e.value.kind is TrapKind.DEADLINE_EXCEEDED
        assert time.monotonic() - started < 30  # not the 60 s it asked for


@pytest.mark.parametrize("engine", ENGINES)
def test_close_wakes_a_guest_blocked_reading_a_pipe(engine: str) -> None:
    r, w = os.pipe()
    try:
        with open(r, "rb", buffering=0, closefd=False) as stdin:
            with Runtime(RuntimeConfig(engine=engine, interruptible=True)) as rt:
                wasi.instantiate(rt)
                mod = rt.instantiate(SLEEP, ModuleConfig(stdin=stdin))
                _after(0.2, lambda: mod.close(exit_code=9))
                with pytest.raises(ExitError) as e:
                    mod.exported_function("read")()
                assert e.value.exit_code == 9
    finally:
        os.close(r)
        os.close(w)


def test_deadline_needs_an_interruptible_runtime() -> None:
    with Runtime() as rt, pytest.raises(ValueError, match="interruptible"):
        rt.deadline(1)
    with pytest.raises(ValueError, match="call_timeout"):
        RuntimeConfig(call_timeout=0)


def test_a_passed_deadline_stops_the_next_call_at_once() -> None:
    with Runtime(RuntimeConfig(interruptible=True)) as rt:
        mod = rt.instantiate(SPIN)
        with rt.deadline(0.05):
            time.sleep(0.1)
            with pytest.raises(Trap, match="deadline exceeded"):
                mod.exported_function("add")(1, 2)
        assert mod.exported_function("add")(1, 2) == 3  # outside the block


@pytest.mark.parametrize("engine", ENGINES)
def test_table_elements_are_capped(engine: str) -> None:
    grow = wasmtime.wat2wasm(
        """(module (table 2 funcref)
          (func (export "grow") (param i32) (result i32)
            (table.grow (ref.null func) (local.get 0))))"""
    )
    big = wasmtime.wat2wasm("(module (table 200 funcref))")
    with Runtime(RuntimeConfig(engine=engine, table_limit_elements=100)) as rt:
        mod = rt.instantiate(grow)
        assert mod.exported_function("grow")(50) == 2
        assert mod.exported_function("grow")(49) == -1  # 101 > 100
        assert mod.exported_function("grow")(48) == 52  # exactly 100
        assert mod.exported_function("grow")(1) == -1
        from wasmzero import InstantiationError

        with pytest.raises(InstantiationError, match="table_limit_elements"):
            rt.instantiate(big)
        with pytest.raises(InstantiationError, match="table_limit_elements"):
            rt.host_module("h").table("t", "funcref", 101)
