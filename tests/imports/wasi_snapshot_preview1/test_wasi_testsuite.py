"""The official WASI preview1 test suite (../shared/wasi-testsuite: 72 C,
Rust and AssemblyScript programs, each with a .json giving its arguments,
environment, directories, exit code and output), run in process as its
run.py runs them against a CLI: each in a fresh copy of its folder."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from wasmzero import ExitError, ModuleConfig, Mount, Runtime
from wasmzero.imports import wasi_snapshot_preview1 as wasi

SUITE = Path(__file__).resolve().parents[4] / "shared" / "wasi-testsuite" / "tests"
KINDS = ("c", "rust", "assemblyscript")


def _programs() -> list[Path]:
    out: list[Path] = []
    for kind in KINDS:
        out.extend(sorted((SUITE / kind / "testsuite" / "wasm32-wasip1").glob("*.wasm")))
    return out


PROGRAMS = _programs()
if not PROGRAMS:
    pytest.skip(
        f"the WASI test suite is not at {SUITE} (it comes with ../shared beside this checkout)",
        allow_module_level=True,
    )


@pytest.mark.parametrize("wasm", PROGRAMS, ids=[f"{p.parents[2].name}/{p.stem}" for p in PROGRAMS])
def test_wasi_testsuite(wasm: Path, tmp_path: Path) -> None:
    spec = {"args": [], "dirs": [], "root": None, "env": {}, "exit_code": 0, "stdout": None}
    js = wasm.with_suffix(".json")
    if js.exists():
        spec.update(json.loads(js.read_text()))
    work = tmp_path / wasm.parent.name
    shutil.copytree(wasm.parent, work, symlinks=True)
    for c in work.rglob("*.cleanup"):
        shutil.rmtree(c, ignore_errors=True) if c.is_dir() else c.unlink()
    for p in work.rglob("*"):  # ../shared is read-only on CI; the copy must not be
        if not p.is_symlink():
            p.chmod(p.stat().st_mode | 0o200)
    mounts = [Mount(str(work / d), d) for d in spec["dirs"]]
    if spec["root"]:
        mounts.insert(0, Mount(str(work / spec["root"]), "/"))
    out, err = io.BytesIO(), io.BytesIO()
    config = ModuleConfig(
        args=(str(work / wasm.name), *spec["args"]),
        env=tuple(spec["env"].items()),
        stdout=out,
        stderr=err,
        mounts=tuple(mounts),
    ).with_sys()
    code = 0
    with Runtime() as rt:
        wasi.instantiate(rt)
        try:
            rt.instantiate((work / wasm.name).read_bytes(), config)
        except ExitError as e:
            code = e.exit_code
    assert code == spec["exit_code"], err.getvalue().decode(errors="replace")[-2000:]
    if spec["stdout"] is not None:
        assert out.getvalue().decode(errors="replace") == spec["stdout"]
