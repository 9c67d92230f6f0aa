"""The module model: what the decoder produces and everything else consumes.

A :class:`Module` is the spec's abstract syntax of a module, with function
bodies as flat instruction lists (see :mod:`.instructions` for the form of an
instruction).

See https://webassembly.github.io/spec/core/syntax/modules.html
"""

from __future__ import annotations

from typing import Any

from ..record import default_factory, record
from .types import (
    EXTERN_FUNC,
    EXTERN_GLOBAL,
    EXTERN_MEMORY,
    EXTERN_TABLE,
    FuncType,
    GlobalType,
    MemoryType,
    TableType,
)

# An instruction is a tuple (opcode, immediate, offset); see instructions.py.
Instr = tuple[int, Any, int]


@record
class Import:
    module: str
    name: str
    kind: int  # EXTERN_*
    # EXTERN_FUNC: type index (int); EXTERN_TABLE: TableType;
    # EXTERN_MEMORY: MemoryType; EXTERN_GLOBAL: GlobalType.
    desc: Any
    offset: int = 0


@record
class Export:
    name: str
    kind: int  # EXTERN_*
    index: int
    offset: int = 0


@record
class Global:
    type: GlobalType
    init: list[Instr]  # constant expression, ending with `end`
    offset: int = 0


# Segment modes.
MODE_ACTIVE = 0
MODE_PASSIVE = 1
MODE_DECLARATIVE = 2


@record
class ElementSegment:
    mode: int  # MODE_*
    elem_type: int  # FUNCREF or EXTERNREF
    # Each element is a constant expression (ending with `end`); the
    # function-index encodings are normalised to [ref.func i, end].
    init: list[list[Instr]]
    table: int = 0
    offset_expr: list[Instr] | None = None  # active only
    offset: int = 0  # byte offset of the segment in the module


@record
class DataSegment:
    mode: int  # MODE_ACTIVE or MODE_PASSIVE
    data: bytes | memoryview  # a view of the module's buffer when its bodies are lazy
    memory: int = 0
    offset_expr: list[Instr] | None = None  # active only
    offset: int = 0


@record
class Code:
    """A function body: declared locals (expanded, one type per local, params
    excluded) and the instruction list, which ends with `end`."""

    locals: tuple[int, ...]
    body: list[Instr]
    offset: int = 0  # byte offset of the body (after its size) in the module
    size: int = 0


class LazyCode(Code):
    """A function body made on first use: ``load()`` returns its instruction
    list (decoding it from the module's bytes and validating it, or reading
    it back from the cache). Until something reads ``body``, the function
    costs only its locals; if ``load`` raises (a ``DecodeError`` or
    ``ValidationError`` of that body), every read raises it again."""

    def __init__(self, locals: tuple[int, ...], offset: int, size: int, load: Any) -> None:
        self.locals = locals
        self.offset = offset
        self.size = size
        self.load = load

    def __getattr__(self, name: str) -> Any:
        if name != "body":
            raise AttributeError(name)
        body = self.load()
        self.body = body
        self.load = None
        return body

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Code):
            return NotImplemented
        return (self.locals, self.body, self.offset, self.size) == (
            other.locals,
            other.body,
            other.offset,
            other.size,
        )

    __hash__ = None  # type: ignore[assignment]


@record
class FuncInfo:
    """What validation learns about a function body that engines use."""

    max_stack: int  # greatest operand stack height
    num_locals: int  # params + declared locals


@record
class NameSection:
    module: str | None = None
    functions: dict[int, str] = default_factory(dict)
    locals: dict[int, dict[int, str]] = default_factory(dict)


@record
class CustomSection:
    name: str
    data: bytes | memoryview  # a view of the module's buffer when its bodies are lazy
    offset: int = 0


@record
class Module:
    types: list[FuncType] = default_factory(list)
    imports: list[Import] = default_factory(list)
    funcs: list[int] = default_factory(list)  # type index of each defined function
    tables: list[TableType] = default_factory(list)
    memories: list[MemoryType] = default_factory(list)
    globals: list[Global] = default_factory(list)
    exports: list[Export] = default_factory(list)
    start: int | None = None
    elements: list[ElementSegment] = default_factory(list)
    data_count: int | None = None
    codes: list[Code] = default_factory(list)
    data: list[DataSegment] = default_factory(list)
    custom_sections: list[CustomSection] = default_factory(list)
    names: NameSection = default_factory(NameSection)
    # Whether any SIMD (0xFD-prefixed) instruction occurs.
    uses_simd: bool = False
    # Which section ids were present (for validation of data.count etc.).
    section_ids: tuple[int, ...] = ()
    # Function bodies are decoded and validated on first use (LazyCode):
    # set for large modules (see decoder.LAZY_CODE_SIZE).
    lazy_bodies: bool = False
    # Filled by validation: per defined function, what the engines need.
    func_info: list[Any] = default_factory(list)
    # Filled by validation: function indices referenced outside function bodies
    # (exports, element segments, globals), the spec's C.refs.
    declared_refs: frozenset[int] = frozenset()

    # -- index spaces (imports come first) ---------------------------------

    def imported(self, kind: int) -> list[Import]:
        return [i for i in self.imports if i.kind == kind]

    @property
    def num_imported_funcs(self) -> int:
        return sum(1 for i in self.imports if i.kind == EXTERN_FUNC)

    @property
    def num_imported_globals(self) -> int:
        return sum(1 for i in self.imports if i.kind == EXTERN_GLOBAL)

    def func_types(self) -> list[FuncType]:
        """The type of every function in the function index space. Callers
        must have checked that type indices are in range (validation does)."""
        out = [self.types[i.desc] for i in self.imports if i.kind == EXTERN_FUNC]
        out.extend(self.types[t] for t in self.funcs)
        return out

    def all_tables(self) -> list[TableType]:
        return [i.desc for i in self.imports if i.kind == EXTERN_TABLE] + list(self.tables)

    def all_memories(self) -> list[MemoryType]:
        return [i.desc for i in self.imports if i.kind == EXTERN_MEMORY] + list(self.memories)

    def all_globals(self) -> list[GlobalType]:
        return [i.desc for i in self.imports if i.kind == EXTERN_GLOBAL] + [
            g.type for g in self.globals
        ]

    def func_name(self, index: int) -> str | None:
        return self.names.functions.get(index)
