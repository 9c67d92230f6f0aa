"""The instruction set as data: one table, from which the decoder, the
validator and the engines derive what they need.

An instruction, once decoded, is a tuple ``(op, imm, offset)``:

- ``op``: the opcode as an int. One-byte opcodes are themselves; prefixed
  opcodes are ``0xFC00 | sub`` (misc, bulk memory, tables, saturating
  truncation) and ``0xFD00 | sub`` (SIMD).
- ``imm``: the immediate, in the form its kind (below) gives.
- ``offset``: byte offset of the opcode in the module (for error messages
  and stack traces).

Immediate kinds and their decoded form:

=============  ==============================================================
``none``       None
``blocktype``  int: the s33 value: >= 0 a type index, -64 empty, or a value
               type as a negative number (-1 i32, -2 i64, -3 f32, -4 f64,
               -5 v128, -16 funcref, -17 externref); see ``blocktype_*``
``label``      int label index
``br_table``   (tuple of label indices, default label)
``func``       int function index
``call_indirect`` (type index, table index)
``local``      int local index
``global``     int global index
``table``      int table index
``memarg``     (align exponent, offset)
``memidx``     int memory index (always 0 in 2.0; the byte must be zero)
``i32``        int, the unsigned 32-bit value
``i64``        int, the unsigned 64-bit value
``f32``        int, the 32-bit IEEE pattern
``f64``        int, the 64-bit IEEE pattern
``reftype``    int value type (FUNCREF or EXTERNREF)
``select_t``   tuple of value types
``data_mem``   (data index, memory index)        memory.init
``data``       int data index                     data.drop
``mem_mem``    (dst memory, src memory)          memory.copy
``elem_table`` (elem index, table index)          table.init
``elem``       int elem index                     elem.drop
``table_table`` (dst table, src table)            table.copy
``v128``       int, the 128-bit value (little-endian lanes)
``shuffle``    tuple of 16 lane indices
``lane``       int lane index
``memarg_lane`` (align exponent, offset, lane index)
=============  ==============================================================

The signature column is ``"params:results"`` in value type names for
instructions whose typing is fixed (most of them), or ``*`` for the ones the
validator types by hand (control, parametric, variable, reference, table and
call instructions).

See https://webassembly.github.io/spec/core/binary/instructions.html
"""

from __future__ import annotations

from ..record import record
from .types import VALTYPE_BY_NAME

