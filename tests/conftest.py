"""Say, at the end of a run, which suites were skipped because ../shared
(the spec suite, the WASI test suite, the benchmark corpus) is not beside
this checkout, and how to get it (issue 21 item 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if SHARED.is_dir() or not skipped:
        return
    terminalreporter.write_sep("-", "suites skipped")
    terminalreporter.write_line(
        f"{SHARED} is missing: the WebAssembly spec suite, the WASI test suite and the "
        "benchmark corpus were skipped. Place the project's shared/ folder (spectest/, "
        "wasi-testsuite/, bench/) beside this checkout, or set WASMZERO_SPECTEST to a "
        "spec suite's folder, and run pytest again."
    )
