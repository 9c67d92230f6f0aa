"""Decode the WebAssembly binary format into the module model.

One pass over the bytes, section by section. Every malformed input raises
:class:`~wasmzero.errors.DecodeError` with the byte offset and the spec's
reason (the wording of the spec suite's ``assert_malformed`` commands). Counts
read from the module never size an allocation before the bytes that back them
have been read, so a hostile module declaring 2**32 items costs nothing.

See https://webassembly.github.io/spec/core/binary/index.html
"""

from __future__ import annotations

from typing import Any

from ...api import CoreFeatures
from ...errors import DecodeError
from ..wasm.instructions import BLOCKTYPE_EMPTY, BLOCKTYPE_VALTYPES, OPS
from ..wasm.module import (
    MODE_ACTIVE,
    MODE_DECLARATIVE,
    MODE_PASSIVE,
    Code,
    CustomSection,
    DataSegment,
    ElementSegment,
    Export,
    Global,
    Import,
    Instr,
    LazyCode,
    Module,
    NameSection,
)
from ..wasm.types import (
    EXTERN_FUNC,
    EXTERN_GLOBAL,
    EXTERN_MEMORY,
    EXTERN_TABLE,
    EXTERNREF,
    FUNCREF,
    V128,
    VALUE_TYPES,
    FuncType,
    GlobalType,
    Limits,
    MemoryType,
    TableType,
)

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"

# Section ids and the order they must appear in (custom sections, id 0,
# may appear anywhere). The data count section (12) sits between element (9)
# and code (10).
SEC_CUSTOM = 0
SEC_TYPE = 1
SEC_IMPORT = 2
SEC_FUNCTION = 3
SEC_TABLE = 4
SEC_MEMORY = 5
SEC_GLOBAL = 6
SEC_EXPORT = 7
SEC_START = 8
SEC_ELEMENT = 9
SEC_CODE = 10
SEC_DATA = 11
SEC_DATA_COUNT = 12
_ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9, 12: 10, 10: 11, 11: 12}

# A function may declare at most this many locals (params excluded). The
# spec allows up to 2**32-1; every engine sets a practical bound, and one is
# needed so that a few bytes cannot ask for gigabytes.
MAX_LOCALS = 50_000

_OP_END = 0x0B
_OP_ELSE = 0x05
_BLOCK_OPS = (0x02, 0x03, 0x04)


# A code section at least this large is decoded lazily (``lazy=None``): each
# function body when it is first used. Measured on a 14 MB Go program
# (esbuild): decoding every body costs 5 s and validating them 2.7 s, while a
# run uses a fraction of its functions. Small modules (the spec suite, the
# benchmark corpus) stay eager: everything is checked at compile time.
LAZY_CODE_SIZE = 256 * 1024

# Data segments and custom sections of at least this many bytes are kept as
# views of a lazy module's buffer instead of copies (a memoryview object costs
# about 200 bytes more than a small bytes object).
VIEW_MIN = 1024


def decode_module(
    data: bytes, features: CoreFeatures = CoreFeatures.V2, lazy: bool | None = False
) -> Module:
    """Decode a binary module. Raises ``DecodeError`` if it is malformed.

    ``lazy``: decode function bodies on first use (``Module.lazy_bodies``;
    reading a body may then raise the ``DecodeError``); None decides by the
    code section's size (:data:`LAZY_CODE_SIZE`). Everything outside the
    bodies, and each body's size and locals, is decoded now either way.
    """
    return _Decoder(bytes(data), features, lazy).module()


_TABLES: dict[CoreFeatures, dict[int, str]] = {}
# Immediate kinds that are one u32 index.
_INDEX_KINDS = frozenset(("local", "global", "func", "label", "table", "data", "elem"))


def _decode_table(features: CoreFeatures) -> dict[int, str]:
    """Opcode -> immediate kind for the enabled features (made once per set
    of features: every lazily decoded body uses it)."""
    table = _TABLES.get(features)
    if table is None:
        table = _TABLES[features] = {
            op: info.imm
            for op, info in OPS.items()
            if info.feature == "v1" or CoreFeatures.from_name(info.feature) & features
        }
    return table


