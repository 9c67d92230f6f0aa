"""Every example in ``examples/`` runs and prints what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

EXPECTED = {
    "basic.py": ["example.add ('a', 'b') -> 5", "wrap-around: -2147483648"],
    "host_functions.py": ["guest says: hello from wasm", "('ptr', 'length')"],
    "multiple_instances.py": ["a: 3 b: 1", "anonymous instances: 5"],
    "globals_and_memory.py": [
        "next: 42",
        "memory[0] as u32: 42",
        "f64 at 8: 2.5 pages: 1",
        "grow by 2 returned 1 -> pages: 3",
    ],
    "disk_cache.py": ["add(20, 22) = 42", "cache files: ['.wzc']"],
    "wasi.py": [
        "'hello' exit 0: sum of numeric arguments: 0",
        "'hello 40 2' exit 0: sum of numeric arguments: 42",
    ],
}


def test_every_example_is_checked() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name: str, tmp_path: Path) -> None:
    args = [sys.executable, str(EXAMPLES / name)]
    if name == "disk_cache.py":
        args.append(str(tmp_path / "cache"))
    out = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == EXPECTED[name]
