"""The interpreter engine, and the compiler engine's fallback for functions CPython cannot compile."""
