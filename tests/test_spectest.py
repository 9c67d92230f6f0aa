"""The official spec suite: one test per script and engine, v1 with Core 1.0
features and v2 with Core 2.0 (see tests/spectest)."""

from __future__ import annotations

import pytest

from tests.spectest.runner import SPECTEST, run_script, scripts

if not SPECTEST.is_dir():  # pragma: no cover - the suite lives beside the checkout
    pytest.skip(f"spec suite not found at {SPECTEST}", allow_module_level=True)

CASES = [
    (suite, script, engine)
    for engine in ("compiler", "interpreter")
    for suite in ("v1", "v2")
    for script in scripts(suite)
]


@pytest.mark.parametrize(
    ("suite", "script", "engine"), CASES, ids=[f"{c}/{a}/{b}" for a, b, c in CASES]
)
def test_script(suite: str, script: str, engine: str) -> None:
    res = run_script(suite, script, engine)
    assert res.failed == 0, "\n".join(res.failures[:20])
    assert res.passed + res.skipped > 0
