"""Opcodes the compiler names (from wasm/instructions.py), shared by its
passes and emitters.
"""

from __future__ import annotations

from ...wasm.instructions import OP, OPS
from ..semantics import LOADS, STORES

# Opcodes (named from wasm/instructions.py).
_BLOCK = OP["block"]


_BR = OP["br"]


_BR_IF = OP["br_if"]


_BR_TABLE = OP["br_table"]


_DROP = OP["drop"]


_ELSE = OP["else"]


_END = OP["end"]


_F32_CONST = OP["f32.const"]


_F32_LOAD = OP["f32.load"]


_F32_STORE = OP["f32.store"]


_F64_CONST = OP["f64.const"]


_F64_LOAD = OP["f64.load"]


_F64_STORE = OP["f64.store"]


_GLOBAL_GET = OP["global.get"]


_I32_ADD = OP["i32.add"]


_I32_AND = OP["i32.and"]


_I32_CONST = OP["i32.const"]


_I32_DIV_S = OP["i32.div_s"]


_I32_DIV_U = OP["i32.div_u"]


_I32_LOAD = OP["i32.load"]


_I32_LOAD16_U = OP["i32.load16_u"]


_I32_LOAD8_U = OP["i32.load8_u"]


_I32_MUL = OP["i32.mul"]


_I32_OR = OP["i32.or"]


_I32_REM_S = OP["i32.rem_s"]


_I32_REM_U = OP["i32.rem_u"]


_I32_STORE = OP["i32.store"]


_I32_SUB = OP["i32.sub"]


_I32_XOR = OP["i32.xor"]


_I64_CONST = OP["i64.const"]


_I64_DIV_S = OP["i64.div_s"]


_I64_DIV_U = OP["i64.div_u"]


_I64_LOAD = OP["i64.load"]


_I64_LOAD16_U = OP["i64.load16_u"]


_I64_LOAD32_U = OP["i64.load32_u"]


_I64_LOAD8_U = OP["i64.load8_u"]


_I64_REM_S = OP["i64.rem_s"]


_I64_REM_U = OP["i64.rem_u"]


_I64_STORE = OP["i64.store"]


_IF = OP["if"]


_LOCAL_GET = OP["local.get"]


_LOCAL_SET = OP["local.set"]


_LOCAL_TEE = OP["local.tee"]


_LOOP = OP["loop"]


_RETURN = OP["return"]


_SELECT = OP["select"]


_SHL_OP = OP["i32.shl"]


_UNREACHABLE = OP["unreachable"]


_MEM_LOADS = {op for op, info in OPS.items() if info.imm == "memarg" and info.name in LOADS}


_MEM_STORES = {op for op, info in OPS.items() if info.imm == "memarg" and info.name in STORES}
