"""The official spec suite: one test per script, run on both engines (v1 with
Core 1.0 features and v2 with Core 2.0, see tests/spectest); the two engines
must pass every command and agree on the exact Python value (type included:
an i32 is an ``int``, never a ``bool``) of every result."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from tests.spectest.runner import SPECTEST, ExternRef, run_script, scripts

if not SPECTEST.is_dir():  # pragma: no cover - the suite lives beside the checkout
    pytest.skip(f"spec suite not found at {SPECTEST}", allow_module_level=True)

ENGINES = ("compiler", "interpreter")
CASES = [(suite, script) for suite in ("v1", "v2") for script in scripts(suite)]


def exact(v: Any) -> Any:
    """A result as a comparable value that keeps its Python type (floats by
    their bits, so that NaN payloads and -0.0 count)."""
    if isinstance(v, float):
        return ("float", struct.pack("<d", v))
    if v is None or isinstance(v, (int, ExternRef)):
        return (type(v).__name__, v)
    # A function reference: its identity is each runtime's own.
    return (type(v).__name__,)


@pytest.mark.parametrize(("suite", "script"), CASES, ids=[f"{a}/{b}" for a, b in CASES])
def test_script(suite: str, script: str) -> None:
    values = {}
    for engine in ENGINES:
        res = run_script(suite, script, engine)
        assert res.failed == 0, f"{engine}:\n" + "\n".join(res.failures[:20])
        assert res.passed + res.skipped > 0
        values[engine] = [(line, [exact(v) for v in got]) for line, got in res.values]
    first, second = (values[e] for e in ENGINES)
    differ = [(a, b) for a, b in zip(first, second, strict=True) if a != b]
    assert differ == [], f"{ENGINES[0]} vs {ENGINES[1]}: {differ[:10]}"
