"""Validation of a decoded module: the spec's typing rules.

Function bodies are checked with the algorithm of the spec's appendix
(an operand stack of value types and a control stack of frames; after an
unconditional branch the stack is polymorphic). Fixed-signature instructions
are typed from the instruction table; the others by hand below.

Errors are :class:`~wasmzero.errors.ValidationError` with the spec suite's
wording, the function index and the instruction's byte offset.

See https://webassembly.github.io/spec/core/valid/index.html and
https://webassembly.github.io/spec/core/appendix/algorithm.html
"""

from __future__ import annotations

import re
from typing import Any

from ...api import CoreFeatures
from ...errors import ValidationError
from .instructions import BLOCKTYPE_EMPTY, BLOCKTYPE_VALTYPES, OP, OPS
from .module import MODE_ACTIVE, FuncInfo, Instr, LazyCode, Module
from .types import (
    EXTERN_FUNC,
    EXTERN_GLOBAL,
    EXTERN_MEMORY,
    EXTERN_TABLE,
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    MAX_PAGES,
    V128,
    FuncType,
    Limits,
    is_ref,
)

UNKNOWN = 0  # the bottom type of unreachable code

MAX_FUNC_PARAMS_RESULTS = 1000


# -- per-opcode typing data, derived from the instruction table -------------------------

_WIDTH = {"i32": 4, "i64": 8, "f32": 4, "f64": 8, "v128": 16}
_LANES = {"i8x16": 16, "i16x8": 8, "i32x4": 4, "i64x2": 2, "f32x4": 4, "f64x2": 2}


def _natural_align(name: str) -> int:
    """Log2 of the natural alignment of a memory access instruction."""
    prefix, _, rest = name.partition(".")
    m = re.match(r"(?:load|store)(\d+)(?:x(\d+))?", rest)
    if m:
        size = int(m.group(1)) // 8 * (int(m.group(2)) if m.group(2) else 1)
    else:
        size = _WIDTH[prefix]
    return size.bit_length() - 1


def _lanes(name: str) -> int:
    prefix, _, rest = name.partition(".")
    if prefix in _LANES:
        return _LANES[prefix]
    m = re.match(r"(?:load|store)(\d+)_lane", rest)
    assert m, name
    return 128 // int(m.group(1))


# op -> (params, results, max_align or -1, lanes or 0, needs_memory)
_FIXED: dict[int, tuple[tuple[int, ...], tuple[int, ...], int, int, bool]] = {}
for _op, _info in OPS.items():
    if _info.sig is None:
        continue
    _align = -1
    _lane_count = 0
    _mem = False
    if _info.imm in ("memarg", "memarg_lane"):
        _align = _natural_align(_info.name)
        _mem = True
    if _info.imm in ("lane", "memarg_lane"):
        _lane_count = _lanes(_info.name)
    if _info.imm == "memidx" or _info.name.startswith("memory."):
        _mem = True
    _FIXED[_op] = (_info.sig[0], _info.sig[1], _align, _lane_count, _mem)

_CONST_OPS = {
    OP["i32.const"]: I32,
    OP["i64.const"]: I64,
    OP["f32.const"]: F32,
    OP["f64.const"]: F64,
}
if "v128.const" in OP:
    _CONST_OPS[OP["v128.const"]] = V128

_END = OP["end"]
_REF_NULL = OP["ref.null"]
_REF_FUNC = OP["ref.func"]
_GLOBAL_GET = OP["global.get"]


