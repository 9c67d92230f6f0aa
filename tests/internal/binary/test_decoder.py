"""The binary decoder: what the spec suite covers thinly (offsets, names,
custom sections, LEB128 edges, hostile counts) and a fuzz test."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wasmzero import CoreFeatures, DecodeError
from wasmzero.internal.binary.decoder import MAX_LOCALS, _Decoder, decode_module
from wasmzero.internal.binary.encoder import name, section
from wasmzero.internal.binary.encoder import uleb128 as leb
from wasmzero.internal.wasm.types import EXTERN_FUNC, I32, I64, FuncType

wasmtime = pytest.importorskip("wasmtime")

HEADER = b"\x00asm\x01\x00\x00\x00"


def decoder(data: bytes) -> _Decoder:
    return _Decoder(data, CoreFeatures.V2)


# -- LEB128 -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b"\x00", 0),
        (b"\x7f", 127),
        (b"\x80\x01", 128),
        (b"\x80\x80\x80\x80\x00", 0),  # overlong but within 5 bytes: allowed
        (b"\xff\xff\xff\xff\x0f", 0xFFFFFFFF),
    ],
)
def test_u32(data: bytes, value: int) -> None:
    d = decoder(data)
    assert d.u32() == value
    assert d.pos == len(data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xff\xff\xff\x1f", "integer too large"),  # bit 32 set
        (b"\xff\xff\xff\xff\x4f", "integer too large"),  # unused bits set
        (b"\x80\x80\x80\x80\x80\x00", "integer representation too long"),
        (b"\x80\x80", "unexpected end"),
    ],
)
def test_u32_errors(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as e:
        decoder(data).u32()
    assert e.value.reason == reason
    assert e.value.offset in (0, len(data))


@pytest.mark.parametrize(
    ("data", "bits", "value"),
    [
        (b"\x7f", 32, -1),
        (b"\x80\x7f", 32, -128),
        (b"\xff\xff\xff\xff\x07", 32, 0x7FFFFFFF),
        (b"\x80\x80\x80\x80\x78", 32, -0x80000000),
        (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00", 64, 0x7FFFFFFFFFFFFFFF),
        (b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f", 64, -(1 << 63)),
        (b"\x40", 33, -64),
    ],
)
def test_signed(data: bytes, bits: int, value: int) -> None:
    assert decoder(data).sleb(bits) == value


@pytest.mark.parametrize(
    ("data", "bits"),
    [
        (b"\xff\xff\xff\xff\x0f", 32),  # positive with sign bits inconsistent
        (b"\x80\x80\x80\x80\x70", 32),
        (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 64),
        (b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7e", 64),
    ],
)
def test_signed_too_large(data: bytes, bits: int) -> None:
    with pytest.raises(DecodeError, match="integer too large"):
        decoder(data).sleb(bits)


# -- errors carry offsets ---------------------------------------------------------------


def test_bad_magic_and_version() -> None:
    with pytest.raises(DecodeError, match="magic header not detected") as e:
        decode_module(b"\x00asn\x01\x00\x00\x00")
    assert e.value.offset == 0
    with pytest.raises(DecodeError, match="unknown binary version") as e:
        decode_module(b"\x00asm\x02\x00\x00\x00")
    assert e.value.offset == 4


def test_section_errors_have_offsets() -> None:
    data = HEADER + section(1, b"\x01\x60\x00\x00") + b"\x0d\x00"
    with pytest.raises(DecodeError) as e:
        decode_module(data)
    assert e.value.reason == "malformed section id"
    assert e.value.offset == len(HEADER) + 6
    data = HEADER + section(1, b"\x01\x60\x00\x00\x00")  # one byte too many
    with pytest.raises(DecodeError, match="section size mismatch"):
        decode_module(data)
    data = HEADER + b"\x01\x10\x01\x60"  # declared size beyond the end
    with pytest.raises(DecodeError, match="length out of bounds"):
        decode_module(data)
    data = HEADER + section(3, b"\x00") + section(1, b"\x00")  # out of order
    with pytest.raises(DecodeError, match="unexpected content after last section"):
        decode_module(data)


def test_function_and_code_counts_must_agree() -> None:
    data = HEADER + section(1, b"\x01\x60\x00\x00") + section(3, b"\x01\x00")
    with pytest.raises(DecodeError, match="inconsistent lengths"):
        decode_module(data)


def test_invalid_utf8_name() -> None:
    data = HEADER + section(7, b"\x01" + name(b"\xc0\x80") + b"\x00\x00")
    with pytest.raises(DecodeError, match="malformed UTF-8 encoding") as e:
        decode_module(data)
    assert e.value.offset == len(HEADER) + 4


def test_instruction_offsets() -> None:
    m = decode_module(
        wasmtime.wat2wasm("(module (func (result i32) i32.const 1 i32.const 2 i32.add))")
    )
    body = m.codes[0].body
    assert [op for op, _, _ in body] == [0x41, 0x41, 0x6A, 0x0B]
    offsets = [off for _, _, off in body]
    assert offsets == sorted(offsets) and offsets[1] == offsets[0] + 2
    assert m.codes[0].offset < offsets[0]


# -- name and custom sections -------------------------------------------------------


def test_name_section() -> None:
    wasm = wasmtime.wat2wasm(
        """(module $mod
          (import "env" "log" (func $log (param i32)))
          (func $add (param $a i32) (param $b i32) (result i32) (local $tmp i64)
            local.get $a local.get $b i32.add)
          (export "add" (func $add)))"""
    )
    m = decode_module(wasm)
    assert m.names.module == "mod"
    assert m.names.functions == {0: "log", 1: "add"}
    assert m.names.locals[1] == {0: "a", 1: "b", 2: "tmp"}
    assert m.codes[0].locals == (I64,)
    assert m.types[m.funcs[0]] == FuncType((I32, I32), (I32,))
    assert m.imports[0].kind == EXTERN_FUNC and (m.imports[0].module, m.imports[0].name) == (
        "env",
        "log",
    )


def test_malformed_name_section_is_ignored() -> None:
    names = b"\x01\x05\x01\x00\x10ab"  # function names subsection, truncated name
    data = HEADER + section(0, name("name") + names)
    m = decode_module(data)
    assert m.names.functions == {}
    assert m.custom_sections[0].name == "name"


def test_custom_sections_kept_in_order() -> None:
    data = (
        HEADER
        + section(0, name("first") + b"\x01\x02")
        + section(1, b"\x00")
        + section(0, name("second") + b"")
    )
    m = decode_module(data)
    assert [(c.name, c.data) for c in m.custom_sections] == [
        ("first", b"\x01\x02"),
        ("second", b""),
    ]


# -- hostile counts ----------------------------------------------------------------------


def test_huge_declared_counts_fail_fast() -> None:
    huge = leb(0xFFFFFFFF)
    for sid in (1, 2, 3, 4, 5, 6, 7, 9, 11):
        with pytest.raises(DecodeError):
            decode_module(HEADER + section(sid, huge))
    # A data segment claiming 4 GiB of bytes.
    seg = b"\x01\x01" + huge
    with pytest.raises(DecodeError, match="unexpected end"):
        decode_module(HEADER + section(11, seg))


def test_too_many_locals() -> None:
    body = b"\x01" + leb(MAX_LOCALS + 1) + b"\x7f" + b"\x0b"
    data = HEADER + section(1, b"\x01\x60\x00\x00") + section(3, b"\x01\x00")
    data += section(10, b"\x01" + leb(len(body)) + body)
    with pytest.raises(DecodeError, match="too many locals"):
        decode_module(data)


def test_v1_rejects_2_0_opcodes() -> None:
    wasm = wasmtime.wat2wasm("(module (func (param i32) (result i32) local.get 0 i32.extend8_s))")
    decode_module(wasm, CoreFeatures.V2)
    with pytest.raises(DecodeError, match="illegal opcode"):
        decode_module(wasm, CoreFeatures.V1)


# -- fuzz: any bytes give a module or a DecodeError -----------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    try:
        decode_module(HEADER + data)
    except DecodeError:
        pass


_SAMPLE = wasmtime.wat2wasm(
    """(module
      (type (func (param i32) (result i32)))
      (import "env" "f" (func (type 0)))
      (table 2 funcref) (memory 1 2) (global (mut i32) (i32.const 7))
      (func (type 0) local.get 0 i32.const 1 i32.add call 0)
      (elem (i32.const 0) 0 1)
      (data (i32.const 8) "hello")
      (export "g" (func 1)))"""
)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(_SAMPLE) - 1), st.integers(0, 255), st.integers(0, len(_SAMPLE)))
def test_mutated_and_truncated_modules(pos: int, byte: int, cut: int) -> None:
    data = bytearray(_SAMPLE)
    data[pos] = byte
    for candidate in (bytes(data), _SAMPLE[:cut]):
        try:
            decode_module(candidate)
        except DecodeError:
            pass
