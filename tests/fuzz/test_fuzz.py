"""The fuzz harness in CI: every saved finding replayed, and a short seeded
slice of both modes (mutated modules through the whole pipeline on every
engine, native included; random valid modules on every engine against
wasmtime)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import CORPUS, mutate, run

pytest.importorskip("wasmtime")

CASES = sorted(p for p in CORPUS.glob("*") if p.suffix in (".wasm", ".wat"))


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_saved_case(path: Path) -> None:
    from .harness import replay

    answer = replay(path)
    assert answer["status"] == "ok", answer["detail"]


def test_seeded_slice() -> None:
    """About 25 s: 3,000 mutated modules and 100 differential modules from a
    fixed seed; no crash, hang, untyped exception, slow phase or
    disagreement."""
    report = run(seed=20261205, cases=3000, diff_cases=100, save_to=None)
    assert report.cases == 3000 and report.diff_cases == 100
    assert not report.findings, report.findings[0]


def test_seeded_slice_native() -> None:
    """Mutated modules through the native engine only: a crash of the
    worker process (a segfault) is a finding."""
    report = run(seed=5252, cases=1500, diff_cases=50, engines=("native",), save_to=None)
    assert report.cases == 1500
    assert not report.findings, report.findings[0]


def test_mutations_are_reproducible() -> None:
    import random

    data = b"\x00asm\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f"
    a = [mutate(random.Random(7), data, data) for _ in range(3)]
    b = [mutate(random.Random(7), data, data) for _ in range(3)]
    assert a == b
