"""Threads (issue 18 item 2, issue 21 item 4): a runtime is safe for
concurrent use -- compiling, instantiating, closing and calling different
modules from many threads -- and each thread's call depth is its own. One
module instance serves concurrent calls that share no guest state (the
guest's memory and globals are not synchronised: see the README)."""

from __future__ import annotations

import contextvars
import sys
import threading

import pytest

from wasmzero import ModuleConfig, Runtime, RuntimeConfig, Trap, TrapKind, i32

wasmtime = pytest.importorskip("wasmtime")

WAT = """
(module
  (import "env" "cb" (func $cb (param i32) (result i32)))
  (memory 1)
  (func $down (export "down") (param i32) (result i32)
    local.get 0 i32.eqz if (result i32) i32.const 0 else
    local.get 0 i32.const 1 i32.sub call $down i32.const 1 i32.add end)
  (func $forever (export "forever") (param i32) (result i32)
    local.get 0 call $forever)
  (func (export "rec") (param i32) (result i32)
    local.get 0 i32.eqz if (result i32) i32.const 0 else
    local.get 0 i32.const 1 i32.sub call $cb i32.const 1 i32.add end)
  (func (export "grow") (result i32) i32.const 1 memory.grow))
"""

THREADS = 8
ROUNDS = 12


def _hammer(engine: str) -> None:
    data = wasmtime.wat2wasm(WAT)
    errors: list[BaseException] = []
    with Runtime(RuntimeConfig(engine=engine)) as rt:
        # A context variable, not a threading.local: a call from a thread
        # with a small stack runs on a worker thread, which sees the caller's
        # context variables.
        rec_of_thread: contextvars.ContextVar = contextvars.ContextVar("rec")

        def cb(x: i32) -> i32:
            # Calls back into the module of the calling thread.
            return rec_of_thread.get()(x)

        rt.host_module("env").function("cb", cb).instantiate()
        compiled = rt.compile_module(data)
        shared = rt.instantiate_module(compiled, ModuleConfig(name="shared"))
        shared_down = shared.exported_function("down")
        start = threading.Barrier(THREADS + 1)

        def worker(k: int) -> None:
            try:
                start.wait()
                for r in range(ROUNDS):
                    mod = rt.instantiate_module(compiled, ModuleConfig(name=f"m{k}-{r}"))
                    rec = mod.exported_function("rec")
                    rec_of_thread.set(rec)
                    assert mod.exported_function("down")(300 + k) == 300 + k
                    assert rec(10 + k) == 10 + k
                    assert shared_down(200 + r) == 200 + r
                    if r % 4 == k % 4:
                        with pytest.raises(Trap) as info:
                            mod.exported_function("forever")(1)
                        assert info.value.kind is TrapKind.CALL_STACK_EXHAUSTED
                    mod.exported_function("grow")()
                    mod.close()
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
        for t in threads:
            t.start()
        start.wait()
        # Instantiate and close on the main thread while the others run.
        for _ in range(ROUNDS):
            mod = rt.instantiate_module(compiled)
            assert mod.exported_function("down")(50) == 50
            mod.close()
        for t in threads:
            t.join()
        assert not errors, errors
        # The depth state ended where it began: a deep call still has its
        # full room, and names of closed modules are free again.
        assert shared_down(10_000) == 10_000
        assert rt.module("m0-0") is None
        again = rt.instantiate_module(compiled, ModuleConfig(name="m0-0"))
        assert again.exported_function("down")(10) == 10


@pytest.mark.parametrize("engine", ["compiler", "interpreter", "native"])
def test_hammer(engine: str) -> None:
    before = sys.getrecursionlimit()
    _hammer(engine)
    assert sys.getrecursionlimit() == before


def test_hammer_with_small_stacks() -> None:
    """The same from threads with 256 KiB stacks (their outermost calls run
    on workers with a large stack)."""
    old = threading.stack_size(256 * 1024)
    try:
        _hammer("compiler")
    finally:
        threading.stack_size(old)


def test_overlapping_calls_keep_depth_per_thread() -> None:
    """The original failure: overlapping calls from two threads drove a
    shared depth negative, and later deep calls trapped early everywhere."""
    data = wasmtime.wat2wasm(WAT)
    with Runtime() as rt:
        gate = threading.Event()

        def cb(x: i32) -> i32:
            gate.wait(5)  # hold this thread inside wasm while the other runs
            return x

        rt.host_module("env").function("cb", cb).instantiate()
        mod = rt.instantiate(data)
        rec = mod.exported_function("rec")
        down = mod.exported_function("down")
        t = threading.Thread(target=rec, args=(1,))
        t.start()
        assert down(10_000) == 10_000  # while the other thread is inside
        gate.set()
        t.join()
        assert down(10_000) == 10_000
