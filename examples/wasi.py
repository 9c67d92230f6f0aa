"""A WASI program from Python: arguments in, output captured, exit code out.

``hello.wasm`` is ``hello.c`` compiled to wasm32-wasi (``examples/build.sh``).

Run from the repository root: ``python examples/wasi.py``
"""

import io
from pathlib import Path

from wasmzero import ExitError, ModuleConfig, Runtime
from wasmzero.imports import wasi_snapshot_preview1 as wasi

HERE = Path(__file__).parent

with Runtime() as rt:
    wasi.instantiate(rt)
    compiled = rt.compile_module((HERE / "hello.wasm").read_bytes())
    for args in (("hello",), ("hello", "40", "2")):
        out = io.BytesIO()
        try:
            # _start runs at instantiation; each run is an anonymous instance.
            rt.instantiate_module(compiled, ModuleConfig(args=args, stdout=out))
            code = 0
        except ExitError as e:
            code = e.exit_code
        print(f"{' '.join(args)!r} exit {code}: {out.getvalue().decode().splitlines()[-1]}")
