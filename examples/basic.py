"""The basic example: instantiate a module and call its exported ``add``.

Run from the repository root: ``python examples/basic.py``
"""

from pathlib import Path

from wasmzero import Runtime

HERE = Path(__file__).parent

with Runtime() as rt:
    mod = rt.instantiate((HERE / "add.wasm").read_bytes())
    add = mod.exported_function("add")
    print(add.definition.debug_name, add.definition.param_names, "->", add(2, 3))
    print("wrap-around:", add(0x7FFFFFFF, 1))
