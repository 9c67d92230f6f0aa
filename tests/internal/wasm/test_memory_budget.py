"""Memory is bounded as a whole (issue 18, item 3): a runtime-wide budget,
and every allocation failure a typed error (``InstantiationError``, or -1
from ``memory.grow``), never a bare ``MemoryError`` -- also under an
address-space limit, on every installed CPython."""

from __future__ import annotations

import gc
import os
import subprocess
from pathlib import Path

import pytest

from wasmzero import InstantiationError, Runtime, RuntimeConfig

from .test_callstack import SRC, _pythons

wasmtime = pytest.importorskip("wasmtime")

MIB = 1024 * 1024


def _memory_module(min_pages: int, max_pages: int | None = None) -> bytes:
    limits = f"{min_pages} {max_pages}" if max_pages is not None else f"{min_pages}"
    return wasmtime.wat2wasm(
        f"""(module (memory (export "mem") {limits})
          (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
          (func (export "size") (result i32) memory.size))"""
    )


def test_budget_refuses_a_memory_beyond_it() -> None:
    with Runtime(RuntimeConfig(memory_budget=40 * MIB)) as rt:
        first = rt.instantiate(_memory_module(400))  # 25 MiB
        with pytest.raises(InstantiationError, match="budget"):
            rt.instantiate(_memory_module(400))
        first.close()
        del first
        gc.collect()
        # The first memory's bytes came back.
        second = rt.instantiate(_memory_module(400))
        assert second.exported_function("size")() == 400


def test_grow_beyond_budget_returns_minus_one() -> None:
    with Runtime(RuntimeConfig(memory_budget=10 * MIB)) as rt:
        mod = rt.instantiate(_memory_module(100))  # 6.25 MiB
        grow = mod.exported_function("grow")
        assert grow(50) == 100  # 9.4 MiB
        assert grow(20) == -1  # 10.6 MiB: over
        assert mod.memory.grow(20) == -1
        assert mod.memory.grow(10) == 150
        assert mod.exported_function("size")() == 160


def test_host_memories_count() -> None:
    with Runtime(RuntimeConfig(memory_budget=10 * MIB)) as rt:
        rt.host_module("env").memory("mem", 120).instantiate()  # 7.5 MiB
        with pytest.raises(InstantiationError, match="budget"):
            rt.instantiate(_memory_module(50))


def test_budget_validated() -> None:
    with pytest.raises(ValueError):
        RuntimeConfig(memory_budget=-1)
    assert RuntimeConfig(memory_budget=None).memory_budget is None


_UNDER_LIMIT = """
import resource, sys
from wasmzero import InstantiationError, Runtime, RuntimeConfig
resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 * 1024, resource.RLIM_INFINITY))
big, small = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
rt = Runtime(RuntimeConfig(memory_budget=None))
try:
    rt.instantiate(big)
    print("instantiated")
except InstantiationError as e:
    print("InstantiationError", "out of memory" in str(e))
mod = rt.instantiate(small)
print("grow", mod.exported_function("grow")(40000), mod.memory.grow(40000))
print("size", mod.exported_function("size")())
print("grow", mod.exported_function("grow")(10))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs RLIMIT_AS (POSIX)")
@pytest.mark.parametrize("python", _pythons())
def test_allocation_failures_under_address_space_limit(python: str, tmp_path: Path) -> None:
    """Under a 1.5 GiB address-space limit: a 4 GiB memory fails to
    instantiate and 2.5 GiB growth returns -1, both typed; the runtime keeps
    working."""
    big = tmp_path / "big.wasm"
    big.write_bytes(_memory_module(65536))
    small = tmp_path / "small.wasm"
    small.write_bytes(_memory_module(1))
    proc = subprocess.run(
        [python, "-c", _UNDER_LIMIT, str(big), str(small)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(SRC)),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split("\n")[:4] == [
        "InstantiationError True",
        "grow -1 -1",
        "size 1",
        "grow 1",
    ]


def test_default_budget() -> None:
    assert RuntimeConfig().memory_budget == 8 * 1024**3
