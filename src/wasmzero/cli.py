"""The ``wasmzero`` command line.

Ex.::

    wasmzero inspect module.wasm
    wasmzero version
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .errors import WasmError
from .version import __version__

_SECTION_NAMES = {
    0: "custom",
    1: "type",
    2: "import",
    3: "function",
    4: "table",
    5: "memory",
    6: "global",
    7: "export",
    8: "start",
    9: "element",
    10: "code",
    11: "data",
    12: "data count",
}


def _inspect(path: str) -> int:
    from .internal.binary.decoder import decode_module
    from .internal.wasm.types import (
        EXTERN_FUNC,
        EXTERN_GLOBAL,
        EXTERN_MEMORY,
        EXTERN_NAMES,
        EXTERN_TABLE,
    )
    from .internal.wasm.validation import validate_module

    with open(path, "rb") as f:
        data = f.read()
    module = decode_module(data)
    validate_module(module)
    out = sys.stdout.write
    out(f"module: {path} ({len(data)} bytes)\n")
    if module.names.module:
        out(f"name: {module.names.module}\n")
    out("sections: " + ", ".join(_SECTION_NAMES.get(s, str(s)) for s in module.section_ids) + "\n")
    types = module.types
    out(f"imports ({len(module.imports)}):\n")
    for imp in module.imports:
        desc = imp.desc
        if imp.kind == EXTERN_FUNC:
            desc = types[imp.desc]
        elif imp.kind == EXTERN_MEMORY:
            desc = desc.limits
        elif imp.kind == EXTERN_TABLE:
            desc = desc.limits
        out(f"  {EXTERN_NAMES[imp.kind]} {imp.module}.{imp.name}: {desc}\n")
    ftypes = module.func_types()
    all_globals = module.all_globals()
    out(f"exports ({len(module.exports)}):\n")
    for e in module.exports:
        if e.kind == EXTERN_FUNC:
            desc = str(ftypes[e.index])
        elif e.kind == EXTERN_GLOBAL:
            desc = str(all_globals[e.index])
        elif e.kind == EXTERN_MEMORY:
            desc = str(module.all_memories()[e.index].limits)
        else:
            desc = str(module.all_tables()[e.index].limits)
        out(f"  {EXTERN_NAMES[e.kind]} {e.name}: {desc}\n")
    out(f"functions: {len(module.funcs)} defined, {module.num_imported_funcs} imported\n")
    if module.memories:
        out(f"memory: {module.memories[0].limits} pages\n")
    if module.custom_sections:
        out("custom sections: " + ", ".join(c.name for c in module.custom_sections) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wasmzero`` command; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="wasmzero", description="A pure-Python WebAssembly runtime"
    )
    parser.add_argument("--version", action="version", version=f"wasmzero {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p_inspect = sub.add_parser("inspect", help="print a module's imports, exports and sections")
    p_inspect.add_argument("file", help="a .wasm file")
    sub.add_parser("version", help="print the version")
    args = parser.parse_args(argv)
    try:
        if args.command == "version":
            print(f"wasmzero {__version__}")
            return 0
        return _inspect(args.file)
    except OSError as e:
        print(f"error: {e.filename or args.file}: {e.strerror}", file=sys.stderr)
        return 1
    except WasmError as e:
        print(f"error: {args.file}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
