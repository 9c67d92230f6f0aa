"""The ``wasmzero`` command line.

Ex.::

    wasmzero run --mount data:/data app.wasm -- arg1 arg2
    wasmzero compile app.wasm

Like wasmtime's command line, ``run`` and ``compile`` keep translated code in a
cache directory by default: ``--cache-dir DIR``, else ``$WASMZERO_CACHE_DIR``,
else ``$XDG_CACHE_HOME/wasmzero`` or ``~/.cache/wasmzero``; ``--no-cache``
turns it off. (The library's ``Runtime`` uses no disk cache unless given one.)
    wasmzero inspect module.wasm
    wasmzero version
"""

from __future__ import annotations

import _thread
import argparse
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any

from .errors import ExitError, WasmError
from .version import __version__

_SECTION_NAMES = {
    0: "custom",
    1: "type",
    2: "import",
    3: "function",
    4: "table",
    5: "memory",
    6: "global",
    7: "export",
    8: "start",
    9: "element",
    10: "code",
    11: "data",
    12: "data count",
}


def _inspect(path: str) -> int:
    from .internal.binary.decoder import decode_module
    from .internal.wasm.types import (
        EXTERN_FUNC,
        EXTERN_GLOBAL,
        EXTERN_MEMORY,
        EXTERN_NAMES,
        EXTERN_TABLE,
    )
    from .internal.wasm.validation import validate_module

    with open(path, "rb") as f:
        data = f.read()
    module = decode_module(data)
    validate_module(module)
    out = sys.stdout.write
    out(f"module: {path} ({len(data)} bytes)\n")
    if module.names.module:
        out(f"name: {module.names.module}\n")
    out("sections: " + ", ".join(_SECTION_NAMES.get(s, str(s)) for s in module.section_ids) + "\n")
    types = module.types
    out(f"imports ({len(module.imports)}):\n")
    for imp in module.imports:
        desc = imp.desc
        if imp.kind == EXTERN_FUNC:
            desc = types[imp.desc]
        elif imp.kind == EXTERN_MEMORY:
            desc = desc.limits
        elif imp.kind == EXTERN_TABLE:
            desc = desc.limits
        out(f"  {EXTERN_NAMES[imp.kind]} {imp.module}.{imp.name}: {desc}\n")
    ftypes = module.func_types()
    all_globals = module.all_globals()
    out(f"exports ({len(module.exports)}):\n")
    for e in module.exports:
        if e.kind == EXTERN_FUNC:
            desc = str(ftypes[e.index])
        elif e.kind == EXTERN_GLOBAL:
            desc = str(all_globals[e.index])
        elif e.kind == EXTERN_MEMORY:
            desc = str(module.all_memories()[e.index].limits)
        else:
            desc = str(module.all_tables()[e.index].limits)
        out(f"  {EXTERN_NAMES[e.kind]} {e.name}: {desc}\n")
    out(f"functions: {len(module.funcs)} defined, {module.num_imported_funcs} imported\n")
    if module.memories:
        out(f"memory: {module.memories[0].limits} pages\n")
    if module.custom_sections:
        out("custom sections: " + ", ".join(c.name for c in module.custom_sections) + "\n")
    return 0


def _parse_mount(spec: str) -> Any:
    """``HOST[:GUEST][:ro]`` -> Mount."""
    from .config import Mount

    parts = spec.split(":")
    read_only = False
    if len(parts) > 1 and parts[-1] == "ro":
        read_only = True
        parts = parts[:-1]
    if len(parts) == 1:
        host, guest = parts[0], parts[0]
    elif len(parts) == 2:
        host, guest = parts
    else:
        raise argparse.ArgumentTypeError(f"invalid mount {spec!r}: expected HOST[:GUEST][:ro]")
    if not host:
        raise argparse.ArgumentTypeError(f"invalid mount {spec!r}: empty host directory")
    if not os.path.isdir(host):
        raise argparse.ArgumentTypeError(f"invalid mount {spec!r}: {host} is not a directory")
    return Mount(host, guest or "/", read_only)


def _parse_env(spec: str) -> tuple[str, str]:
    key, sep, value = spec.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"invalid environment variable {spec!r}: expected K=V")
    return key, value


def _runtime(args: argparse.Namespace) -> Any:
    from .cache import CompilationCache
    from .config import RuntimeConfig
    from .runtime import Runtime

    directory = _cache_dir(args)
    cache = None
    if directory is not None:
        try:
            cache = CompilationCache(directory)
        except OSError:
            cache = None  # an unusable cache directory only costs speed
    return Runtime(RuntimeConfig(engine=args.engine, compilation_cache=cache))


def _cache_dir(args: argparse.Namespace) -> str | None:
    """The cache directory the command line uses, or None for no cache."""
    if args.no_cache:
        return None
    if args.cache_dir:
        return args.cache_dir
    env = os.environ.get("WASMZERO_CACHE_DIR")
    if env is not None:
        return env or None  # set but empty: no cache
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "wasmzero")


