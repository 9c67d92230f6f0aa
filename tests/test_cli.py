"""The command line: ``python -m wasmzero``."""

from __future__ import annotations

import subprocess
import sys

import wasmzero


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wasmzero", *args], capture_output=True, text=True, timeout=60
    )


def test_version_flag_prints_the_package_version() -> None:
    out = run("--version")
    assert out.returncode == 0
    assert out.stdout.strip().endswith(wasmzero.__version__)


def test_unknown_command_fails_with_usage() -> None:
    out = run("no-such-command")
    assert out.returncode != 0
    assert "usage" in (out.stderr + out.stdout).lower()
