"""Large linear memories come from PyObject_Calloc, their pages untouched
until used (internal/wasm/zeroed.py): they must behave as bytearray(n) does,
under every allocator configuration."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import wasmtime

from wasmzero import Runtime
from wasmzero.internal.wasm.zeroed import MIN_LAZY, zeroed

SRC = Path(__file__).resolve().parents[3] / "src"


@pytest.mark.parametrize("n", [0, 1, MIN_LAZY - 1, MIN_LAZY, 257 * 65536])
def test_zeroed_is_a_bytearray_of_zeros(n: int) -> None:
    b = zeroed(n)
    assert type(b) is bytearray and len(b) == n and b.count(0) == n
    b.extend(b"\x01\x02")  # grows through the interpreter's own realloc
    assert len(b) == n + 2 and b[-2:] == b"\x01\x02" and b.count(0) == n
    with memoryview(b) as view:
        view[0] = 9
    assert b[0] == 9
    b[n:] = b""
    assert len(b) == n and b.count(0) == n - (1 if n else 0)


def test_a_c_programs_memory_reads_zero_and_grows() -> None:
    wasm = wasmtime.wat2wasm(
        """(module (memory (export "m") 257)
          (func (export "g") (param i32) (result i32)
            (drop (memory.grow (local.get 0))) (local.get 0)))"""
    )
    with Runtime() as rt:
        m = rt.instantiate(wasm)
        mem = m.exported_memory("m")
        assert mem is not None and mem.size == 257 * 65536
        assert mem.read(257 * 65536 - 8, 8) == bytes(8)
        assert m.exported_function("g")(3) == 3
        assert mem.size == 260 * 65536 and mem.read(259 * 65536, 4) == bytes(4)


@pytest.mark.parametrize("config", [{"PYTHONMALLOC": "debug"}, {"PYTHONMALLOC": "malloc"}, {}])
def test_every_allocator_frees_what_it_allocated(config: dict[str, str]) -> None:
    code = (
        "from wasmzero.internal.wasm.zeroed import zeroed\n"
        "for i in range(50):\n"
        "    x = zeroed((1 << 22) + i)\n"
        "    x[-1] = 1\n"
        "    x += bytes(1 << 20)\n"
        "    assert x.count(0) == len(x) - 1\n"
        "    del x\n"
        "print('ok')\n"
    )
    r = subprocess.run(
        [sys.executable, "-X", "dev", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC), **config},
        timeout=120,
    )
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]


def test_threads_allocating_and_freeing_at_once() -> None:
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        try:
            for i in range(40):
                b = zeroed(MIN_LAZY + 4096 * ((seed + i) % 7))
                b[seed] = seed
                b.extend(bytes(4096))
                assert b[seed] == seed and b.count(0) == len(b) - (1 if seed else 0)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
