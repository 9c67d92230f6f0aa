"""Differential fuzzing of structured control flow: random functions of
nested block/loop/if with br, br_if, br_table and return, run by wasmzero
and by wasmtime, must agree on every input.

The lowering of control flow (Python loops, tail breaks, guard mode beyond
CPython's nesting limit, switch chains) is the translator's most intricate
part; this test explores shapes no hand-written test lists.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wasmzero import Runtime, RuntimeConfig

wasmtime = pytest.importorskip("wasmtime")

# Locals: 0..2 params, 3 accumulator, 4 fuel (bounds every loop).
_FUEL = 200


class _Gen:
    def __init__(self, rnd: random.Random, max_depth: int) -> None:
        self.r = rnd
        self.max_depth = max_depth
        self.labels: list[str] = []  # kinds of enclosing labels, innermost last

    def cond(self) -> str:
        r = self.r
        a = f"(local.get {r.randrange(3)})"
        k = r.randrange(4)
        op = r.choice(["i32.eq", "i32.ne", "i32.lt_u", "i32.gt_s", "i32.and"])
        return f"({op} {a} (i32.const {k}))"

    def stmt(self, depth: int) -> str:
        r = self.r
        choices = ["acc", "acc", "br_if", "br", "br_table", "ret"]
        if depth < self.max_depth:
            choices += ["block", "block", "loop", "if", "block"]
        c = r.choice(choices)
        n = len(self.labels)
        if c == "acc":
            return f"(local.set 3 (i32.add (i32.mul (local.get 3) (i32.const 3)) (i32.const {r.randrange(1, 9)})))"
        if c == "ret":
            return "(return (local.get 3))" if r.random() < 0.3 else ""
        if c in ("br_if", "br", "br_table") and n == 0:
            return ""
        if c == "br_if":
            return f"(br_if {r.randrange(n)} {self.cond()})"
        if c == "br":
            if r.random() < 0.5:
                return ""
            return f"(br {r.randrange(n)})"
        if c == "br_table":
            if r.random() < 0.5:
                return ""
            targets = " ".join(str(r.randrange(n)) for _ in range(r.randrange(1, 6)))
            return f"(br_table {targets} (local.get {r.randrange(3)}))"
        body_len = r.randrange(0, 4)
        if c == "block":
            self.labels.append("block")
            body = " ".join(self.stmt(depth + 1) for _ in range(body_len))
            self.labels.pop()
            return f"(block {body})"
        if c == "loop":
            self.labels.append("loop")
            body = " ".join(self.stmt(depth + 1) for _ in range(body_len))
            self.labels.pop()
            fuel = (
                "(if (i32.eqz (local.get 4)) (then (return (i32.const -1))))"
                "(local.set 4 (i32.sub (local.get 4) (i32.const 1)))"
            )
            return f"(loop {fuel} {body})"
        self.labels.append("if")
        then = " ".join(self.stmt(depth + 1) for _ in range(body_len))
        other = " ".join(self.stmt(depth + 1) for _ in range(r.randrange(0, 3)))
        self.labels.pop()
        return f"(if {self.cond()} (then {then}) (else {other}))"

    def module(self) -> str:
        body = " ".join(self.stmt(0) for _ in range(self.r.randrange(1, 6)))
        return (
            '(module (func (export "f") (param i32 i32 i32) (result i32) (local i32 i32)'
            f" (local.set 4 (i32.const {_FUEL})) {body} (local.get 3)))"
        )


_INPUTS = [(a, b, c) for a in range(4) for b in (0, 1, 3) for c in (0, 2)]


def _check(wat: str) -> None:
    wasm = wasmtime.wat2wasm(wat)
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    expected_fn = wasmtime.Instance(store, wasmtime.Module(engine, wasm), []).exports(store)["f"]
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        got_fn = rt.instantiate(wasm).exported_function("f")
        for args in _INPUTS:
            assert got_fn(*args) == expected_fn(store, *args), (wat, args)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_random_control_flow(seed: int) -> None:
    _check(_Gen(random.Random(seed), 5).module())


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_random_deep_control_flow(seed: int) -> None:
    """Deeper nesting: exercises the guard mode past CPython's loop limit."""
    rnd = random.Random(seed)
    g = _Gen(rnd, 12)
    inner = g.module()
    # Wrap in many blocks so the random code sits deep in the nesting.
    wat = inner
    for _ in range(rnd.randrange(10, 18)):
        wat = wat.replace(
            "(local.set 4 (i32.const 200))", "(local.set 4 (i32.const 200)) (block", 1
        )
        wat = wat[: wat.rindex("(local.get 3)))")] + ") (local.get 3)))"
    _check(wat)


def test_branch_out_of_loop_to_guard_block_and_beyond() -> None:
    """From inside a loop, one branch goes to a block inside the next loop
    out (lowered without a Python loop: it resumes after that block) and
    another leaves that loop too: only the second may leave it."""
    _check(
        """
(module (func (export "f") (param i32 i32 i32) (result i32) (local i32 i32)
  (block $exit
    (loop $outer
      (block $g
        (loop $inner
          (local.set 3 (i32.add (local.get 3) (i32.const 1)))
          (br_if $g (i32.eq (i32.and (local.get 3) (i32.const 3)) (local.get 1)))
          (br_if $exit (i32.gt_u (local.get 3) (i32.const 40)))
          (br $inner))
        (local.set 3 (i32.add (local.get 3) (i32.const 100))))
      (local.set 3 (i32.add (local.get 3) (local.get 0)))
      (br_if $outer (i32.lt_u (local.get 3) (i32.const 1000)))))
  (local.get 3)))
"""
    )
