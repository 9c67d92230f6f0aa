"""Large modules start fast: function bodies decoded and validated on first
use (``RuntimeConfig(lazy_validation=...)``), and a disk cache that grows
with each run instead of translating every function on the first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wasmzero import (
    CompilationCache,
    DecodeError,
    Runtime,
    RuntimeConfig,
    ValidationError,
)
from wasmzero.internal.binary import decoder
from wasmzero.internal.binary.encoder import name, section, uleb128
from wasmzero.internal.engine import native_unavailable
from wasmzero.internal.wasm.module import LazyCode

ENGINES = ["compiler", "interpreter", "native"]
ROOT = Path(__file__).resolve().parents[1]

# Bodies: (i32) -> i32 functions. f(k) returns x + k.
_ADD = lambda k: bytes([0x00, 0x20, 0x00, 0x41]) + _sleb(k) + bytes([0x6A, 0x0B])  # noqa: E731
_INVALID = bytes([0x00, 0x20, 0x00, 0x42, 0x01, 0x6A, 0x0B])  # i32.add of an i64: invalid
_MALFORMED = bytes([0x00, 0x20, 0x00, 0xFF, 0x0B])  # 0xFF is no opcode


def _sleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def _module(bodies: list[bytes]) -> bytes:
    """A module of ``(i32) -> i32`` functions exported as f0, f1, ..."""
    n = len(bodies)
    types = section(1, uleb128(1) + bytes([0x60, 1, 0x7F, 1, 0x7F]))
    funcs = section(3, uleb128(n) + bytes(n))
    exports = section(
        7, uleb128(n) + b"".join(name(f"f{i}") + bytes([0]) + uleb128(i) for i in range(n))
    )
    code = section(10, uleb128(n) + b"".join(uleb128(len(b)) + b for b in bodies))
    return b"\0asm\1\0\0\0" + types + funcs + exports + code


def _bodies(bad: bytes, at: int = 500, n: int = 600) -> list[bytes]:
    return [bad if i == at else _ADD(i) for i in range(n)]


@pytest.mark.parametrize("engine", ENGINES)
def test_invalid_function_deep_inside_is_rejected_before_it_runs(engine: str) -> None:
    data = _module(_bodies(_INVALID))
    with Runtime(RuntimeConfig(engine=engine, lazy_validation=True)) as rt:
        mod = rt.instantiate(data)
        assert mod.exported_function("f7")(1) == 8
        assert mod.exported_function("f599")(1) == 600
        with pytest.raises(ValidationError, match="type mismatch") as e:
            mod.exported_function("f500")(1)
        assert e.value.func_index == 500
        with pytest.raises(ValidationError):  # again on every call
            mod.exported_function("f500")(1)
        assert mod.exported_function("f499")(2) == 501  # the runtime stays usable
    # Validated whole at compile time when not lazy (the default for a
    # module this small).
    for lazy in (False, None):
        with Runtime(RuntimeConfig(engine=engine, lazy_validation=lazy)) as rt:
            with pytest.raises(ValidationError, match="type mismatch"):
                rt.compile_module(data)


@pytest.mark.parametrize("engine", ENGINES)
def test_malformed_body_is_a_decode_error_at_first_call(engine: str) -> None:
    data = _module(_bodies(_MALFORMED, at=3, n=10))
    with Runtime(RuntimeConfig(engine=engine, lazy_validation=True)) as rt:
        mod = rt.instantiate(data)
        assert mod.exported_function("f2")(40) == 42
        with pytest.raises(DecodeError, match="illegal opcode"):
            mod.exported_function("f3")(1)
    with pytest.raises(DecodeError, match="illegal opcode"):
        Runtime(RuntimeConfig(lazy_validation=False)).compile_module(data)


def test_laziness_follows_the_code_section_size(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _module(_bodies(_INVALID, at=5, n=10))
    small = decoder.decode_module(data, lazy=None)
    assert not small.lazy_bodies
    monkeypatch.setattr(decoder, "LAZY_CODE_SIZE", 64)
    big = decoder.decode_module(data, lazy=None)
    assert big.lazy_bodies
    assert all(isinstance(c, LazyCode) and c.load is not None for c in big.codes)
    assert big.codes[2].body == small.codes[2].body  # decoded on first read
    assert big.codes[2].load is None


def _count_stored(cache_dir: Path, engine: str = "compiler") -> tuple[int, bool]:
    """(functions stored, whether the decoded module is) in the cache entry:
    translations for the compiler engine, machine code for the native one."""
    (path,) = cache_dir.glob("*.wzc")
    cache = CompilationCache(cache_dir)
    codes = cache.load_code(path.stem)
    assert codes is not None
    if engine == "native":
        return len(codes.get("native-lazy", (None,) * 4)[3] or ()), "module" in codes
    return sum(1 for k in codes if isinstance(k, int)), "module" in codes


def _engine(name: str) -> str:
    if name == "native" and native_unavailable() is not None:
        pytest.skip(f"native engine: {native_unavailable()}")
    return name


CACHE_ENGINES = pytest.mark.parametrize("engine", ["compiler", "native"])


@CACHE_ENGINES
def test_cache_grows_with_each_run(tmp_path: Path, engine: str) -> None:
    data = _module(_bodies(_ADD(0), n=50))
    engine = _engine(engine)

    def run(*names: str) -> list[int]:
        config = RuntimeConfig(engine=engine, compilation_cache=CompilationCache(tmp_path))
        with Runtime(config) as rt:
            mod = rt.instantiate(data)
            return [mod.exported_function(n)(1) for n in names]

    assert run("f1", "f2") == [2, 3]
    # Only what ran was translated and stored (and the decoded module).
    assert _count_stored(tmp_path, engine) == (2, True)
    assert run("f2", "f3", "f4") == [3, 4, 5]
    assert _count_stored(tmp_path, engine) == (4, True)
    assert run("f1", "f4") == [2, 5]  # all from the cache: nothing to add
    assert _count_stored(tmp_path, engine) == (4, True)


def test_lazy_modules_cache_translations_but_not_bodies(tmp_path: Path) -> None:
    data = _module(_bodies(_INVALID, at=40, n=50))
    config = RuntimeConfig(
        engine="compiler", compilation_cache=CompilationCache(tmp_path), lazy_validation=True
    )
    for _ in range(2):
        with Runtime(config) as rt:
            mod = rt.instantiate(data)
            assert mod.exported_function("f9")(1) == 10
            with pytest.raises(ValidationError):
                mod.exported_function("f40")(1)
    assert _count_stored(tmp_path) == (1, False)


@CACHE_ENGINES
def test_corrupt_cache_file_is_ignored(tmp_path: Path, engine: str) -> None:
    data = _module(_bodies(_ADD(0), n=5))
    engine = _engine(engine)
    config = RuntimeConfig(engine=engine, compilation_cache=CompilationCache(tmp_path))
    with Runtime(config) as rt:
        assert rt.instantiate(data).exported_function("f3")(1) == 4
    (path,) = tmp_path.glob("*.wzc")
    blob = bytearray(path.read_bytes())
    for cut in (len(blob) // 2, 10):
        path.write_bytes(bytes(blob[:cut]))
        with Runtime(
            RuntimeConfig(engine=engine, compilation_cache=CompilationCache(tmp_path))
        ) as rt:
            assert rt.instantiate(data).exported_function("f3")(1) == 4
    blob[-5] ^= 0xFF
    path.write_bytes(bytes(blob))
    with Runtime(RuntimeConfig(engine=engine, compilation_cache=CompilationCache(tmp_path))) as rt:
        assert rt.instantiate(data).exported_function("f4")(1) == 5
    assert _count_stored(tmp_path, engine)[0] >= 1


_WRITER = """
import sys
from wasmzero import CompilationCache, Runtime, RuntimeConfig
data = open(sys.argv[1], "rb").read()
first = int(sys.argv[3])
for round_ in range(20):
    config = RuntimeConfig(engine=sys.argv[4], compilation_cache=CompilationCache(sys.argv[2]))
    with Runtime(config) as rt:
        mod = rt.instantiate(data)
        for i in range(first, 60, 2):
            assert mod.exported_function(f"f{i}")(1) == i + 1
"""


@CACHE_ENGINES
def test_concurrent_processes_share_a_cache_directory(tmp_path: Path, engine: str) -> None:
    engine = _engine(engine)
    wasm = tmp_path / "m.wasm"
    wasm.write_bytes(_module(_bodies(_ADD(0), n=60)))
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(wasm), str(cache), str(first), engine], env=env
        )
        for first in (0, 1, 0, 1)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0, 0]
    assert not list(cache.glob(".tmp-*"))  # no partial file left behind
    count, has_module = _count_stored(cache, engine)
    assert has_module and 30 <= count <= 60
    # The entry is whole: a last run takes everything from it.
    config = RuntimeConfig(engine=engine, compilation_cache=CompilationCache(cache))
    with Runtime(config) as rt:
        mod = rt.instantiate(wasm.read_bytes())
        assert [mod.exported_function(f"f{i}")(1) for i in range(60)] == list(range(1, 61))
    assert _count_stored(cache, engine) == (60, True)
