"""Hostile input through the whole pipeline: mutated modules are decoded,
validated, instantiated and their exports called; whatever happens must be
one of wasmzero's typed errors (or a clean result), never a Python-internal
exception, and the runtime must stay usable."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wasmzero import ModuleConfig, Runtime, WasmError

wasmtime = pytest.importorskip("wasmtime")

_SAMPLE = wasmtime.wat2wasm(
    """(module
      (type $t (func (param i32) (result i32)))
      (table 4 funcref)
      (memory 1 2)
      (global $g (mut i32) (i32.const 7))
      (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
      (func $mem (param i32) (result i32)
        (i32.store (i32.const 16) (local.get 0))
        (i32.load8_u (i32.const 17)))
      (func $ind (param i32) (result i32)
        (call_indirect (type $t) (local.get 0) (i32.const 0)))
      (func $loop (param i32) (result i32) (local i32)
        (block (loop
          (br_if 1 (i32.ge_u (local.get 1) (i32.const 10)))
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (global.set $g (i32.mul (global.get $g) (i32.const 3)))
          (br 0)))
        (global.get $g))
      (elem (i32.const 0) $inc $mem)
      (data (i32.const 32) "hostile")
      (export "inc" (func $inc)) (export "mem" (func $mem))
      (export "ind" (func $ind)) (export "loop" (func $loop)))"""
)


_ARG = {"i32": 3, "i64": 3, "f32": 3.0, "f64": 3.0, "v128": 3, "funcref": None, "externref": None}


class _Timeout(Exception):
    pass


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Mutations can make endless loops: give each module a time budget."""

    def on_alarm(signum: int, frame: object) -> None:
        raise _Timeout

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM")
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(8, len(_SAMPLE) - 1), st.integers(0, 255)), max_size=3))
def test_mutated_modules_raise_only_typed_errors(edits: list[tuple[int, int]]) -> None:
    data = bytearray(_SAMPLE)
    for pos, byte in edits:
        data[pos] = byte
    rt = Runtime()
    try:
        with _deadline(2.0):
            mod = rt.instantiate(bytes(data), ModuleConfig(start_functions=()))
            for name in mod.exported_functions:
                fn = mod.exported_function(name)
                args = [_ARG[t] for t in fn.definition.param_types]
                try:
                    fn(*args)
                except WasmError:
                    pass
    except (WasmError, _Timeout):
        pass
    # the runtime is still usable
    assert rt.instantiate(_SAMPLE).exported_function("inc")(41) == 42
