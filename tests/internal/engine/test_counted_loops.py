"""Counted loops (internal/engine/compiler/passes/counters.py, ``Counted``): a loop
whose tail steps a counter and tests it against a loop-invariant bound runs
as ``for lX in range(...)`` where that is exact. Every shape, with starts,
bounds and steps on both sides of the guards (wrap-around, steps that miss
the bound, too few iterations), computes what wasmtime computes: the values
the body sees, the counter after the loop, and the exits by branch."""

from __future__ import annotations

import itertools
import random

import pytest

from wasmzero import Runtime, RuntimeConfig, Trap

wasmtime = pytest.importorskip("wasmtime")

from tests.internal.engine.oracle import agree, translated, wasmtime_export  # noqa: E402

_CMP = {"ne": "ne", "lt": "lt_u", "gt": "gt_u", "le": "le_u", "ge": "ge_u"}


def _module(
    bits: int, pred: str, step: int | None, start: int | None, bound: int | None, swapped: bool
) -> str:
    """``run(a, b, k)``: the counter starts at ``start`` (or ``a``), steps by
    ``step`` (or ``k``), is tested against ``bound`` (or ``b``); at most 300
    iterations (then a branch out). Returns a hash of the values seen, the
    counter after the loop and the number of iterations."""
    t = f"i{bits}"
    ext = "(i64.extend_i32_u (local.get $i))" if bits == 32 else "(local.get $i)"
    start_e = "(local.get $a)" if start is None else f"({t}.const {start})"
    bound_e = "(local.get $b)" if bound is None else f"({t}.const {bound})"
    step_e = "(local.get $k)" if step is None else f"({t}.const {step})"
    incr = f"(local.get $i) {step_e} ({t}.add) (local.tee $i)"
    if pred == "bare":
        tail = f"{incr} (br_if $l)"
    elif swapped:
        tail = f"{bound_e} {incr} ({t}.{_CMP[pred]}) (br_if $l)"
    else:
        tail = f"{incr} {bound_e} ({t}.{_CMP[pred]}) (br_if $l)"
    return f"""
(module
  (func (export "run") (param $a {t}) (param $b {t}) (param $k {t}) (result i64)
    (local $i {t}) (local $s i64) (local $n i32)
    (local.set $i {start_e})
    (block $out
      (loop $l
        (local.set $s (i64.add (i64.mul (local.get $s) (i64.const 31)) {ext}))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $out (i32.gt_u (local.get $n) (i32.const 300)))
        {tail}))
    (i64.add (i64.add (i64.mul (local.get $s) (i64.const 1000003)) {ext})
      (i64.extend_i32_u (local.get $n)))))
"""


