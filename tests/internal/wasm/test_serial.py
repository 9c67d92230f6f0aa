"""The module as plain data for the disk cache: exact round trip, and
anything unexpected rejected rather than trusted."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from wasmzero.internal.binary.decoder import decode_module
from wasmzero.internal.wasm.serial import module_from_data, module_to_data
from wasmzero.internal.wasm.validation import validate_module

ROOT = Path(__file__).resolve().parents[3]
MODULES = [ROOT / "examples" / "hello.wasm", ROOT / "benchmarks" / "simd" / "vecloop_simd.wasm"]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_round_trip_through_marshal(path: Path) -> None:
    module = decode_module(path.read_bytes())
    validate_module(module)
    data = marshal.loads(marshal.dumps(module_to_data(module)))
    again = module_from_data(data)
    assert again == module
    assert again is not None and again.func_info == module.func_info


@pytest.mark.parametrize(
    "junk",
    [None, 1, (2, ()), (1, ("\x00dc", "NoSuchClass", ())), (1, ("\x00dc", "Module", (1,))), (1, 5)],
)
def test_unexpected_data_is_rejected(junk: object) -> None:
    assert module_from_data(junk) is None


def test_bodies_stay_marshalled_until_read() -> None:
    module = decode_module(MODULES[0].read_bytes())
    validate_module(module)
    again = module_from_data(marshal.loads(marshal.dumps(module_to_data(module))))
    assert again is not None
    code = again.codes[0]
    assert "body" not in vars(code)  # a cached run that translates nothing never reads it
    assert code.body == module.codes[0].body
    assert "body" in vars(code) and code == module.codes[0]
