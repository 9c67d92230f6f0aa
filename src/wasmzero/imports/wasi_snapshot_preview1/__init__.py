"""WASI snapshot preview1 as a host module, like wazero's
``imports/wasi_snapshot_preview1``.

Ex.::

    import io
    from wasmzero import ModuleConfig, Mount, Runtime, ExitError
    from wasmzero.imports import wasi_snapshot_preview1 as wasi

    with Runtime() as rt:
        wasi.instantiate(rt)
        out = io.BytesIO()
        try:
            rt.instantiate(wasm, ModuleConfig(args=("prog", "x"), stdout=out,
                                              mounts=(Mount("data", "/data"),)))
        except ExitError as e:  # proc_exit, including exit code 0
            print(e.exit_code)

The system each instance sees (args, environment, stdio, clocks, random,
pre-opened directories) comes from its :class:`~wasmzero.ModuleConfig`.
Filesystem access is confined to the mounts: absolute paths, ``..`` above a
directory descriptor and symbolic links leading out are refused (EPERM), and
a read-only mount refuses every write (EROFS). No sockets are pre-opened, so
``sock_*`` return EBADF or ENOTSOCK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...internal.wasip1 import functions as _functions
from ...internal.wasip1 import paths as _paths
from ...internal.wasip1.signatures import SIGNATURES

if TYPE_CHECKING:
    from ...runtime import Module, Runtime

__all__ = ["MODULE_NAME", "LEGACY_MODULE_NAME", "FUNCTION_NAMES", "instantiate", "builder"]

#: The module name WASI preview1 programs import from.
MODULE_NAME = "wasi_snapshot_preview1"
#: The name of the older snapshot, compatible for these 46 functions.
LEGACY_MODULE_NAME = "wasi_unstable"
#: The exported function names, in witx order.
FUNCTION_NAMES = tuple(SIGNATURES)


def builder(runtime: Runtime, name: str = MODULE_NAME):  # noqa: ANN201 - HostModuleBuilder
    """A host module builder with every WASI function defined (to add more
    exports or instantiate later)."""
    b = runtime.host_module(name)
    for fname, (params, results) in SIGNATURES.items():
        b.function(
            fname,
            getattr(_paths if fname.startswith("path_") else _functions, fname),
            [t for _, t in params],
            list(results and ["i32"]),
            raw=True,
            param_names=[n for n, _ in params],
            result_names=list(results),
        )
    return b


def instantiate(runtime: Runtime, name: str = MODULE_NAME) -> Module:
    """Instantiate WASI preview1 in ``runtime`` under ``name`` (use
    :data:`LEGACY_MODULE_NAME` for ``wasi_unstable`` programs)."""
    return builder(runtime, name).instantiate()
