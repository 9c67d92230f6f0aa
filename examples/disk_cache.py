"""The compilation cache on disk: a second process (or runtime) reuses the
translated code instead of translating again.

Run from the repository root: ``python examples/disk_cache.py [DIR]``
"""

import sys
import tempfile
from pathlib import Path

from wasmzero import CompilationCache, Runtime, RuntimeConfig

HERE = Path(__file__).parent
directory = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="wasmzero-cache-")

cache = CompilationCache(directory=directory)
with Runtime(RuntimeConfig(compilation_cache=cache)) as rt:
    mod = rt.instantiate((HERE / "add.wasm").read_bytes())
    print("add(20, 22) =", mod.exported_function("add")(20, 22))
print("cache files:", sorted(p.suffix for p in Path(directory).iterdir()))
