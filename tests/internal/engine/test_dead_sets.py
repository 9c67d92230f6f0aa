"""A ``local.set`` whose value is set again in the same straight-line code,
or is dead where that code ends, and is read in between once or only as
the address of accesses through a view, is not written out: its reads take
the value. Exact against wasmtime, including where the local is read again
after a loop, after a branch, or after a local its value reads changed."""

from __future__ import annotations

import pytest

from .oracle import agree, translated

wasmtime = pytest.importorskip("wasmtime")

# $p: a frame pointer with a shadow (aligned accesses in a loop); $a: C's
# temporary `a = p + 80; *a += x; a = p + 88; *a += y`, read after the loop
# on one path only; $b: set, then p changes, then b read (must be kept).
_TEXT = """
(module
  (memory 1)
  (func (export "run") (param $n i32) (param $x i32) (result i32)
    (local $p i32) (local $a i32) (local $b i32) (local $i i32) (local $q i32)
    ;; (no known range: sums with p are wrapped, their terms known)
    (local.set $p (i32.and (i32.mul (local.get $x) (i32.const 48)) (i32.const -16)))
    (local.set $q (local.get $p))
    (local.set $a (i32.const 7))
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        ;; a = p + 80; *a += i
        (i32.store (local.tee $a (i32.add (local.get $p) (i32.const 80)))
          (i32.add (i32.load (local.get $a)) (local.get $i)))
        ;; a = p + 88; *a += x (a is dead after this on the back edge)
        (i32.store (local.tee $a (i32.add (local.get $p) (i32.const 88)))
          (i32.add (i32.load (local.get $a)) (local.get $x)))
        ;; b = q + 8; q = q + 16; *b = i  (b read after q changed)
        (local.set $b (i32.add (local.get $q) (i32.const 8)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (i32.store (local.get $b) (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    ;; after the loop, a is read where x is odd: its last value
    (if (i32.and (local.get $x) (i32.const 1))
      (then (return (i32.add (local.get $a) (i32.load (local.get $b))))))
    (i32.add (i32.load (i32.add (local.get $p) (i32.const 80))) (local.get $q))))
"""

# Dead sets in straight-line code before a trap: the trap still happens.
_TRAPS = """
(module
  (memory 1)
  (func (export "run") (param $x i32) (param $y i32) (result i32)
    (local $t i32)
    (local.set $t (i32.div_u (local.get $x) (local.get $y)))
    (local.set $t (i32.add (local.get $x) (i32.const 1)))
    (local.set $t (i32.add (local.get $t) (i32.load (local.get $y))))
    (local.get $t)))
"""


def test_against_wasmtime() -> None:
    agree(
        _TEXT, [(n, x) for n in (0, 1, 2, 5, 40, 3900) for x in (0, 1, 2, 3, 62, 1365, 0xFFFFFFFF)]
    )


def test_traps_are_kept() -> None:
    agree(_TRAPS, [(x, y) for x in (0, 1, 5, -1) for y in (0, 1, 4, 65535, 65536, -1)])


def test_forms() -> None:
    src = translated(_TEXT)
    assert "l3 = ((l2 + 80)" not in src  # set again before any other read
    assert "l3 = ((l2 + 88)" in src  # read after the loop: kept
    assert "l4 = ((l6 + 8)" in src  # read after q changed: kept
    src = translated(_TRAPS)
    assert "//" in src or "_n_" in src  # the division (it may trap) is kept


# nbody's walk over bodies: n = p + 56 (an alias of p), accesses around p,
# p + 96 tee'd and dead (not assigned: p keeps its value, n stays an alias
# of it), then p = n: the shadow steps by 7 instead of being recomputed.
_WALK = """
(module
  (memory 1)
  (func (export "run") (param $k i32) (param $x i32) (result i32)
    (local $p i32) (local $n i32)
    (local.set $p (i32.and (i32.mul (local.get $x) (i32.const 8)) (i32.const -8)))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $n (i32.add (local.get $p) (i32.const 56)))
        (f64.store offset=8 (local.get $p)
          (f64.add (f64.load offset=8 (local.get $p))
            (f64.add (f64.load offset=16 (local.get $p))
              (f64.add (f64.load offset=24 (local.get $p)) (f64.convert_i32_u (local.get $k))))))
        (f64.store (local.tee $p (i32.add (local.get $p) (i32.const 96)))
          (f64.add (f64.load (local.get $p)) (f64.const 1.5)))
        (local.set $p (local.get $n))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $l)))
    (i32.trunc_f64_u (f64.add (f64.load offset=8 (local.get $x)) (f64.load offset=96 (local.get $x))))))
"""


def test_aliases_survive_dead_sets() -> None:
    src = translated(_WALK)
    assert "q2 = q2 + 7 if l2 >= 56 else l2 >> 3" in src
    assert "l2 = ((l2 + 96)" not in src
    agree(_WALK, [(k, x) for k in (0, 1, 2, 7, 300) for x in (0, 1, 8, 100, 8000, 8190)])
