"""Host modules that programs commonly import, ready to instantiate.

Ex.::

    from wasmzero import Runtime, ModuleConfig
    from wasmzero.imports import wasi_snapshot_preview1 as wasi

    with Runtime() as rt:
        wasi.instantiate(rt)
        rt.instantiate(wasm, ModuleConfig(args=("prog",)))

* :mod:`wasmzero.imports.wasi_snapshot_preview1`: WASI preview1 (the
  ``wasi_snapshot_preview1`` or legacy ``wasi_unstable`` module), with a
  filesystem sandboxed to the ``ModuleConfig.mounts``.
"""
