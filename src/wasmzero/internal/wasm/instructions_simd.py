"""SIMD (0xFD-prefixed) rows of the instruction table; same format as
``instructions._TABLE``. Opcodes are ``0xFD00 | sub``."""

TABLE = """
"""