class _Decoder:
    def __init__(self, data: bytes, features: CoreFeatures, lazy: bool | None = False) -> None:
        self.lazy = lazy
        self.module_: Module | None = None
        self.data = data
        self.pos = 0
        self.end = len(data)  # end of the current section or body
        self.features = features
        self.uses_data_count = False
        self.uses_simd = False
        # Decode table: opcode -> immediate kind, only for enabled features.
        self.ops = _decode_table(features)
        self.ref_types = bool(features & CoreFeatures.REFERENCE_TYPES)
        self._view: memoryview | None = None

    # -- primitives ---------------------------------------------------------------

    def fail(self, reason: str, pos: int | None = None) -> DecodeError:
        return DecodeError(reason, self.pos if pos is None else pos)

    def eof(self) -> DecodeError:
        if self.end < len(self.data):
            return DecodeError("unexpected end of section or function", self.pos)
        return DecodeError("unexpected end", self.pos)

    def byte(self) -> int:
        pos = self.pos
        if pos >= self.end:
            raise self.eof()
        self.pos = pos + 1
        return self.data[pos]

    def bytes_(self, n: int) -> bytes:
        pos = self.pos
        if n > self.end - pos:
            raise self.eof()
        self.pos = pos + n
        return self.data[pos : pos + n]

    def shared(self, n: int) -> bytes | memoryview:
        """The next ``n`` bytes for the module to keep (a data segment, a
        custom section): a view of the module's buffer when its bodies are
        lazy (their loaders keep that buffer alive anyway, so a copy would
        be a second one) and the bytes are many; a copy otherwise (the
        buffer is dropped after decoding; a view costs more than a few
        hundred bytes: Go modules have tens of thousands of small segments)."""
        pos = self.pos
        if n > self.end - pos:
            raise self.eof()
        self.pos = pos + n
        if self.lazy and n >= VIEW_MIN:
            return self.view()[pos : pos + n]
        return self.data[pos : pos + n]

    def view(self) -> memoryview:
        """A read-only view of the whole module (made once)."""
        if self._view is None:
            self._view = memoryview(self.data)
        return self._view

    def u32(self) -> int:
        data, pos = self.data, self.pos
        if pos < self.end:
            b = data[pos]
            if b < 0x80:
                self.pos = pos + 1
                return b
        return self.uleb(32)

    def s32(self) -> int:
        data, pos = self.data, self.pos
        if pos < self.end:
            b = data[pos]
            if b < 0x80:  # one byte: -64..63
                self.pos = pos + 1
                return b - 0x80 if b & 0x40 else b
        return self.sleb(32)

    def uleb(self, bits: int) -> int:
        return self.leb(bits, False)

    def sleb(self, bits: int) -> int:
        return self.leb(bits, True)

    def leb(self, bits: int, signed: bool) -> int:
        """A LEB128 integer of ``bits`` bits: at most ceil(bits / 7) bytes,
        and the unused bits of the last byte must be zero (unsigned) or
        copies of the sign bit (signed)."""
        start = self.pos
        result = 0
        shift = 0
        last = (bits + 6) // 7 - 1
        for i in range(last + 1):
            b = self.byte()
            if i == last:
                if b & 0x80:
                    raise self.fail("integer representation too long", start)
                used = bits - shift  # value bits in this byte, sign included
                if signed:
                    rest = (b & 0x7F) >> (used - 1)  # sign bit and unused bits
                    bad = rest not in (0, (0x7F >> (used - 1)))
                else:
                    bad = b >> used != 0
                if bad:
                    raise self.fail("integer too large", start)
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                if signed and b & 0x40:
                    result -= 1 << shift
                return result
        raise AssertionError("unreachable")

    def name(self) -> str:
        n = self.u32()
        pos = self.pos
        raw = self.bytes_(n)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("malformed UTF-8 encoding", pos) from None

    def valtype(self) -> int:
        pos = self.pos
        t = self.byte()
        if t not in VALUE_TYPES:
            raise self.fail("malformed value type", pos)
        if t == V128 and not self.features & CoreFeatures.SIMD:
            raise self.fail("malformed value type", pos)
        if (t == FUNCREF or t == EXTERNREF) and not self.ref_types:
            raise self.fail("malformed value type", pos)
        return t

    def reftype(self) -> int:
        pos = self.pos
        t = self.byte()
        if t != FUNCREF and t != EXTERNREF:
            raise self.fail("malformed reference type", pos)
        if t == EXTERNREF and not self.ref_types:
            raise self.fail("malformed reference type", pos)
        return t

    def limits(self) -> Limits:
        pos = self.pos
        flag = self.byte()
        if flag == 0:
            return Limits(self.u32())
        if flag == 1:
            lo = self.u32()
            return Limits(lo, self.u32())
        raise self.fail("integer too large", pos)

    def table_type(self) -> TableType:
        t = self.reftype()
        return TableType(t, self.limits())

    def global_type(self) -> GlobalType:
        t = self.valtype()
        pos = self.pos
        m = self.byte()
        if m > 1:
            raise self.fail("malformed mutability", pos)
        return GlobalType(t, m == 1)

    # -- instructions -------------------------------------------------------------

    def instr(self) -> Instr:
        """One instruction: (op, immediate, offset)."""
        data = self.data
        at = self.pos
        if at >= self.end:
            raise self.eof()
        op = data[at]
        self.pos = at + 1
        if op == 0xFC or op == 0xFD:
            sub = self.u32()
            if sub > 0xFF:
                raise self.fail("illegal opcode", at)
            if op == 0xFD:
                self.uses_simd = True
            op = (op << 8) | sub
        kind = self.ops.get(op)
        if kind is None:
            raise self.fail("illegal opcode", at)
        if kind == "none":
            return (op, None, at)
        return (op, self._imm(kind), at)

    def _imm(self, kind: str) -> object:
        if kind in _INDEX_KINDS:
            return self.u32()
        if kind == "i32":
            return self.s32() & 0xFFFFFFFF
        if kind == "i64":
            return self.sleb(64) & 0xFFFFFFFFFFFFFFFF
        if kind == "memarg":
            align = self.u32()
            return (align, self.u32())
        if kind == "blocktype":
            pos = self.pos
            bt = self.sleb(33)
            if bt < 0 and bt != BLOCKTYPE_EMPTY:
                t = BLOCKTYPE_VALTYPES.get(bt)
                if t is None:
                    raise self.fail("malformed value type", pos)
            return bt
        if kind == "f32":
            return int.from_bytes(self.bytes_(4), "little")
        if kind == "f64":
            return int.from_bytes(self.bytes_(8), "little")
        if kind == "br_table":
            n = self.u32()
            labels = []
            for _ in range(n):
                labels.append(self.u32())
            return (tuple(labels), self.u32())
        if kind == "call_indirect":
            t = self.u32()
            if self.ref_types:
                return (t, self.u32())
            self.zero_byte()
            return (t, 0)
        if kind == "memidx":
            self.zero_byte()
            return 0
        if kind == "reftype":
            return self.reftype()
        if kind == "select_t":
            n = self.u32()
            ts = []
            for _ in range(n):
                ts.append(self.valtype())
            return tuple(ts)
        if kind == "data_mem":
            self.uses_data_count = True
            d = self.u32()
            self.zero_byte()
            return (d, 0)
        if kind == "mem_mem":
            self.zero_byte()
            self.zero_byte()
            return (0, 0)
        if kind == "elem_table" or kind == "table_table":
            a = self.u32()
            return (a, self.u32())
        if kind == "v128":
            return int.from_bytes(self.bytes_(16), "little")
        if kind == "shuffle":
            return tuple(self.bytes_(16))
        if kind == "lane":
            return self.byte()
        if kind == "memarg_lane":
            align = self.u32()
            offset = self.u32()
            return (align, offset, self.byte())
        raise AssertionError(f"unknown immediate kind {kind}")

    def zero_byte(self) -> None:
        pos = self.pos
        if self.byte() != 0:
            raise self.fail("zero byte expected", pos)

    def expr(self) -> list[Instr]:
        """Instructions up to and including the `end` that closes depth 0."""
        out: list[Instr] = []
        append = out.append
        depth = 0
        instr = self.instr
        while True:
            ins = instr()
            append(ins)
            op = ins[0]
            if op == _OP_END:
                if depth == 0:
                    return out
                depth -= 1
            elif op in _BLOCK_OPS:
                depth += 1
            elif op == 0xFC09:
                self.uses_data_count = True

    # -- sections -----------------------------------------------------------------

    def module(self) -> Module:
        data = self.data
        if data[:4] != MAGIC:
            raise DecodeError("magic header not detected", 0)
        if len(data) < 8:
            raise DecodeError("unexpected end", len(data))
        if data[4:8] != VERSION:
            raise DecodeError("unknown binary version", 4)
        self.pos = 8
        m = Module()
        self.module_ = m
        last = 0
        func_count: int | None = None
        ids: list[int] = []
        total = len(data)
        while self.pos < total:
            self.end = total
            sec_start = self.pos
            sid = self.byte()
            size = self.u32()
            body_start = self.pos
            if size > total - body_start:
                raise DecodeError("length out of bounds", body_start)
            self.end = body_start + size
            if sid != SEC_CUSTOM:
                order = _ORDER.get(sid)
                if order is None or (sid == SEC_DATA_COUNT and not self._bulk()):
                    raise DecodeError("malformed section id", sec_start)
                if order <= last:
                    raise DecodeError("unexpected content after last section", sec_start)
                last = order
                ids.append(sid)
            if sid == SEC_CUSTOM:
                self.custom(m)
            elif sid == SEC_TYPE:
                self.vec(lambda: m.types.append(self.functype()))
            elif sid == SEC_IMPORT:
                self.vec(lambda: m.imports.append(self.import_()))
            elif sid == SEC_FUNCTION:
                func_count = self.vec(lambda: m.funcs.append(self.u32()))
            elif sid == SEC_TABLE:
                self.vec(lambda: m.tables.append(self.table_type()))
            elif sid == SEC_MEMORY:
                self.vec(lambda: m.memories.append(MemoryType(self.limits())))
            elif sid == SEC_GLOBAL:
                self.vec(lambda: m.globals.append(self.global_()))
            elif sid == SEC_EXPORT:
                self.vec(lambda: m.exports.append(self.export()))
            elif sid == SEC_START:
                m.start = self.u32()
            elif sid == SEC_ELEMENT:
                self.vec(lambda: m.elements.append(self.element()))
            elif sid == SEC_DATA_COUNT:
                m.data_count = self.u32()
            elif sid == SEC_CODE:
                if self.lazy is None:
                    self.lazy = size >= LAZY_CODE_SIZE
                m.lazy_bodies = bool(self.lazy)
                n = self.u32()
                if n != len(m.funcs):
                    raise DecodeError(
                        "function and code section have inconsistent lengths", body_start
                    )
                for _ in range(n):
                    m.codes.append(self.code())
            elif sid == SEC_DATA:
                n = self.u32()
                if m.data_count is not None and n != m.data_count:
                    raise DecodeError(
                        "data count and data section have inconsistent lengths", body_start
                    )
                for _ in range(n):
                    m.data.append(self.data_segment())
            if self.pos != self.end:
                raise DecodeError("section size mismatch", self.pos)
        self.end = total
        if len(m.codes) != len(m.funcs):
            raise DecodeError("function and code section have inconsistent lengths", total)
        if m.data_count is not None and SEC_DATA not in ids and m.data_count != 0:
            raise DecodeError("data count and data section have inconsistent lengths", total)
        if self.uses_data_count and m.data_count is None and SEC_DATA in ids:
            raise DecodeError("data count section required", total)
        del func_count
        m.section_ids = tuple(ids)
        # A lazy module's bodies are not scanned: it may use SIMD.
        m.uses_simd = self.uses_simd or (m.lazy_bodies and bool(self.features & CoreFeatures.SIMD))
        if not m.lazy_bodies:
            # Nothing else keeps the module's buffer: keep copies of the
            # custom sections, not views that would pin all of it.
            for c in m.custom_sections:
                c.data = bytes(c.data)
        return m

    def _bulk(self) -> bool:
        return bool(self.features & CoreFeatures.BULK_MEMORY)

    def vec(self, item) -> int:  # noqa: ANN001
        n = self.u32()
        for _ in range(n):
            item()
        return n

    def functype(self) -> FuncType:
        pos = self.pos
        if self.byte() != 0x60:
            raise self.fail("integer representation too long", pos)
        params = []
        for _ in range(self.u32()):
            params.append(self.valtype())
        results = []
        for _ in range(self.u32()):
            results.append(self.valtype())
        return FuncType(tuple(params), tuple(results))

    def import_(self) -> Import:
        at = self.pos
        mod = self.name()
        name = self.name()
        pos = self.pos
        kind = self.byte()
        if kind == EXTERN_FUNC:
            desc: object = self.u32()
        elif kind == EXTERN_TABLE:
            desc = self.table_type()
        elif kind == EXTERN_MEMORY:
            desc = MemoryType(self.limits())
        elif kind == EXTERN_GLOBAL:
            desc = self.global_type()
        else:
            raise self.fail("malformed import kind", pos)
        return Import(mod, name, kind, desc, at)

    def global_(self) -> Global:
        at = self.pos
        t = self.global_type()
        return Global(t, self.expr(), at)

    def export(self) -> Export:
        at = self.pos
        name = self.name()
        pos = self.pos
        kind = self.byte()
        if kind > EXTERN_GLOBAL:
            raise self.fail("malformed export kind", pos)
        return Export(name, kind, self.u32(), at)

    def element(self) -> ElementSegment:
        at = self.pos
        flag = self.u32()
        if flag > 7 or (flag != 0 and not (self._bulk() or self.ref_types)):
            raise self.fail("malformed elements segment kind", at)
        table = 0
        offset_expr = None
        if flag & 1:
            mode = MODE_DECLARATIVE if flag & 2 else MODE_PASSIVE
        else:
            mode = MODE_ACTIVE
            if flag & 2:
                table = self.u32()
            offset_expr = self.expr()
        init: list[list[Instr]] = []
        if flag & 4:
            elem_type = FUNCREF if flag in (4,) else self.reftype()
            for _ in range(self.u32()):
                init.append(self.expr())
        else:
            elem_type = FUNCREF
            if flag & 3:
                pos = self.pos
                if self.byte() != 0x00:
                    raise self.fail("malformed element kind", pos)
            for _ in range(self.u32()):
                pos = self.pos
                f = self.u32()
                init.append([(0xD2, f, pos), (_OP_END, None, pos)])
        return ElementSegment(mode, elem_type, init, table, offset_expr, at)

    def code(self) -> Code:
        size = self.u32()
        start = self.pos
        if size > self.end - start:
            raise self.fail("unexpected end of section or function")
        outer_end = self.end
        self.end = start + size
        locals_: list[int] = []
        total = 0
        for _ in range(self.u32()):
            pos = self.pos
            n = self.u32()
            t = self.valtype()
            total += n
            if total > MAX_LOCALS:
                raise self.fail("too many locals", pos)
            locals_.extend([t] * n)
        if self.lazy:
            code: Code = LazyCode(
                tuple(locals_), start, size, self._body_loader(self.pos, self.end)
            )
            self.pos = self.end
        else:
            body = self.expr()
            if self.pos != self.end:
                raise self.fail("section size mismatch")
            code = Code(tuple(locals_), body, start, size)
        self.end = outer_end
        return code

    def _body_loader(self, pos: int, end: int) -> Any:
        """Decode the body at ``pos:end`` later, as :meth:`code` would have."""
        data, features = self.data, self.features

        def load() -> list[Instr]:
            d = _Decoder(data, features)
            d.pos, d.end = pos, end
            body = d.expr()
            if d.pos != end:
                raise d.fail("section size mismatch")
            m = self.module_
            if (
                d.uses_data_count
                and m is not None
                and m.data_count is None
                and SEC_DATA in m.section_ids
            ):
                raise DecodeError("data count section required", pos)
            return body

        return load

    def data_segment(self) -> DataSegment:
        at = self.pos
        flag = self.u32()
        if flag > 2 or (flag != 0 and not self._bulk()):
            raise self.fail("malformed data segment kind", at)
        mem = 0
        offset_expr = None
        if flag == 1:
            mode = MODE_PASSIVE
        else:
            mode = MODE_ACTIVE
            if flag == 2:
                mem = self.u32()
            offset_expr = self.expr()
        n = self.u32()
        return DataSegment(mode, self.shared(n), mem, offset_expr, at)

    def custom(self, m: Module) -> None:
        at = self.pos
        name = self.name()
        start = self.pos
        # A view for now: whether the module keeps its buffer (lazy bodies)
        # is known after the code section; module() copies otherwise.
        payload: bytes | memoryview = self.view()[start : self.end]
        if self.end - start < VIEW_MIN:
            payload = bytes(payload)
        self.pos = self.end
        m.custom_sections.append(CustomSection(name, payload, at))
        if name == "name":
            m.names = _decode_names(self.data[start : self.end], at + (len(self.data) and 0))


def _decode_names(payload: bytes, base: int) -> NameSection:
    """The ``name`` custom section. It is not part of validity: a malformed
    name section is ignored from the point where it goes wrong."""
    names = NameSection()
    d = _Decoder(payload, CoreFeatures.V2)
    try:
        while d.pos < len(payload):
            d.end = len(payload)
            sub = d.byte()
            size = d.u32()
            if size > len(payload) - d.pos:
                break
            d.end = d.pos + size
            if sub == 0:
                names.module = d.name()
            elif sub == 1:
                for _ in range(d.u32()):
                    idx = d.u32()
                    names.functions[idx] = d.name()
            elif sub == 2:
                for _ in range(d.u32()):
                    fidx = d.u32()
                    local: dict[int, str] = {}
                    for _ in range(d.u32()):
                        idx = d.u32()
                        local[idx] = d.name()
                    names.locals[fidx] = local
            d.pos = d.end
    except DecodeError:
        pass
    return names
