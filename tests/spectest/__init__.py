"""The official WebAssembly spec suite, run against wasmzero.

``python -m tests.spectest --suite v1|v2 [--engine NAME] [--script NAME] [-v]``
"""