# The table. One line per instruction: opcode, name, immediate kind,
# signature, feature (the CoreFeatures flag that introduces it, or "v1").
_TABLE = """
0x00 unreachable none * v1
0x01 nop none * v1
0x02 block blocktype * v1
0x03 loop blocktype * v1
0x04 if blocktype * v1
0x05 else none * v1
0x0B end none * v1
0x0C br label * v1
0x0D br_if label * v1
0x0E br_table br_table * v1
0x0F return none * v1
0x10 call func * v1
0x11 call_indirect call_indirect * v1
0x1A drop none * v1
0x1B select none * v1
0x1C select_t select_t * reference_types
0x20 local.get local * v1
0x21 local.set local * v1
0x22 local.tee local * v1
0x23 global.get global * v1
0x24 global.set global * v1
0x25 table.get table * reference_types
0x26 table.set table * reference_types
0x28 i32.load memarg i32:i32 v1
0x29 i64.load memarg i32:i64 v1
0x2A f32.load memarg i32:f32 v1
0x2B f64.load memarg i32:f64 v1
0x2C i32.load8_s memarg i32:i32 v1
0x2D i32.load8_u memarg i32:i32 v1
0x2E i32.load16_s memarg i32:i32 v1
0x2F i32.load16_u memarg i32:i32 v1
0x30 i64.load8_s memarg i32:i64 v1
0x31 i64.load8_u memarg i32:i64 v1
0x32 i64.load16_s memarg i32:i64 v1
0x33 i64.load16_u memarg i32:i64 v1
0x34 i64.load32_s memarg i32:i64 v1
0x35 i64.load32_u memarg i32:i64 v1
0x36 i32.store memarg i32,i32: v1
0x37 i64.store memarg i32,i64: v1
0x38 f32.store memarg i32,f32: v1
0x39 f64.store memarg i32,f64: v1
0x3A i32.store8 memarg i32,i32: v1
0x3B i32.store16 memarg i32,i32: v1
0x3C i64.store8 memarg i32,i64: v1
0x3D i64.store16 memarg i32,i64: v1
0x3E i64.store32 memarg i32,i64: v1
0x3F memory.size memidx :i32 v1
0x40 memory.grow memidx i32:i32 v1
0x41 i32.const i32 :i32 v1
0x42 i64.const i64 :i64 v1
0x43 f32.const f32 :f32 v1
0x44 f64.const f64 :f64 v1
0x45 i32.eqz none i32:i32 v1
0x46 i32.eq none i32,i32:i32 v1
0x47 i32.ne none i32,i32:i32 v1
0x48 i32.lt_s none i32,i32:i32 v1
0x49 i32.lt_u none i32,i32:i32 v1
0x4A i32.gt_s none i32,i32:i32 v1
0x4B i32.gt_u none i32,i32:i32 v1
0x4C i32.le_s none i32,i32:i32 v1
0x4D i32.le_u none i32,i32:i32 v1
0x4E i32.ge_s none i32,i32:i32 v1
0x4F i32.ge_u none i32,i32:i32 v1
0x50 i64.eqz none i64:i32 v1
0x51 i64.eq none i64,i64:i32 v1
0x52 i64.ne none i64,i64:i32 v1
0x53 i64.lt_s none i64,i64:i32 v1
0x54 i64.lt_u none i64,i64:i32 v1
0x55 i64.gt_s none i64,i64:i32 v1
0x56 i64.gt_u none i64,i64:i32 v1
0x57 i64.le_s none i64,i64:i32 v1
0x58 i64.le_u none i64,i64:i32 v1
0x59 i64.ge_s none i64,i64:i32 v1
0x5A i64.ge_u none i64,i64:i32 v1
0x5B f32.eq none f32,f32:i32 v1
0x5C f32.ne none f32,f32:i32 v1
0x5D f32.lt none f32,f32:i32 v1
0x5E f32.gt none f32,f32:i32 v1
0x5F f32.le none f32,f32:i32 v1
0x60 f32.ge none f32,f32:i32 v1
0x61 f64.eq none f64,f64:i32 v1
0x62 f64.ne none f64,f64:i32 v1
0x63 f64.lt none f64,f64:i32 v1
0x64 f64.gt none f64,f64:i32 v1
0x65 f64.le none f64,f64:i32 v1
0x66 f64.ge none f64,f64:i32 v1
0x67 i32.clz none i32:i32 v1
0x68 i32.ctz none i32:i32 v1
0x69 i32.popcnt none i32:i32 v1
0x6A i32.add none i32,i32:i32 v1
0x6B i32.sub none i32,i32:i32 v1
0x6C i32.mul none i32,i32:i32 v1
0x6D i32.div_s none i32,i32:i32 v1
0x6E i32.div_u none i32,i32:i32 v1
0x6F i32.rem_s none i32,i32:i32 v1
0x70 i32.rem_u none i32,i32:i32 v1
0x71 i32.and none i32,i32:i32 v1
0x72 i32.or none i32,i32:i32 v1
0x73 i32.xor none i32,i32:i32 v1
0x74 i32.shl none i32,i32:i32 v1
0x75 i32.shr_s none i32,i32:i32 v1
0x76 i32.shr_u none i32,i32:i32 v1
0x77 i32.rotl none i32,i32:i32 v1
0x78 i32.rotr none i32,i32:i32 v1
0x79 i64.clz none i64:i64 v1
0x7A i64.ctz none i64:i64 v1
0x7B i64.popcnt none i64:i64 v1
0x7C i64.add none i64,i64:i64 v1
0x7D i64.sub none i64,i64:i64 v1
0x7E i64.mul none i64,i64:i64 v1
0x7F i64.div_s none i64,i64:i64 v1
0x80 i64.div_u none i64,i64:i64 v1
0x81 i64.rem_s none i64,i64:i64 v1
0x82 i64.rem_u none i64,i64:i64 v1
0x83 i64.and none i64,i64:i64 v1
0x84 i64.or none i64,i64:i64 v1
0x85 i64.xor none i64,i64:i64 v1
0x86 i64.shl none i64,i64:i64 v1
0x87 i64.shr_s none i64,i64:i64 v1
0x88 i64.shr_u none i64,i64:i64 v1
0x89 i64.rotl none i64,i64:i64 v1
0x8A i64.rotr none i64,i64:i64 v1
0x8B f32.abs none f32:f32 v1
0x8C f32.neg none f32:f32 v1
0x8D f32.ceil none f32:f32 v1
0x8E f32.floor none f32:f32 v1
0x8F f32.trunc none f32:f32 v1
0x90 f32.nearest none f32:f32 v1
0x91 f32.sqrt none f32:f32 v1
0x92 f32.add none f32,f32:f32 v1
0x93 f32.sub none f32,f32:f32 v1
0x94 f32.mul none f32,f32:f32 v1
0x95 f32.div none f32,f32:f32 v1
0x96 f32.min none f32,f32:f32 v1
0x97 f32.max none f32,f32:f32 v1
0x98 f32.copysign none f32,f32:f32 v1
0x99 f64.abs none f64:f64 v1
0x9A f64.neg none f64:f64 v1
0x9B f64.ceil none f64:f64 v1
0x9C f64.floor none f64:f64 v1
0x9D f64.trunc none f64:f64 v1
0x9E f64.nearest none f64:f64 v1
0x9F f64.sqrt none f64:f64 v1
0xA0 f64.add none f64,f64:f64 v1
0xA1 f64.sub none f64,f64:f64 v1
0xA2 f64.mul none f64,f64:f64 v1
0xA3 f64.div none f64,f64:f64 v1
0xA4 f64.min none f64,f64:f64 v1
0xA5 f64.max none f64,f64:f64 v1
0xA6 f64.copysign none f64,f64:f64 v1
0xA7 i32.wrap_i64 none i64:i32 v1
0xA8 i32.trunc_f32_s none f32:i32 v1
0xA9 i32.trunc_f32_u none f32:i32 v1
0xAA i32.trunc_f64_s none f64:i32 v1
0xAB i32.trunc_f64_u none f64:i32 v1
0xAC i64.extend_i32_s none i32:i64 v1
0xAD i64.extend_i32_u none i32:i64 v1
0xAE i64.trunc_f32_s none f32:i64 v1
0xAF i64.trunc_f32_u none f32:i64 v1
0xB0 i64.trunc_f64_s none f64:i64 v1
0xB1 i64.trunc_f64_u none f64:i64 v1
0xB2 f32.convert_i32_s none i32:f32 v1
0xB3 f32.convert_i32_u none i32:f32 v1
0xB4 f32.convert_i64_s none i64:f32 v1
0xB5 f32.convert_i64_u none i64:f32 v1
0xB6 f32.demote_f64 none f64:f32 v1
0xB7 f64.convert_i32_s none i32:f64 v1
0xB8 f64.convert_i32_u none i32:f64 v1
0xB9 f64.convert_i64_s none i64:f64 v1
0xBA f64.convert_i64_u none i64:f64 v1
0xBB f64.promote_f32 none f32:f64 v1
0xBC i32.reinterpret_f32 none f32:i32 v1
0xBD i64.reinterpret_f64 none f64:i64 v1
0xBE f32.reinterpret_i32 none i32:f32 v1
0xBF f64.reinterpret_i64 none i64:f64 v1
0xC0 i32.extend8_s none i32:i32 sign_extension
0xC1 i32.extend16_s none i32:i32 sign_extension
0xC2 i64.extend8_s none i64:i64 sign_extension
0xC3 i64.extend16_s none i64:i64 sign_extension
0xC4 i64.extend32_s none i64:i64 sign_extension
0xD0 ref.null reftype * reference_types
0xD1 ref.is_null none * reference_types
0xD2 ref.func func * reference_types
0xFC00 i32.trunc_sat_f32_s none f32:i32 nontrapping_float_to_int
0xFC01 i32.trunc_sat_f32_u none f32:i32 nontrapping_float_to_int
0xFC02 i32.trunc_sat_f64_s none f64:i32 nontrapping_float_to_int
0xFC03 i32.trunc_sat_f64_u none f64:i32 nontrapping_float_to_int
0xFC04 i64.trunc_sat_f32_s none f32:i64 nontrapping_float_to_int
0xFC05 i64.trunc_sat_f32_u none f32:i64 nontrapping_float_to_int
0xFC06 i64.trunc_sat_f64_s none f64:i64 nontrapping_float_to_int
0xFC07 i64.trunc_sat_f64_u none f64:i64 nontrapping_float_to_int
0xFC08 memory.init data_mem i32,i32,i32: bulk_memory
0xFC09 data.drop data : bulk_memory
0xFC0A memory.copy mem_mem i32,i32,i32: bulk_memory
0xFC0B memory.fill memidx i32,i32,i32: bulk_memory
0xFC0C table.init elem_table i32,i32,i32: bulk_memory
0xFC0D elem.drop elem : bulk_memory
0xFC0E table.copy table_table i32,i32,i32: bulk_memory
0xFC0F table.grow table * reference_types
0xFC10 table.size table * reference_types
0xFC11 table.fill table * reference_types
"""


