"""WASI snapshot preview1: constants, struct layouts and the function
implementations behind :mod:`wasmzero.imports.wasi_snapshot_preview1`."""