def _values(bits: int, rng: random.Random) -> list[int]:
    m = 1 << bits
    edge = [0, 1, 2, 7, 8, 9, 16, 40, m // 2 - 1, m // 2, m - 20, m - 8, m - 1]
    return edge + [rng.randrange(m) for _ in range(3)]


def _args(bits: int, step: int | None, rng: random.Random) -> list[tuple[int, int, int]]:
    """Starts and bounds around each other: exact multiples of the step
    away, one off, far, across the wrap-around."""
    m = 1 << bits
    out = []
    steps = [step] if step is not None else [1, 2, 3, m - 1, m - 2, 0, m // 2, 8]
    for k in steps:
        ks = k if k < m // 2 else k - m
        for a in rng.sample(_values(bits, rng), 6):
            for j in (0, 1, 5, 8, 9, 20, 299):
                b = (a + j * ks) % m
                out.append((a, b, k % m))
                out.append((a, (b + 1) % m, k % m))
        out.append((rng.randrange(m), rng.randrange(m), k % m))
    return out


def _signed(v: int, bits: int) -> int:
    return v - (1 << bits) if v >= 1 << (bits - 1) else v


def _shapes() -> list[tuple]:
    shapes = []
    for bits, pred, swapped in itertools.product(
        (32, 64), ("ne", "lt", "gt", "le", "ge", "bare"), (False, True)
    ):
        if pred == "bare" and (bits == 64 or swapped):
            continue
        for step in (1, 2, 4, -1, -2, -3, None):
            for start, bound in (
                (None, None),
                (0, None),
                (None, 40),
                (0, 64),
                (-64, 0),
                (100, 3),
                (5, 4),
            ):
                shapes.append((bits, pred, step, start, bound, swapped))
    return shapes


_SHAPES = _shapes()


@pytest.mark.parametrize("chunk", range(8))
def test_counted_loops_agree_with_wasmtime(chunk: int) -> None:
    rng = random.Random(chunk)
    shapes = _SHAPES[chunk::8]
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        for bits, pred, step, start, bound, swapped in shapes:
            text = _module(bits, pred, step, start, bound, swapped)
            wasm = wasmtime.wat2wasm(text)
            want_run = wasmtime_export(wasm)
            got_run = rt.instantiate(wasm).exported_function("run")
            for a, b, k in rng.sample(_args(bits, step, rng), 12):
                sa, sb, sk = (_signed(v, bits) for v in (a, b, k))
                want = want_run(sa, sb, sk) & (2**64 - 1)
                got = got_run(a, b, k) & (2**64 - 1)
                assert got == want, (text, a, b, k)


def test_counted_loop_forms() -> None:
    # constant start and bound, enough iterations: the range form only
    src = translated(_module(32, "ne", 4, 0, 64, False))
    assert "for l3 in range(0, 64, 4):" in src and "while" not in src
    # a count-down to zero, start known
    src = translated(_module(32, "bare", -1, 100, None, False))
    assert "for l3 in range(100, 0, -1):" in src
    # too few iterations for a range to pay: the while loop only
    src = translated(_module(32, "ne", 1, 0, 3, False))
    assert "for " not in src and "while True:" in src
    # a step that misses the bound: never a range
    src = translated(_module(32, "ne", 3, 0, 64, False))
    assert "for " not in src
    # start or bound known on entry only: a guard picks the form
    src = translated(_module(32, "lt", 2, None, None, False))
    assert "if l3 + 8 <= l1 <= 4294967294:" in src and "while True:" in src
    src = translated(_module(64, "ne", None, None, None, False))
    assert "for " not in src  # a variable step is taken only with lt_u


def _shifted_module(start: int, step: int, early: bool) -> str:
    """A loop over a static array with a "negative" counter read only as
    ``i + C`` (hash64's shape); optionally a return from inside."""
    ret = (
        "(if (i32.eq (local.get $s) (local.get $p)) (then (return (i32.const -7))))"
        if early
        else ""
    )
    return f"""
(module
  (memory 1)
  (data (i32.const 1000) "\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f\\10\\11\\12\\13\\14")
  (func (export "run") (param $p i32) (param $q i32) (param $r i32) (result i32)
    (local $i i32) (local $s i32)
    (local.set $i (i32.const {start}))
    (loop $l
      (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 31))
        (i32.load8_u (i32.add (local.get $i) (i32.const {1000 - start})))))
      (local.set $s (i32.xor (local.get $s)
        (i32.load8_u (i32.add (local.get $i) (i32.const {1003 - start})))))
      (local.set $s (i32.add (local.get $s) (i32.add (local.get $i) (i32.const {2000 - start}))))
      {ret}
      (local.get $i) (i32.const {step}) (i32.add) (local.tee $i) (br_if $l))
    (i32.add (local.get $s) (local.get $i))))
"""


@pytest.mark.parametrize("start,step", [(-16, 1), (-16, 2), (-64, 4), (-15, 1)])
@pytest.mark.parametrize("early", [False, True])
def test_shifted_counters(start: int, step: int, early: bool) -> None:
    text = _shifted_module(start, step, early)
    src = translated(text)
    if not early:
        assert "for t" in src, src  # the loop runs over the addresses
    wasm = wasmtime.wat2wasm(text)
    want_run = wasmtime_export(wasm)
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        got_run = rt.instantiate(wasm).exported_function("run")
        for p in (0, 1, 5, 48, 1500, 2**31):
            sp = p - 2**32 if p >= 2**31 else p
            assert got_run(p, 0, 0) == want_run(sp, 0, 0), (text, p)


def _scaled_module(start: int, end: int, step: int, pred: str, extra: str, ty: str) -> str:
    """A static loop over two arrays whose counter is read only in the
    addresses of accesses of one size (sha256's rounds, hash64's fills): it
    runs over the counter divided by the access size."""

    def load(off: int, addr: str) -> str:
        if ty == "i64":
            return f"(i64.load offset={off} {addr})"
        return f"(i64.extend_i32_u (i32.load offset={off} {addr}))"

    def store(addr: str, value: str) -> str:
        if ty == "i64":
            return f"(i64.store {addr} {value})"
        return f"(i32.store {addr} (i32.wrap_i64 {value}))"

    a = "(i32.add (local.get $i) (i32.const 992))"
    b = "(i32.add (local.get $p) (local.get $i))"
    c = "(i32.add (local.get $i) (i32.const 1000))"
    d = "(i32.add (local.get $q) (local.get $i))"
    return f"""
(module
  (memory 1)
  (data (i32.const 1000) "\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f\\10")
  (func (export "run") (param $p i32) (param $q i32) (result i64)
    (local $i i32) (local $s i64)
    (local.set $p (i32.and (local.get $p) (i32.const -8)))
    (local.set $i (i32.const {start}))
    (block $out (loop $l
      (local.set $s (i64.add (local.get $s) {load(8, a)}))
      {store(b, f"(i64.add (local.get $s) {load(0, c)})")}
      (local.set $s (i64.xor (local.get $s) {load(8, d)}))
      {extra}
      (br_if $l (i32.{_CMP[pred]} (local.tee $i (i32.add (local.get $i) (i32.const {step})))
        (i32.const {end})))))
    (i64.add (local.get $s) (i64.extend_i32_u (local.get $i)))))
"""


_NOT_AN_ADDRESS = "(local.set $s (i64.add (local.get $s) (i64.extend_i32_u (local.get $i))))"
_WAY_OUT = "(br_if $out (i32.eq (local.get $i) (local.get $q)))"


@pytest.mark.parametrize(
    "start,end,step,pred,extra,ty,index",
    [
        (0, 64, 8, "ne", "", "i64", "MVQ[(t1 + 125)]"),  # (i + 1000) >> 3
        (0, 61, 8, "lt", "", "i64", "MVQ[(t1 + 125)]"),  # an end the range stops before
        (0, 64, 4, "ne", "", "i32", "MVI[(t1 + 250)]"),  # words: >> 2
        (0, 64, 4, "ne", "", "i64", None),  # a step below the size
        (64, 0, -8, "ne", "", "i64", "MVQ[(t1 + 125)]"),
        (0, 64, 8, "ne", _NOT_AN_ADDRESS, "i64", None),  # the counter is kept
        (0, 64, 8, "ne", _WAY_OUT, "i64", None),  # x must hold its value there
    ],
)
def test_scaled_counters(
    start: int, end: int, step: int, pred: str, extra: str, ty: str, index: str | None
) -> None:
    text = _scaled_module(start, end, step, pred, extra, ty)
    src = translated(text)
    if index is None:
        assert "for t1 in" not in src, src
    else:
        assert index in src, src
    wasm = wasmtime.wat2wasm(text)
    want_run = wasmtime_export(wasm)
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        got_run = rt.instantiate(wasm).exported_function("run")
        for p in (0, 8, 200, 4000, 65536 - 64, 2**31):
            for q in (0, 3, 64, 2**32 - 8):
                sp = p - 2**32 if p >= 2**31 else p
                sq = q - 2**32 if q >= 2**31 else q
                try:
                    want = want_run(sp, sq)
                except wasmtime.Trap:
                    with pytest.raises(Trap):
                        got_run(p, q)
                    continue
                assert got_run(p, q) == want, (text, p, q)


def _over_sum_module(pred: str, step: str, order: str, extra: str) -> str:
    """A loop decided on entry whose counter is read only as ``p + i`` (or
    ``i + p``): its range form runs over the sum (sieve's inner loop)."""
    read = "(i32.add (local.get $p) (local.get $i))"
    if order == "ip":
        read = "(i32.add (local.get $i) (local.get $p))"
    return f"""
(module
  (memory 1)
  (func (export "run") (param $p i32) (param $i i32) (param $n i32) (param $k i32) (result i32)
    (local $s i32)
    (block $out (loop $l
      (i32.store8 {read} (i32.add (local.get $s) (i32.const 1)))
      (local.set $s (i32.add (local.get $s) (i32.load8_u offset=3 {read})))
      {extra}
      (br_if $l (i32.{_CMP[pred]} (local.tee $i (i32.add (local.get $i) {step})) (local.get $n)))))
    ;; the counter's value after the loop, and what the loop wrote
    (i32.add (i32.mul (local.get $i) (i32.const 1000003))
      (i32.add (local.get $s) (i32.load (i32.const 100))))))
"""


@pytest.mark.parametrize(
    "pred,step,order,extra,over",
    [
        ("lt", "(local.get $k)", "pi", "", True),
        ("lt", "(i32.const 3)", "ip", "", True),
        ("ne", "(i32.const 1)", "pi", "", True),
        # another read of the counter: the loop keeps it
        (
            "lt",
            "(i32.const 3)",
            "pi",
            "(local.set $s (i32.add (local.get $s) (local.get $i)))",
            False,
        ),
        # a way out: the counter must hold its value there
        ("lt", "(i32.const 3)", "pi", "(br_if $out (i32.eq (local.get $s) (i32.const 9)))", False),
        # p written in the loop: not invariant
        (
            "lt",
            "(i32.const 3)",
            "pi",
            "(local.set $p (i32.add (local.get $p) (i32.const 1)))",
            False,
        ),
    ],
)
def test_loops_over_sums(pred: str, step: str, order: str, extra: str, over: bool) -> None:
    text = _over_sum_module(pred, step, order, extra)
    src = translated(text)
    assert ("for t" in src) == over, src
    wasm = wasmtime.wat2wasm(text)
    want_run = wasmtime_export(wasm)
    rng = random.Random(7)
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        got_run = rt.instantiate(wasm).exported_function("run")
        cases = [
            (p, i, n, k)
            for p in (0, 97, 2**32 - 40, 2**32 - 3)
            for i in (0, 5, 4294967290)
            for n in (0, 6, 40, 4294967295)
            for k in (1, 3)
        ]
        cases += [
            (rng.randrange(2**32), rng.randrange(64), rng.randrange(200), rng.randrange(1, 9))
            for _ in range(40)
        ]
        for p, i, n, k in cases:
            args = [v - 2**32 if v >= 2**31 else v for v in (p, i, n, k)]
            try:
                want = want_run(*args)
            except wasmtime.Trap:
                with pytest.raises(Trap):
                    got_run(p, i, n, k)
                continue
            assert got_run(p, i, n, k) == want, (text, p, i, n, k)


# sha256's message schedule: the counter is added to the base once, the sum
# kept in a local (a tee) that the accesses address; and the same with a
# counter of "negative" values (i from -1024 up to 0), whose sums wrap.
_TEED = """
(module
  (memory 1)
  (func (export "run") (param $p i32) (param $q i32) (result i32)
    (local $i i32) (local $a i32)
    (local.set $p (i32.and (local.get $p) (i32.const -8)))
    (local.set $i (i32.const {start}))
    (loop $l
      (i32.store offset=64 (local.tee $a (i32.add (local.get $p) (local.get $i)))
        (i32.add (i32.load offset=4 (local.get $a))
                 (i32.add (i32.load (local.get $a)) (local.get $q))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 4)))
                        (i32.const {end}))))
    (i32.add (i32.load offset={last} (local.get $p)) (local.get $i))))
"""


@pytest.mark.parametrize("start,end,last,scaled", [(0, 192, 252, True), (-1024, 0, 0, False)])
def test_scaled_counter_through_a_sum(start: int, end: int, last: int, scaled: bool) -> None:
    text = _TEED.format(start=start, end=end, last=last)
    assert ("q0 + t1 + 16" in translated(text)) == scaled
    ps = (0, 8, 2048, 4000, 65536 - 256, 65536 - 8, -(2**31))
    agree(text, [(p, q) for p in ps for q in (0, 3, -1)])
