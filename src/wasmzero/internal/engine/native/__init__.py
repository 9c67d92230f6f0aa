"""The native engine: WebAssembly compiled to x86-64 machine code by our own
encoder (asm.py, compile.py), run through ctypes (exec.py, engine.py)."""
