"""The memory accesses that have a typed view of memory (``MVI``, ``MVQ``...,
see ``namespace.make_views``): which view and the size of an access. Read
by the alignment pass (what alignment an access needs) and by the memory
emitter (how it reads or writes through the view).
"""

from __future__ import annotations

from .opcodes import (
    _F32_LOAD,
    _F32_STORE,
    _F64_LOAD,
    _F64_STORE,
    _I32_LOAD,
    _I32_LOAD16_U,
    _I32_STORE,
    _I64_LOAD,
    _I64_LOAD16_U,
    _I64_LOAD32_U,
    _I64_STORE,
)

# Loads and stores that have a typed view of memory (namespace.make_views):
# opcode -> (view, access size). A store's value is canonical, as the view
# requires (an unsigned integer of the access width, or a float).
_VIEWS = {
    _F32_LOAD: ("MVf", 4),  # f32.load
    _F32_STORE: ("MVf", 4),  # f32.store
    _I32_LOAD: ("MVI", 4),  # i32.load
    _I64_LOAD: ("MVQ", 8),  # i64.load
    _F64_LOAD: ("MVd", 8),  # f64.load
    _I32_LOAD16_U: ("MVH", 2),  # i32.load16_u
    _I64_LOAD16_U: ("MVH", 2),  # i64.load16_u
    _I64_LOAD32_U: ("MVI", 4),  # i64.load32_u
    _I32_STORE: ("MVI", 4),  # i32.store
    _I64_STORE: ("MVQ", 8),  # i64.store
    _F64_STORE: ("MVd", 8),  # f64.store
}


# Opcode -> the alignment (log2 of the size) its typed view needs.
_VIEW_SHIFT = {op: size.bit_length() - 1 for op, (_, size) in _VIEWS.items()}
