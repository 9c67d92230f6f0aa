"""The gojs host: a Go program built with GOOS=js GOARCH=wasm (testdata/
gotest, rebuilt by testdata/build.sh) run on both engines."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from wasmzero import ExitError, ModuleConfig, Mount, Runtime, RuntimeConfig
from wasmzero.imports import gojs

HERE = Path(__file__).parent
WASM = HERE / "testdata" / "gotest.wasm"
ROOT = HERE.parents[2]


@pytest.fixture(scope="module", params=["compiler", "interpreter", "native"])
def compiled(request: pytest.FixtureRequest):  # noqa: ANN201
    # One runtime and compiled module per engine: translated code is reused
    # by every test's instance.
    rt = Runtime(RuntimeConfig(engine=request.param))
    yield rt, rt.compile_module(WASM.read_bytes())
    rt.close()


def run(compiled, *args: str, mounts=(), stdin: bytes = b"", env=()):  # noqa: ANN001, ANN201
    rt, module = compiled
    out, err = io.BytesIO(), io.BytesIO()
    config = ModuleConfig(
        args=("gotest", *args),
        env=env,
        stdin=io.BytesIO(stdin),
        stdout=out,
        stderr=err,
        mounts=mounts,
    ).with_sys()
    code = 0
    try:
        gojs.run(rt, module, config)
    except ExitError as e:
        code = e.exit_code
        err.write(f"\n{e}".encode())
    return code, out.getvalue().decode(), err.getvalue().decode()


def test_is_gojs(compiled) -> None:  # noqa: ANN001
    rt, module = compiled
    assert gojs.is_gojs(module)
    add = rt.compile_module((ROOT / "examples" / "add.wasm").read_bytes())
    assert not gojs.is_gojs(add)
    with pytest.raises(ValueError, match="not a GOOS=js program"):
        gojs.run(rt, add)


def test_hello(compiled) -> None:  # noqa: ANN001
    assert run(compiled) == (0, "hello, gojs\n", "")


def test_args_and_env(compiled) -> None:  # noqa: ANN001
    code, out, _ = run(compiled, "args", "x", "y z", env={"GREETING": "hi", "A": "1"})
    assert code == 0
    assert out == "gotest args x y z\nGREETING=hi\nA=1;GREETING=hi\n"


def test_stdio(compiled) -> None:  # noqa: ANN001
    assert run(compiled, "stdin", stdin=b"some input\n")[:2] == (0, 'stdin "SOME INPUT\\n"\n')
    assert run(compiled, "stderr") == (0, "", "to stderr\n")


def test_files_through_a_mount(compiled, tmp_path: Path) -> None:  # noqa: ANN001
    (tmp_path / "in.txt").write_bytes(b"hello")
    code, out, err = run(compiled, "files", "/data", mounts=(Mount(str(tmp_path), "/data"),))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        'read "hello"',
        "entry in.txt false",
        "entry out.txt false",
        "entry sub true",
        "size 5 true",
        'seek+read "LLO"',
        "removed: true",
        "outside: true",  # /etc/passwd is not in any mount
    ]
    assert (tmp_path / "out.txt").read_bytes() == b"HELLO"
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == []


def test_read_only_mount(compiled, tmp_path: Path) -> None:  # noqa: ANN001
    mounts = (Mount(str(tmp_path), "/data", read_only=True),)
    assert run(compiled, "readonly", "/data", mounts=mounts)[:2] == (
        0,
        "write refused: true true\n",
    )
    assert list(tmp_path.iterdir()) == []


def test_symlink_out_of_the_mount_is_refused(compiled, tmp_path: Path) -> None:  # noqa: ANN001
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "in.txt").write_bytes(b"secret")
    inside = tmp_path / "inside"
    inside.mkdir()
    (inside / "link").symlink_to(outside)
    code, out, _ = run(compiled, "files", "/data/link", mounts=(Mount(str(inside), "/data"),))
    assert code == 1
    assert out.startswith("error: open /data/link/in.txt")
    assert "secret" not in out


def test_timers_and_goroutines(compiled) -> None:  # noqa: ANN001
    assert run(compiled, "timers") == (0, "g0,g1,g2 true\nstopped: true\nafter: true\n", "")


def test_syscall_js(compiled) -> None:  # noqa: ANN001
    code, out, err = run(compiled, "js")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "42 gopher true",
        "len 3 4",
        "copied 4 [1 2 3 4] true",
        "callback 42",
        "date type object",
        "error boom",
        "deleted true",
        "float 1.5 true true",
    ]


def test_panic_exits_2(compiled) -> None:  # noqa: ANN001
    code, out, err = run(compiled, "panic")
    assert code == 2
    assert err.startswith("panic: oh no\n\ngoroutine 1 [running]:\nmain.main()")


def test_os_exit(compiled) -> None:  # noqa: ANN001
    code, out, err = run(compiled, "exit")
    assert (code, out) == (3, "exiting\n")
    assert err.strip() == "module closed with exit_code(3)"


def test_missing_global_is_named(compiled) -> None:  # noqa: ANN001
    code, out, err = run(compiled, "missing")
    assert code == 2
    assert out == "navigator: undefined\n"
    assert "panic: syscall/js: call of Value.Call on undefined" in err
    assert "JavaScript globals not provided by the gojs host: 'navigator'" in err


def test_runtime_usable_after_exit(compiled) -> None:  # noqa: ANN001
    assert run(compiled, "exit")[0] == 3
    assert run(compiled) == (0, "hello, gojs\n", "")


def test_cli_runs_gojs(tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_bytes(b"cli")
    cmd = [sys.executable, "-m", "wasmzero", "run", "--no-cache"]
    ok = subprocess.run([*cmd, str(WASM), "--", "args", "1"], capture_output=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.decode().splitlines()[0].endswith("gotest.wasm args 1")
    exit3 = subprocess.run([*cmd, str(WASM), "--", "exit"], capture_output=True, timeout=300)
    assert exit3.returncode == 3
    assert exit3.stdout == b"exiting\n"
    assert b"Traceback" not in exit3.stderr
