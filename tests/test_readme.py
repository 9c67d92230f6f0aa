"""Every Python snippet in the README runs, from the repository root, as a
newcomer would paste it (issue 21 item 10); the 'try it' command runs too."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SNIPPETS = re.findall(r"```python\n(.*?)```", README, re.S)


def test_readme_has_snippets() -> None:
    assert len(SNIPPETS) >= 4


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_readme_snippet_runs(snippet: str) -> None:
    r = subprocess.run([sys.executable, "-c", snippet], cwd=ROOT, capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr.decode()[-3000:]


def test_readme_try_it_command() -> None:
    (line,) = re.findall(r"pip install \. && (wasmzero run .*)", README)
    args = line.split()[1:]
    r = subprocess.run(
        [sys.executable, "-m", "wasmzero", *args], cwd=ROOT, capture_output=True, timeout=300
    )
    assert r.returncode == 0, r.stderr
    assert b"42" in r.stdout


def test_missing_shared_is_explained(tmp_path: Path) -> None:
    """Without ../shared the spec suite is skipped with a visible reason and
    the run ends saying how to get it."""
    import shutil

    repo = tmp_path / "checkout"
    shutil.copytree(ROOT / "tests", repo / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", repo)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "tests/test_spectest.py",
        ],
        cwd=repo,
        capture_output=True,
        timeout=300,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT / "src")},
    )
    out = r.stdout.decode()
    assert "spec suite not found" in out
    assert "shared is missing" in out and "spectest/" in out
