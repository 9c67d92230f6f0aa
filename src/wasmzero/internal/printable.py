"""Names from a module made safe to print.

Export, import, module and function names (name section) are written by
whoever wrote the module. Printed as they are in a trap's stack trace, an
error message or the command line's output, a name holding a newline, an
escape sequence (``\\x1b[...``) or a bidirectional override (U+202E) forges
log lines or hides text. Every such name is printed through
:func:`printable`, which, like Go's ``strconv.Quote`` (wazero formats names
with ``%q``), keeps printable characters and writes every other one as an
escape: ``\\n``, ``\\t``, ``\\r``, ``\\xHH``, ``\\uHHHH`` or
``\\UHHHHHHHH``. A backslash is doubled, so an escape in the output always
stands for one character of the name and never is the name's own text.
Printable names (all of any toolchain's) come out unchanged.
"""

from __future__ import annotations

__all__ = ["printable"]

_SHORT = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\"}


def printable(name: str) -> str:
    """``name`` with every non-printable character (``str.isprintable``:
    controls, format characters such as bidi overrides, line and paragraph
    separators, non-space blanks, unassigned code points) and the backslash
    escaped; a printable name is returned unchanged."""
    if name.isprintable() and "\\" not in name:
        return name
    out = []
    for c in name:
        if c.isprintable() and c != "\\":
            out.append(c)
            continue
        short = _SHORT.get(c)
        if short is not None:
            out.append(short)
            continue
        code = ord(c)
        if code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)