class _Timeout:
    """Interrupts the main thread after ``seconds``, and again every 0.1 s
    until stopped: an interrupt that lands where Python only reports
    exceptions (a finalizer, a weakref callback) is lost. If the program
    still runs ``GRACE`` seconds later, the process exits (status 1) from
    this thread: a timeout always ends the run."""

    GRACE = 5.0

    def __init__(self, seconds: float, file: str) -> None:
        self.expired = threading.Event()
        self.done = threading.Event()
        self.message = f"error: {file}: timed out after {seconds} s"
        thread = threading.Thread(target=self._watch, args=(seconds,), daemon=True)
        thread.start()

    def _watch(self, seconds: float) -> None:
        if self.done.wait(seconds):
            return
        self.expired.set()
        for _ in range(int(self.GRACE / 0.1)):
            _thread.interrupt_main()
            if self.done.wait(0.1):
                return
        try:
            sys.stdout.flush()
            print(self.message, file=sys.stderr, flush=True)
        finally:
            os._exit(1)

    def stop(self) -> None:
        self.done.set()


def _run(args: argparse.Namespace) -> int:
    from .config import ModuleConfig
    from .imports import gojs
    from .imports import wasi_snapshot_preview1 as wasi

    with open(args.file, "rb") as f:
        data = f.read()
    env: list[tuple[str, str]] = list(os.environ.items()) if args.env_inherit else []
    env.extend(args.env or ())
    program_args = list(args.args)
    if program_args and program_args[0] == "--":
        program_args = program_args[1:]
    config = ModuleConfig(
        args=(args.file, *program_args),
        env=tuple(env),
        stdin=sys.stdin.buffer,
        stdout=sys.stdout.buffer,
        stderr=sys.stderr.buffer,
        mounts=tuple(args.mount or ()),
    ).with_sys()
    rt = _runtime(args)
    timer = None
    try:
        compiled = rt.compile_module(data)
        imported = {d.import_[0] for d in compiled.imported_functions if d.import_}
        if wasi.MODULE_NAME in imported:
            wasi.instantiate(rt)
        if wasi.LEGACY_MODULE_NAME in imported:
            wasi.instantiate(rt, wasi.LEGACY_MODULE_NAME)
        if args.timeout:
            timer = _Timeout(args.timeout, args.file)
        try:
            if gojs.is_gojs(compiled):
                gojs.run(rt, compiled, config)
            else:
                rt.instantiate_module(compiled, config)
        except gojs.GoError as e:
            print(f"error: {args.file}: {e}", file=sys.stderr)
            return e.exit_code
        except ExitError as e:
            return e.exit_code
        except KeyboardInterrupt:
            if timer is not None and timer.expired.is_set():
                timer.stop()
                print(timer.message, file=sys.stderr)
                return 1
            raise
        return 0
    finally:
        if timer is not None:
            timer.stop()
        sys.stdout.flush()
        rt.close()


def _compile(args: argparse.Namespace) -> int:
    with open(args.file, "rb") as f:
        data = f.read()
    rt = _runtime(args)
    compiled = rt.compile_module(data)
    compiled._code.translate_all()  # validates every body of a lazy module too
    n = len(compiled._module.funcs)
    directory = _cache_dir(args)
    where = f" into {directory}" if directory else " (no cache: nothing kept)"
    print(f"compiled {args.file}: {n} functions{where}")
    rt.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wasmzero`` command; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="wasmzero", description="A pure-Python WebAssembly runtime"
    )
    parser.add_argument("--version", action="version", version=f"wasmzero {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    from .internal.engine import available_engines

    p_run = sub.add_parser(
        "run",
        help="run a WASI program (or a Go GOOS=js program)",
        description="Run a WebAssembly program (WASI preview1, or Go's GOOS=js through the "
        "gojs host) with real stdio, clocks and random. The exit code is the guest's.",
    )
    p_run.add_argument(
        "--mount",
        action="append",
        type=_parse_mount,
        metavar="HOST[:GUEST][:ro]",
        help="pre-open a host directory for the guest (repeatable)",
    )
    p_run.add_argument(
        "--env", action="append", type=_parse_env, metavar="K=V", help="set a variable"
    )
    p_run.add_argument("--env-inherit", action="store_true", help="pass this process's environment")
    p_run.add_argument("--timeout", type=float, metavar="SECONDS", help="stop the guest after")
    p_run.add_argument("--cache-dir", metavar="DIR", help="compilation cache directory")
    p_run.add_argument("--no-cache", action="store_true", help="do not use a compilation cache")
    p_run.add_argument("--engine", default="compiler", choices=available_engines())
    p_run.add_argument("file", help="a .wasm file")
    p_run.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the program")
    p_compile = sub.add_parser(
        "compile",
        help="compile a module into the cache",
        description="Decode, validate and translate a module, filling the cache directory.",
    )
    p_compile.add_argument("--cache-dir", metavar="DIR", help="compilation cache directory")
    p_compile.add_argument("--no-cache", action="store_true", help="compile without keeping it")
    p_compile.add_argument("--engine", default="compiler", choices=available_engines())
    p_compile.add_argument("file", help="a .wasm file")
    p_inspect = sub.add_parser("inspect", help="print a module's imports, exports and sections")
    p_inspect.add_argument("file", help="a .wasm file")
    sub.add_parser("version", help="print the version")
    args = parser.parse_args(argv)
    try:
        if args.command == "version":
            print(f"wasmzero {__version__}")
            return 0
        if args.command == "run":
            return _run(args)
        if args.command == "compile":
            return _compile(args)
        return _inspect(args.file)
    except OSError as e:
        print(f"error: {e.filename or args.file}: {e.strerror}", file=sys.stderr)
        return 1
    except ExitError as e:
        return e.exit_code
    except WasmError as e:
        text = str(e).replace("\n", "\n  ")
        print(f"error: {args.file}: {type(e).__name__}: {text}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
