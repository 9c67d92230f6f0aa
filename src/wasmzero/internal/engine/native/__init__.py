"""The native engine: WebAssembly compiled to x86-64 machine code by a
pure-Python encoder (``asm.py``, ``compile.py``), run from executable memory
through ``ctypes`` (``exec.py``); see ``engine.py`` and RATIONALE.md."""
