"""The package as Python users expect it (issue 21 items 13-14): typed
(py.typed shipped, the public API clean under mypy), reference docs built
from the docstrings, and the supported versions declared."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = (ROOT / "pyproject.toml").read_text()


def test_supported_versions_are_declared() -> None:
    assert 'requires-python = ">=3.10"' in PYPROJECT
    for v in ("3.10", "3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {v}" in PYPROJECT
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"for v in 3\.10 3\.11 3\.12 3\.13", ci)


def test_type_information_is_shipped() -> None:
    assert (ROOT / "src" / "wasmzero" / "py.typed").exists()
    assert 'wasmzero = ["py.typed"]' in PYPROJECT


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy not installed")
def test_public_api_type_checks() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, r.stdout[-3000:]


@pytest.mark.skipif(importlib.util.find_spec("pdoc") is None, reason="pdoc not installed")
def test_reference_docs_build(tmp_path: Path) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pdoc",
            "-o",
            str(tmp_path),
            "wasmzero",
            "wasmzero.imports.wasi_snapshot_preview1",
            "wasmzero.imports.gojs",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    page = (tmp_path / "wasmzero.html").read_text()
    for name in ("Runtime", "ModuleConfig", "CompilationCache", "compile_module"):
        assert name in page
