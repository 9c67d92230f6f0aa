"""The native engine against the compiler engine on random modules
(``gen.py``: integer expressions, locals, every branch form, direct calls,
loads and stores in and out of bounds, globals): the same results, traps and
final memory, and every generated function compiled natively. Native code
runs in a subprocess, so a crash fails the test instead of the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("wasmtime")

SEEDS = range(int(os.environ.get("WZ_GEN_SEEDS", "3000")))

SCRIPT = """
import hashlib, json, sys, wasmtime
from wasmzero import Runtime, RuntimeConfig, Trap
from tests.internal.engine.native.gen import FUNCS, INPUTS, random_module
out = {}
native = 0
for seed in range(int(sys.argv[1]), int(sys.argv[2])):
    data = wasmtime.wat2wasm(random_module(seed))
    res = {}
    for eng in ("compiler", "native"):
        rt = Runtime(RuntimeConfig(engine=eng))
        compiled = rt.compile_module(data)
        m = rt.instantiate_module(compiled)
        vals = []
        for f in range(FUNCS):
            for args in INPUTS:
                try:
                    vals.append(m.exported_function(f"f{f}")(*args))
                except Trap as e:
                    vals.append(e.kind.name)
        vals.append(hashlib.sha256(bytes(m.memory.read(0, 65536))).hexdigest())
        res[eng] = vals
        if eng == "native":
            native += len(compiled._code.compile_native())
    out[seed] = res
print(json.dumps({"out": out, "native": native}))
"""


def test_native_agrees_with_compiler_on_random_modules() -> None:
    root = os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    )
    p = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(SEEDS.start), str(SEEDS.stop)],
        capture_output=True, text=True, cwd=root, timeout=300,
    )  # fmt: skip
    assert p.returncode == 0, f"crashed (rc={p.returncode}): {p.stderr[-2000:]}"
    got = json.loads(p.stdout)
    # Every generated function is compiled to machine code.
    assert got["native"] == 4 * len(SEEDS)
    for seed, res in got["out"].items():
        assert res["native"] == res["compiler"], f"seed {seed}"
