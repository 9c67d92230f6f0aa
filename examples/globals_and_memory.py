"""Globals and memory from Python: read and write a mutable global, typed
memory access, and growing memory.

Run from the repository root: ``python examples/globals_and_memory.py``
"""

from pathlib import Path

from wasmzero import Runtime

HERE = Path(__file__).parent

with Runtime() as rt:
    mod = rt.instantiate((HERE / "counter.wasm").read_bytes())
    count = mod.exported_global("count")
    count.value = 41
    print("next:", mod.exported_function("next")())
    mem = mod.memory
    print("memory[0] as u32:", mem.read_u32(0))
    mem.write_f64(8, 2.5)
    print("f64 at 8:", mem.read_f64(8), "pages:", mem.pages)
    print("grow by 2 returned", mem.grow(2), "-> pages:", mem.pages)