@record(frozen=True)
class OpInfo:
    """What the table says of one instruction."""

    op: int
    name: str
    imm: str
    # (params, results) as value-type tuples, or None when typed by hand.
    sig: tuple[tuple[int, ...], tuple[int, ...]] | None
    feature: str  # "v1" or a CoreFeatures flag name


def _parse_sig(text: str) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    if text == "*":
        return None
    params, _, results = text.partition(":")
    p = tuple(VALTYPE_BY_NAME[t] for t in params.split(",") if t)
    r = tuple(VALTYPE_BY_NAME[t] for t in results.split(",") if t)
    return p, r


def _load(table: str) -> dict[int, OpInfo]:
    out: dict[int, OpInfo] = {}
    for line in table.strip().splitlines():
        code, name, imm, sig, feature = line.split()
        op = int(code, 16)
        if op in out:
            raise AssertionError(f"duplicate opcode {code}")
        out[op] = OpInfo(op, name, imm, _parse_sig(sig), feature)
    return out


OPS: dict[int, OpInfo] = _load(_TABLE)


def _load_simd() -> None:
    from . import instructions_simd

    for op, info in _load(instructions_simd.TABLE).items():
        if op in OPS:
            raise AssertionError(f"duplicate opcode {op:#x}")
        OPS[op] = info


_load_simd()

BY_NAME: dict[str, OpInfo] = {i.name: i for i in OPS.values()}

# Opcodes as module constants for the engines and the validator, e.g.
# OP["i32.add"] == 0x6A.
OP: dict[str, int] = {i.name: i.op for i in OPS.values()}

BLOCKTYPE_EMPTY = -64
# s33 negative value -> value type byte (0x7F is -1 as a signed 7-bit number).
BLOCKTYPE_VALTYPES = {-1: 0x7F, -2: 0x7E, -3: 0x7D, -4: 0x7C, -5: 0x7B, -16: 0x70, -17: 0x6F}

MISC_PREFIX = 0xFC
SIMD_PREFIX = 0xFD


def op_name(op: int) -> str:
    info = OPS.get(op)
    return info.name if info else f"<opcode {op:#x}>"
