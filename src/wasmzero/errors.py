"""The exceptions wasmzero raises: one hierarchy rooted at :class:`WasmError`.

Every failure caused by a module, an import or a guest program is one of
these, with the details in attributes rather than only in the message.

See https://webassembly.github.io/spec/core/appendix/implementation.html
"""

from __future__ import annotations

__all__ = [
    "WasmError",
    "DecodeError",
    "ValidationError",
    "LinkError",
    "InstantiationError",
    "Trap",
    "TrapKind",
    "ExitError",
]

from enum import Enum


class WasmError(Exception):
    """Base class of every error wasmzero raises for WebAssembly reasons."""


class DecodeError(WasmError):
    """The bytes are not a well-formed binary module (the spec's "malformed").

    Attributes:
        reason: the spec's wording, e.g. ``"unexpected end"``.
        offset: byte offset in the module where decoding failed.
    """

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(f"{reason} at offset {offset:#x}")
        self.reason = reason
        self.offset = offset


class ValidationError(WasmError):
    """The module decodes but is not valid (the spec's "invalid").

    Attributes:
        reason: the spec's wording, e.g. ``"type mismatch"``.
        func_index: index of the function (in the function index space) whose
            body is invalid, or None for a module-level error.
        offset: byte offset of the offending instruction or item, or None.
    """

    def __init__(
        self,
        reason: str,
        func_index: int | None = None,
        offset: int | None = None,
        detail: str = "",
    ) -> None:
        where = []
        if func_index is not None:
            where.append(f"in function[{func_index}]")
        if offset is not None:
            where.append(f"at offset {offset:#x}")
        msg = reason
        if detail:
            msg += f" ({detail})"
        if where:
            msg += " " + " ".join(where)
        super().__init__(msg)
        self.reason = reason
        self.func_index = func_index
        self.offset = offset
        self.detail = detail


class LinkError(WasmError):
    """An import cannot be satisfied: missing, or of the wrong kind or type.

    Attributes:
        module: the import's module name; name: the import's field name.
    """

    def __init__(self, message: str, module: str = "", name: str = "") -> None:
        super().__init__(message)
        self.module = module
        self.name = name


class InstantiationError(WasmError):
    """Instantiation failed for a reason other than a trap or a link error
    (for example a module name already in use)."""


class TrapKind(Enum):
    """Why a trap happened; the value is the spec's message."""

    UNREACHABLE = "unreachable"
    MEMORY_OUT_OF_BOUNDS = "out of bounds memory access"
    INTEGER_DIVIDE_BY_ZERO = "integer divide by zero"
    INTEGER_OVERFLOW = "integer overflow"
    INVALID_CONVERSION = "invalid conversion to integer"
    UNDEFINED_ELEMENT = "undefined element"
    UNINITIALIZED_ELEMENT = "uninitialized element"
    INDIRECT_CALL_TYPE_MISMATCH = "indirect call type mismatch"
    TABLE_OUT_OF_BOUNDS = "out of bounds table access"
    CALL_STACK_EXHAUSTED = "call stack exhausted"
    #: The call ran past its deadline (``RuntimeConfig.call_timeout`` or
    #: ``Runtime.deadline``).
    DEADLINE_EXCEEDED = "deadline exceeded"
    #: The module's fuel ran out (``RuntimeConfig.fuel``, ``Module.fuel``).
    OUT_OF_FUEL = "out of fuel"


class Trap(WasmError):
    """A WebAssembly trap: execution stopped; the runtime stays usable.

    Attributes:
        kind: a :class:`TrapKind`.
        wasm_stack: the wasm frames active when it trapped, innermost first,
            as printable strings (function debug names).
    """

    def __init__(self, kind: TrapKind, message: str | None = None) -> None:
        super().__init__(message or kind.value)
        self.kind = kind
        self.wasm_stack: list[str] = []

    def __str__(self) -> str:
        text = super().__str__()
        if self.wasm_stack:
            text += "\nwasm stack trace:\n" + "\n".join("\t" + f for f in self.wasm_stack)
        return text


class ExitError(WasmError):
    """The module (or the runtime) was closed with an exit code, for example by
    WASI ``proc_exit``. ``exit_code`` 0 means success."""

    def __init__(self, exit_code: int, message: str | None = None) -> None:
        super().__init__(message or f"module closed with exit_code({exit_code})")
        self.exit_code = exit_code
