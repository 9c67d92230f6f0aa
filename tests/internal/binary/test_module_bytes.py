"""One copy of a module's bytes: a module whose bodies are decoded lazily
keeps the buffer it was decoded from (its bodies' loaders read it), so its
large data segments and custom sections are views of that buffer, not
copies (small ones are copies: a view object costs more); an eagerly
decoded module keeps copies of them, and nothing pins the buffer."""

from __future__ import annotations

import pytest
import wasmtime

from wasmzero import Runtime, RuntimeConfig
from wasmzero.internal.binary import decoder
from wasmzero.internal.binary.decoder import decode_module
from wasmzero.internal.binary.encoder import name, section
from wasmzero.internal.engine import available_engines

ENGINES = list(available_engines())

WAT = """
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "active segment")
  (data $p "passive bytes!" "DOTS")
  (func (export "init") (param $dst i32) (param $src i32) (param $n i32)
    (memory.init $p (local.get $dst) (local.get $src) (local.get $n)))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
)
""".replace("DOTS", "." * decoder.VIEW_MIN)

PAYLOAD = bytes(range(256)) * 4
PASSIVE = b"passive bytes!" + b"." * decoder.VIEW_MIN


def _module() -> bytes:
    # Custom sections before and after the others.
    custom = section(0, name("meta") + PAYLOAD)
    return bytes(wasmtime.wat2wasm(WAT)) + custom + section(0, name("tail") + b"xyz")


def _code_buffer(code: object) -> object:
    """The buffer a lazy body's loader decodes from (its closure's ``data``)."""
    load = code.load  # type: ignore[attr-defined]
    cells = [c.cell_contents for c in load.__closure__ or ()]
    return next(c for c in cells if isinstance(c, bytes))


def test_lazy_module_keeps_views_of_one_buffer() -> None:
    data = _module()
    m = decode_module(data, lazy=True)
    assert m.lazy_bodies
    # Bodies, data segments and custom sections all read the caller's bytes:
    # the decoder made no copy of them.
    for code in m.codes:
        assert _code_buffer(code) is data
    active, passive = (seg.data for seg in m.data)
    assert type(active) is bytes and active == b"active segment"  # small: a copy
    big = {c.name: c.data for c in m.custom_sections if len(c.data) >= decoder.VIEW_MIN}
    assert set(big) == {"meta"}
    for v in (passive, big["meta"]):
        assert isinstance(v, memoryview)
        assert v.obj is data
        assert v.readonly
    assert bytes(passive) == PASSIVE
    customs = {c.name: bytes(c.data) for c in m.custom_sections}
    assert (customs["meta"], customs["tail"]) == (PAYLOAD, b"xyz")
    assert m.names.locals[0] == {0: "dst", 1: "src", 2: "n"}  # "name" decoded as before


def test_eager_module_keeps_copies_not_the_buffer() -> None:
    m = decode_module(_module(), lazy=False)
    assert not m.lazy_bodies
    for blob in [seg.data for seg in m.data] + [c.data for c in m.custom_sections]:
        assert type(blob) is bytes
    assert {c.name: c.data for c in m.custom_sections}["meta"] == PAYLOAD


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("lazy", [True, False])
def test_segments_and_custom_sections_work_as_views(engine: str, lazy: bool) -> None:
    config = RuntimeConfig(engine=engine, lazy_validation=lazy, custom_sections=True)
    with Runtime(config) as rt:
        compiled = rt.compile_module(_module())
        sections = compiled.custom_sections
        assert (sections["meta"], sections["tail"]) == (PAYLOAD, b"xyz")
        assert all(type(v) is bytes for v in sections.values())
        mod = rt.instantiate_module(compiled)
        mem = mod.memory
        assert mem is not None
        assert mem.read(16, 14) == b"active segment"
        mod.exported_function("init")(100, 8, 6)
        assert mem.read(100, 6) == b"bytes!"
