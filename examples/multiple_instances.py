"""One compiled module, many instances: compile once, instantiate under
different names (or anonymously); each instance has its own state.

Run from the repository root: ``python examples/multiple_instances.py``
"""

from pathlib import Path

from wasmzero import ModuleConfig, Runtime

HERE = Path(__file__).parent

with Runtime() as rt:
    compiled = rt.compile_module((HERE / "counter.wasm").read_bytes())
    a = rt.instantiate_module(compiled, ModuleConfig(name="a"))
    b = rt.instantiate_module(compiled, ModuleConfig(name="b"))
    for _ in range(3):
        a.exported_function("next")()
    b.exported_function("next")()
    print("a:", a.exported_global("count").value, "b:", b.exported_global("count").value)
    anonymous = [rt.instantiate_module(compiled) for _ in range(5)]
    print("anonymous instances:", len(anonymous))