class _Err(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail


def validate_module(module: Module, features: CoreFeatures = CoreFeatures.V2) -> None:
    """Check ``module`` against the spec; raise ``ValidationError`` if invalid.
    Fills ``module.func_info`` and ``module.declared_refs``.

    A body not decoded yet (``module.lazy_bodies``) is validated when it is
    first read, so before its function can run: reading it raises the
    ``ValidationError`` then. Everything else is validated now."""
    _ModuleValidator(module, features).run()


class _ModuleValidator:
    def __init__(self, module: Module, features: CoreFeatures) -> None:
        self.m = module
        self.features = features

    def fail(self, reason: str, offset: int | None = None, detail: str = "") -> ValidationError:
        return ValidationError(reason, None, offset, detail)

    def run(self) -> None:
        m = self.m
        f = self.features
        for t in m.types:
            if len(t.results) > 1 and not f & CoreFeatures.MULTI_VALUE:
                raise self.fail("invalid result arity")
        ntypes = len(m.types)
        for imp in m.imports:
            if imp.kind == EXTERN_FUNC:
                if imp.desc >= ntypes:
                    raise self.fail("unknown type", imp.offset)
            elif imp.kind == EXTERN_TABLE:
                self.table_limits(imp.desc.limits, imp.offset)
            elif imp.kind == EXTERN_MEMORY:
                self.memory_limits(imp.desc.limits, imp.offset)
            elif imp.kind == EXTERN_GLOBAL:
                if imp.desc.mutable and not f & CoreFeatures.MUTABLE_GLOBAL:
                    raise self.fail("mutable global import")
        for t in m.funcs:
            if t >= ntypes:
                raise self.fail("unknown type")
        self.func_types = m.func_types()
        self.tables = m.all_tables()
        self.memories = m.all_memories()
        self.globals = m.all_globals()
        self.num_imported_globals = m.num_imported_globals
        self.ndata = m.data_count if m.data_count is not None else len(m.data)
        if len(self.tables) > 1 and not f & CoreFeatures.REFERENCE_TYPES:
            raise self.fail("multiple tables")
        if len(self.memories) > 1:
            raise self.fail("multiple memories")
        for t in m.tables:
            self.table_limits(t.limits, None)
        for mt in m.memories:
            self.memory_limits(mt.limits, None)

        # C.refs: functions referenced outside function bodies.
        refs: set[int] = set()
        for g in m.globals:
            refs.update(imm for op, imm, _ in g.init if op == _REF_FUNC)
        for e in m.elements:
            for expr in e.init:
                refs.update(imm for op, imm, _ in expr if op == _REF_FUNC)
        for ex in m.exports:
            if ex.kind == EXTERN_FUNC:
                refs.add(ex.index)
        self.refs = refs
        m.declared_refs = frozenset(refs)

        for g in m.globals:
            # Global initializers see only the imported globals (2.0).
            self.const_expr(g.init, g.type.val_type, self.num_imported_globals, g.offset)
        names: set[str] = set()
        limits = {
            EXTERN_FUNC: (len(self.func_types), "unknown function"),
            EXTERN_TABLE: (len(self.tables), "unknown table"),
            EXTERN_MEMORY: (len(self.memories), "unknown memory"),
            EXTERN_GLOBAL: (len(self.globals), "unknown global"),
        }
        for ex in m.exports:
            if ex.name in names:
                raise self.fail("duplicate export name", ex.offset)
            names.add(ex.name)
            n, reason = limits[ex.kind]
            if ex.index >= n:
                raise self.fail(reason, ex.offset)
            if ex.kind == EXTERN_GLOBAL and self.globals[ex.index].mutable:
                if not f & CoreFeatures.MUTABLE_GLOBAL:
                    raise self.fail("mutable global export", ex.offset)
        if m.start is not None:
            if m.start >= len(self.func_types):
                raise self.fail("unknown function")
            ft = self.func_types[m.start]
            if ft.params or ft.results:
                raise self.fail("start function")
        for e in m.elements:
            if e.mode == MODE_ACTIVE:
                if e.table >= len(self.tables):
                    raise self.fail("unknown table", e.offset)
                assert e.offset_expr is not None
                self.const_expr(e.offset_expr, I32, self.num_imported_globals, e.offset)
                if self.tables[e.table].elem_type != e.elem_type:
                    raise self.fail("type mismatch", e.offset)
            for expr in e.init:
                self.const_expr(expr, e.elem_type, self.num_imported_globals, e.offset)
        for d in m.data:
            if d.mode == MODE_ACTIVE:
                if d.memory >= len(self.memories):
                    raise self.fail(f"unknown memory {d.memory}", d.offset)
                assert d.offset_expr is not None
                self.const_expr(d.offset_expr, I32, self.num_imported_globals, d.offset)
        nimp = m.num_imported_funcs
        infos: list[Any] = [None] * len(m.codes)
        for k, code in enumerate(m.codes):
            if isinstance(code, LazyCode) and code.load is not None:
                # Validated when first read, before the function can run.
                code.load = self._checked(k, code, code.load, infos)
            else:
                infos[k] = self.function(nimp + k, code.locals, code.body)
        m.func_info = infos

    def function(self, index: int, locals_: tuple[int, ...], body: list[Instr]) -> FuncInfo:
        fv = _FuncValidator(self, index, self.func_types[index], locals_)
        try:
            return fv.run(body)
        except _Err as e:
            raise ValidationError(e.reason, index, fv.offset, e.detail) from None

    def _checked(self, k: int, code: LazyCode, load: Any, infos: list[Any]) -> Any:
        index = self.m.num_imported_funcs + k

        def load_checked() -> list[Instr]:
            body = load()
            infos[k] = self.function(index, code.locals, body)
            return body

        return load_checked

    def table_limits(self, lim: Limits, offset: int | None) -> None:
        if lim.max is not None and lim.min > lim.max:
            raise self.fail("size minimum must not be greater than maximum", offset)

    def memory_limits(self, lim: Limits, offset: int | None) -> None:
        if lim.min > MAX_PAGES or (lim.max is not None and lim.max > MAX_PAGES):
            raise self.fail("memory size must be at most 65536 pages (4GiB)", offset)
        if lim.max is not None and lim.min > lim.max:
            raise self.fail("size minimum must not be greater than maximum", offset)

    def const_expr(self, expr: list[Instr], want: int, nglobals: int, offset: int) -> None:
        stack: list[int] = []
        for op, imm, off in expr[:-1]:
            t = _CONST_OPS.get(op)
            if t is not None:
                stack.append(t)
            elif op == _REF_NULL:
                stack.append(imm)
            elif op == _REF_FUNC:
                if imm >= len(self.func_types):
                    raise self.fail(f"unknown function {imm}", off)
                stack.append(FUNCREF)
            elif op == _GLOBAL_GET:
                if imm >= nglobals:
                    raise self.fail(f"unknown global {imm}", off)
                g = self.globals[imm]
                if g.mutable:
                    raise self.fail("constant expression required", off)
                stack.append(g.val_type)
            else:
                raise self.fail("constant expression required", off)
        if stack != [want]:
            raise self.fail("type mismatch", offset)


class _Frame:
    __slots__ = ("op", "params", "results", "height", "unreachable")

    def __init__(
        self, op: int, params: tuple[int, ...], results: tuple[int, ...], height: int
    ) -> None:
        self.op = op
        self.params = params
        self.results = results
        self.height = height
        self.unreachable = False

    def labels(self) -> tuple[int, ...]:
        return self.params if self.op == _LOOP else self.results


_BLOCK = OP["block"]
_LOOP = OP["loop"]
_IF = OP["if"]
_ELSE = OP["else"]
_FUNC = -1


class _FuncValidator:
    def __init__(
        self, mv: _ModuleValidator, index: int, ft: FuncType, locals_: tuple[int, ...]
    ) -> None:
        self.mv = mv
        self.index = index
        self.ft = ft
        self.locals = ft.params + locals_
        self.offset = 0

    def block_type(self, bt: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        if bt == BLOCKTYPE_EMPTY:
            return (), ()
        if bt < 0:
            return (), (BLOCKTYPE_VALTYPES[bt],)
        types = self.mv.m.types
        if bt >= len(types):
            raise _Err("unknown type")
        t = types[bt]
        if not self.mv.features & CoreFeatures.MULTI_VALUE and (t.params or len(t.results) > 1):
            raise _Err("invalid result arity")
        return t.params, t.results

    def run(self, body: list[Instr]) -> FuncInfo:
        st: list[int] = []
        ctrls: list[_Frame] = [_Frame(_FUNC, (), self.ft.results, 0)]
        locals_ = self.locals
        nlocals = len(locals_)
        mv = self.mv
        fixed = _FIXED
        max_stack = 0
        # 1.0 required every br_table label to have the same types.
        strict_br_table = not mv.features & CoreFeatures.REFERENCE_TYPES

        def pop(expect: int) -> int:
            fr = ctrls[-1]
            if len(st) == fr.height:
                if fr.unreachable:
                    return UNKNOWN
                raise _Err("type mismatch", "stack empty")
            t = st.pop()
            if t != expect and t != UNKNOWN and expect != UNKNOWN:
                raise _Err("type mismatch")
            return t

        def pop_vals(ts: tuple[int, ...]) -> list[int]:
            out = [pop(t) for t in reversed(ts)]
            out.reverse()
            return out

        def push_frame(op: int, params: tuple[int, ...], results: tuple[int, ...]) -> None:
            pop_vals(params)
            ctrls.append(_Frame(op, params, results, len(st)))
            st.extend(params)

        def pop_frame() -> _Frame:
            fr = ctrls[-1]
            pop_vals(fr.results)
            if len(st) != fr.height:
                raise _Err("type mismatch", "values remain on the stack at end of block")
            ctrls.pop()
            return fr

        def unreachable() -> None:
            fr = ctrls[-1]
            del st[fr.height :]
            fr.unreachable = True

        def label(n: int) -> tuple[int, ...]:
            if n >= len(ctrls):
                raise _Err("unknown label")
            return ctrls[-1 - n].labels()

        def table(x: int) -> int:
            if x >= len(mv.tables):
                raise _Err(f"unknown table {x}")
            return mv.tables[x].elem_type

        def memory() -> None:
            if not mv.memories:
                raise _Err("unknown memory 0")

        for op, imm, off in body:
            self.offset = off
            sig = fixed.get(op)
            if sig is not None:
                params, results, align, lanes, mem = sig
                if mem:
                    memory()
                    if align >= 0:
                        if imm[0] > align:
                            raise _Err("alignment must not be larger than natural")
                        if lanes and imm[2] >= lanes:
                            raise _Err("invalid lane index")
                    elif op == _MEMORY_INIT:
                        if imm[0] >= mv.ndata:
                            raise _Err(f"unknown data segment {imm[0]}")
                elif lanes:
                    if imm >= lanes:
                        raise _Err("invalid lane index")
                elif op in _SPECIAL_FIXED:
                    self.special_fixed(op, imm, table)
                # pop params
                fr = ctrls[-1]
                n = len(params)
                if len(st) - fr.height >= n and n:
                    top = st[len(st) - n :]
                    if top != list(params):
                        for a, b in zip(top, params, strict=True):
                            if a != b and a != UNKNOWN:
                                raise _Err("type mismatch")
                    del st[len(st) - n :]
                elif n:
                    pop_vals(params)
                st.extend(results)
                if len(st) > max_stack:
                    max_stack = len(st)
                continue
            name = OPS[op].name
            if op == _BLOCK or op == _LOOP:
                params, results = self.block_type(imm)
                push_frame(op, params, results)
            elif op == _IF:
                params, results = self.block_type(imm)
                pop(I32)
                push_frame(op, params, results)
            elif op == _ELSE:
                fr = ctrls[-1]
                if fr.op != _IF:
                    raise _Err("else without if")
                pop_frame()
                ctrls.append(_Frame(_ELSE, fr.params, fr.results, len(st)))
                st.extend(fr.params)
            elif op == _END:
                fr = pop_frame()
                if fr.op == _IF and fr.params != fr.results:
                    raise _Err("type mismatch", "if without else must not change the stack")
                st.extend(fr.results)
            elif name == "br":
                pop_vals(label(imm))
                unreachable()
            elif name == "br_if":
                pop(I32)
                ts = label(imm)
                pop_vals(ts)
                st.extend(ts)
            elif name == "br_table":
                labels, default = imm
                pop(I32)
                dts = label(default)
                m = len(dts)
                for lab in labels:
                    ts = label(lab)
                    if len(ts) != m or (ts != dts and strict_br_table):
                        raise _Err("type mismatch", "br_table label types differ")
                    st.extend(pop_vals(ts))
                pop_vals(dts)
                unreachable()
            elif name == "return":
                pop_vals(self.ft.results)
                unreachable()
            elif name == "unreachable":
                unreachable()
            elif name == "nop":
                pass
            elif name == "call":
                if imm >= len(mv.func_types):
                    raise _Err(f"unknown function {imm}")
                ft = mv.func_types[imm]
                pop_vals(ft.params)
                st.extend(ft.results)
            elif name == "call_indirect":
                typeidx, tab = imm
                if table(tab) != FUNCREF:
                    raise _Err("type mismatch", "call_indirect on a table of externref")
                if typeidx >= len(mv.m.types):
                    raise _Err(f"unknown type {typeidx}")
                ft = mv.m.types[typeidx]
                pop(I32)
                pop_vals(ft.params)
                st.extend(ft.results)
            elif name == "drop":
                pop(UNKNOWN)
            elif name == "select":
                pop(I32)
                t1 = pop(UNKNOWN)
                t2 = pop(UNKNOWN)
                if is_ref(t1) or is_ref(t2):
                    raise _Err("type mismatch", "untyped select on references")
                if t1 != t2 and t1 != UNKNOWN and t2 != UNKNOWN:
                    raise _Err("type mismatch")
                st.append(t1 if t1 != UNKNOWN else t2)
            elif name == "select_t":
                if len(imm) != 1:
                    raise _Err("invalid result arity")
                t = imm[0]
                pop(I32)
                pop(t)
                pop(t)
                st.append(t)
            elif name == "local.get":
                if imm >= nlocals:
                    raise _Err(f"unknown local {imm}")
                st.append(locals_[imm])
            elif name == "local.set":
                if imm >= nlocals:
                    raise _Err(f"unknown local {imm}")
                pop(locals_[imm])
            elif name == "local.tee":
                if imm >= nlocals:
                    raise _Err(f"unknown local {imm}")
                pop(locals_[imm])
                st.append(locals_[imm])
            elif name == "global.get":
                if imm >= len(mv.globals):
                    raise _Err(f"unknown global {imm}")
                st.append(mv.globals[imm].val_type)
            elif name == "global.set":
                if imm >= len(mv.globals):
                    raise _Err(f"unknown global {imm}")
                g = mv.globals[imm]
                if not g.mutable:
                    raise _Err("global is immutable")
                pop(g.val_type)
            elif name == "table.get":
                t = table(imm)
                pop(I32)
                st.append(t)
            elif name == "table.set":
                t = table(imm)
                pop(t)
                pop(I32)
            elif name == "table.size":
                table(imm)
                st.append(I32)
            elif name == "table.grow":
                t = table(imm)
                pop(I32)
                pop(t)
                st.append(I32)
            elif name == "table.fill":
                t = table(imm)
                pop(I32)
                pop(t)
                pop(I32)
            elif name == "ref.null":
                st.append(imm)
            elif name == "ref.is_null":
                t = pop(UNKNOWN)
                if t != UNKNOWN and not is_ref(t):
                    raise _Err("type mismatch")
                st.append(I32)
            elif name == "ref.func":
                if imm >= len(mv.func_types):
                    raise _Err(f"unknown function {imm}")
                if imm not in mv.refs:
                    raise _Err("undeclared function reference")
                st.append(FUNCREF)
            else:  # pragma: no cover - every opcode of the table is handled
                raise AssertionError(f"no validation rule for {name}")
            if len(st) > max_stack:
                max_stack = len(st)
        return FuncInfo(max_stack, nlocals)

    def special_fixed(self, op: int, imm: object, table) -> None:  # noqa: ANN001
        mv = self.mv
        if op == _DATA_DROP:
            if imm >= mv.ndata:  # type: ignore[operator]
                raise _Err(f"unknown data segment {imm}")
        elif op == _ELEM_DROP:
            if imm >= len(mv.m.elements):  # type: ignore[operator]
                raise _Err(f"unknown elem segment {imm}")
        elif op == _TABLE_INIT:
            elem, tab = imm  # type: ignore[misc]
            t = table(tab)
            if elem >= len(mv.m.elements):
                raise _Err(f"unknown elem segment {elem}")
            if mv.m.elements[elem].elem_type != t:
                raise _Err("type mismatch")
        elif op == _TABLE_COPY:
            dst, src = imm  # type: ignore[misc]
            if table(dst) != table(src):
                raise _Err("type mismatch")
        elif op == _SHUFFLE:
            if any(lane >= 32 for lane in imm):  # type: ignore[attr-defined]
                raise _Err("invalid lane index")


_MEMORY_INIT = OP["memory.init"]
_DATA_DROP = OP["data.drop"]
_ELEM_DROP = OP["elem.drop"]
_TABLE_INIT = OP["table.init"]
_TABLE_COPY = OP["table.copy"]
_SHUFFLE = OP.get("i8x16.shuffle", -2)
_SPECIAL_FIXED = {_DATA_DROP, _ELEM_DROP, _TABLE_INIT, _TABLE_COPY, _SHUFFLE}

__all__ = ["validate_module", "FuncInfo", "UNKNOWN", "EXTERNREF"]
