"""Traps the translator must not drop or reorder (found by the native
engine's differential generator, tests/internal/engine/native/gen.py)."""

from __future__ import annotations

import pytest

from wasmzero import Runtime, RuntimeConfig, Trap, TrapKind

wasmtime = pytest.importorskip("wasmtime")

CASES = [
    # (x >>s 31) & (0 / x): the sign-mask idiom must still evaluate (and
    # trap in) its other operand.
    (
        '(module (func (export "f") (result i32) (local i32) (i32.and (i32.shr_s '
        "(local.get 0) (i32.const 63)) (i32.div_s (i32.const 0) (local.get 0)))))",
        [],
        TrapKind.INTEGER_DIVIDE_BY_ZERO,
    ),
    # A store's address is evaluated before its value: its out-of-bounds
    # load traps first.
    (
        '(module (memory 1) (func (export "f") (param i32) (i32.store8 (i32.load16_s '
        "offset=65530 (i32.const 31)) (i32.rem_s (i32.const 1) (local.get 0)))))",
        [0],
        TrapKind.MEMORY_OUT_OF_BOUNDS,
    ),
]


@pytest.mark.parametrize("engine", ["compiler", "interpreter", "native"])
@pytest.mark.parametrize(("wat", "args", "kind"), CASES)
def test_the_first_trap_in_wasm_order(engine: str, wat: str, args: list, kind: TrapKind) -> None:
    with Runtime(RuntimeConfig(engine=engine)) as rt:
        f = rt.instantiate(wasmtime.wat2wasm(wat)).exported_function("f")
        with pytest.raises(Trap) as e:
            f(*args)
        assert e.value.kind is kind
