"""The call-depth bound (issue 18, items 1, 2 and 6; issue 21, item 4): no
guest crashes the process, whatever its recursion through host functions
and whatever the calling thread's stack; the depth is per thread; a host
function's own RecursionError stays the host's."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from wasmzero import Runtime, RuntimeConfig, Trap, TrapKind, i32

wasmtime = pytest.importorskip("wasmtime")

SCENARIOS = Path(__file__).with_name("stack_scenarios.py")
SRC = Path(__file__).resolve().parents[3] / "src"

WAT = """
(module
  (import "env" "cb" (func $cb (param i32) (result i32)))
  (import "env" "own" (func $own (param i32) (result i32)))
  (func $down (export "down") (param i32) (result i32)
    local.get 0 i32.eqz if (result i32) i32.const 0 else
    local.get 0 i32.const 1 i32.sub call $down i32.const 1 i32.add end)
  (func $down5 (export "down5") (param i32 i32 i32 i32 i32) (result i32)
    local.get 0 i32.eqz if (result i32) i32.const 0 else
    local.get 0 i32.const 1 i32.sub local.get 1 local.get 2 local.get 3 local.get 4
    call $down5 i32.const 1 i32.add end)
  (func $forever (export "forever") (param i32) (result i32)
    local.get 0 call $forever)
  (func $forever5 (export "forever5") (param i32 i32 i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 local.get 3 local.get 4 call $forever5)
  (func (export "call_own") (param i32) (result i32) local.get 0 call $own)
  (func (export "rec") (param i32) (result i32)
    local.get 0 i32.eqz if (result i32) i32.const 0 else
    local.get 0 i32.const 1 i32.sub call $cb i32.const 1 i32.add end))
"""


def _pythons() -> list[str]:
    """This interpreter and every CPython 3.10-3.13 pyenv has installed."""
    found = [sys.executable]
    for minor in (10, 11, 12, 13):
        found += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/3.{minor}.*/bin/python")))
    return found


def _expected(version: tuple[int, int]) -> dict[str, str]:
    out = {}
    for engine in ("compiler", "interpreter"):
        out[f"{engine} down 10000"] = "ok 10000"
        out[f"{engine} down5 3000"] = "ok 3000"
        out[f"{engine} forever"] = "trap CALL_STACK_EXHAUSTED"
        out[f"{engine} forever5"] = "trap CALL_STACK_EXHAUSTED"
        out[f"{engine} host round trips 50"] = "ok 50"
        out[f"{engine} host round trips forever"] = "trap CALL_STACK_EXHAUSTED"
        out[f"{engine} host's own recursion"] = "RecursionError"
        out[f"{engine} after"] = "ok 100"
        out[f"{engine} high limit forever"] = "trap CALL_STACK_EXHAUSTED"
        out[f"{engine} high limit host round trips forever"] = "trap CALL_STACK_EXHAUSTED"
    if version == (3, 10):
        # 3.10's frames use the C stack: at most 11,000 Python frames, three
        # per interpreted call.
        out["interpreter down 10000"] = "trap CALL_STACK_EXHAUSTED"
    return out


@pytest.mark.parametrize("stack", ["main", "256"])
@pytest.mark.parametrize("python", _pythons())
def test_guest_recursion_never_crashes(python: str, stack: str, tmp_path: Path) -> None:
    """Wasm recursion, wasm -> host -> wasm recursion and a host function's
    own recursion, on both engines, on the main thread and in a thread with a
    256 KiB stack, on every installed CPython: traps, never a crash."""
    wasm = tmp_path / "m.wasm"
    wasm.write_bytes(wasmtime.wat2wasm(WAT))
    version = subprocess.run(
        [python, "-c", "import sys; print(*sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.run(
        [python, str(SCENARIOS), str(wasm), stack],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = dict(line.split(": ", 1) for line in proc.stdout.splitlines() if ": " in line)
    assert lines == _expected((int(version[0]), int(version[1])))
    assert proc.stdout.rstrip().endswith("done")


def _module(rt: Runtime, holder: dict) -> object:
    def cb(x: i32) -> i32:
        return holder["rec"](x)

    def own(x: i32) -> i32:
        return own(x)

    rt.host_module("env").function("cb", cb).function("own", own).instantiate()
    mod = rt.instantiate(wasmtime.wat2wasm(WAT))
    holder["rec"] = mod.exported_function("rec")
    return mod


@pytest.mark.parametrize("engine", ["compiler", "interpreter"])
def test_max_call_depth_is_configurable(engine: str) -> None:
    with Runtime(RuntimeConfig(engine=engine, max_call_depth=600)) as rt:
        mod = _module(rt, {})
        down = mod.exported_function("down")  # type: ignore[attr-defined]
        assert down(100) == 100
        with pytest.raises(Trap) as info:
            # The bound is max_call_depth frames above the caller's recursion
            # limit (1,000 by default): 5,000 calls exceed it.
            down(5000)
        assert info.value.kind is TrapKind.CALL_STACK_EXHAUSTED
        assert down(100) == 100
    with pytest.raises(ValueError):
        RuntimeConfig(max_call_depth=0)


def test_host_recursion_error_is_the_hosts() -> None:
    with Runtime() as rt:
        mod = _module(rt, {})
        with pytest.raises(RecursionError):
            mod.exported_function("call_own")(1)  # type: ignore[attr-defined]


def test_host_round_trips_trap_in_process() -> None:
    with Runtime() as rt:
        mod = _module(rt, {})
        rec = mod.exported_function("rec")  # type: ignore[attr-defined]
        assert rec(40) == 40
        with pytest.raises(Trap) as info:
            rec(-1)
        assert info.value.kind is TrapKind.CALL_STACK_EXHAUSTED
        assert rec(40) == 40


def test_recursion_limit_restored() -> None:
    before = sys.getrecursionlimit()
    with Runtime() as rt:
        mod = _module(rt, {})
        with pytest.raises(Trap):
            mod.exported_function("forever")(1)  # type: ignore[attr-defined]
        assert mod.exported_function("down")(5000) == 5000  # type: ignore[attr-defined]
    assert sys.getrecursionlimit() == before


def test_small_stack_thread_runs_full_depth() -> None:
    """A thread with a 256 KiB stack gets the same depth as the main thread
    (its outermost call runs on a worker with a large stack)."""
    results: list = []

    def run() -> None:
        with Runtime() as rt:
            mod = _module(rt, {})
            results.append(mod.exported_function("down")(10_000))  # type: ignore[attr-defined]
            results.append(mod.exported_function("rec")(200))  # type: ignore[attr-defined]

    old = threading.stack_size(256 * 1024)
    try:
        t = threading.Thread(target=run)
        t.start()
    finally:
        threading.stack_size(old)
    t.join()
    assert results == [10_000, 200]
