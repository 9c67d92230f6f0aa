"""Value types, function types, limits and the other types of the spec.

Value types are plain ints, the byte that encodes them in the binary format,
so the decoder, validator and engines share one representation without
conversions.

See https://webassembly.github.io/spec/core/syntax/types.html
"""

from __future__ import annotations

from ..record import record

I32 = 0x7F
I64 = 0x7E
F32 = 0x7D
F64 = 0x7C
V128 = 0x7B
FUNCREF = 0x70
EXTERNREF = 0x6F

NUM_TYPES = (I32, I64, F32, F64)
REF_TYPES = (FUNCREF, EXTERNREF)
VALUE_TYPES = (I32, I64, F32, F64, V128, FUNCREF, EXTERNREF)

VALTYPE_NAMES = {
    I32: "i32",
    I64: "i64",
    F32: "f32",
    F64: "f64",
    V128: "v128",
    FUNCREF: "funcref",
    EXTERNREF: "externref",
}
VALTYPE_BY_NAME = {v: k for k, v in VALTYPE_NAMES.items()}


def valtype_name(t: int) -> str:
    return VALTYPE_NAMES.get(t, f"<type {t:#x}>")


def is_ref(t: int) -> bool:
    return t == FUNCREF or t == EXTERNREF


# External kinds (import/export descriptors).
EXTERN_FUNC = 0
EXTERN_TABLE = 1
EXTERN_MEMORY = 2
EXTERN_GLOBAL = 3
EXTERN_NAMES = {
    EXTERN_FUNC: "func",
    EXTERN_TABLE: "table",
    EXTERN_MEMORY: "memory",
    EXTERN_GLOBAL: "global",
}

PAGE_SIZE = 65536
MAX_PAGES = 65536  # 4 GiB
MAX_TABLE_SIZE = 0xFFFFFFFF


@record(frozen=True)
class FuncType:
    """A function type: parameter and result value types."""

    params: tuple[int, ...]
    results: tuple[int, ...]

    def __str__(self) -> str:
        p = ", ".join(valtype_name(t) for t in self.params)
        r = ", ".join(valtype_name(t) for t in self.results)
        return f"({p}) -> ({r})"


@record(frozen=True)
class Limits:
    min: int
    max: int | None = None

    def __str__(self) -> str:
        return (
            f"{{min {self.min}, max {self.max}}}" if self.max is not None else f"{{min {self.min}}}"
        )


@record(frozen=True)
class TableType:
    elem_type: int  # FUNCREF or EXTERNREF
    limits: Limits


@record(frozen=True)
class MemoryType:
    limits: Limits


@record(frozen=True)
class GlobalType:
    val_type: int
    mutable: bool

    def __str__(self) -> str:
        t = valtype_name(self.val_type)
        return f"(mut {t})" if self.mutable else t


def limits_match(actual: Limits, expected: Limits) -> bool:
    """Import matching of limits: the provided limits must be a sub-range.

    See https://webassembly.github.io/spec/core/exec/modules.html#limits
    """
    if actual.min < expected.min:
        return False
    if expected.max is None:
        return True
    if actual.max is None:
        return False
    return actual.max <= expected.max
