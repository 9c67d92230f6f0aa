"""The ``wasmzero`` command line.

Ex.::

    wasmzero run --mount data:/data app.wasm -- arg1 arg2
    wasmzero run --invoke add math.wasm 1 2
    wasmzero compile app.wasm
    wasmzero inspect module.wasm
    wasmzero version

Like wasmtime's command line, ``run`` and ``compile`` keep translated code in a
cache directory by default: ``--cache-dir DIR``, else ``$WASMZERO_CACHE_DIR``,
else ``$XDG_CACHE_HOME/wasmzero`` or ``~/.cache/wasmzero``; ``--no-cache``
turns it off. (The library's ``Runtime`` uses no disk cache unless given one.)
A cache directory that others could write is refused with one warning line
and the run goes on without it (see ``wasmzero.cache``).

Exit status of ``run``: the guest's exit code (``proc_exit``), where a code
above 255 that a process status cannot hold becomes ``code & 0xff``, or 1
when that is 0, so a failing guest never reads as success; 0 when the
program returns; 1 for any error (one line on stderr, a trap adds its wasm
stack trace); 2 for a usage error; 130 on Ctrl-C; 141 (128 + SIGPIPE, what a
shell shows for a tool killed by a closed pipe) when stdout is closed early,
as in ``wasmzero run app.wasm | head -1``, silently. No failure prints a
Python traceback unless ``--debug`` is given or ``$WASMZERO_DEBUG`` is set.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import struct
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn

from .errors import ExitError, Trap, TrapKind, WasmError
from .internal.printable import printable
from .version import __version__

# Exit statuses (see the module documentation).
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE

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
        out(f"name: {printable(module.names.module)}\n")
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
        where = f"{printable(imp.module)}.{printable(imp.name)}"
        out(f"  {EXTERN_NAMES[imp.kind]} {where}: {desc}\n")
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
        out(f"  {EXTERN_NAMES[e.kind]} {printable(e.name)}: {desc}\n")
    out(f"functions: {len(module.funcs)} defined, {module.num_imported_funcs} imported\n")
    if module.memories:
        out(f"memory: {module.memories[0].limits} pages\n")
    if module.custom_sections:
        names = ", ".join(printable(c.name) for c in module.custom_sections)
        out(f"custom sections: {names}\n")
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


def _parse_fuel(spec: str) -> int:
    try:
        units = int(spec)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid fuel {spec!r}: not an integer") from None
    if units < 0:
        raise argparse.ArgumentTypeError(f"invalid fuel {spec!r}: expected units >= 0")
    return units


def _parse_tier(spec: str) -> int | None:
    if spec == "none":
        return None
    try:
        calls = int(spec)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid tier threshold {spec!r}: not an integer or 'none'"
        ) from None
    if calls < 0:
        raise argparse.ArgumentTypeError(f"invalid tier threshold {spec!r}: expected >= 0")
    return calls


def _parse_timeout(spec: str) -> float:
    """A positive, finite number of seconds."""
    try:
        seconds = float(spec)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid timeout {spec!r}: not a number") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError(
            f"invalid timeout {spec!r}: expected a positive number of seconds"
        )
    return seconds


def exit_status(code: int) -> int:
    """The process exit status for a guest exit code: itself when a status
    can hold it (0-255), else its low byte, or 1 when that is 0 (256 must not
    read as success)."""
    if 0 <= code <= 255:
        return code
    return (code & 0xFF) or 1


def _parse_scopes(spec: str) -> str:
    from .experimental.logging import SCOPES

    for scope in spec.split(","):
        if scope not in SCOPES:
            raise argparse.ArgumentTypeError(
                f"invalid log scope {scope!r}: expected {', '.join(SCOPES)}"
            )
    return spec


def _runtime(args: argparse.Namespace) -> Any:
    from .cache import CompilationCache
    from .config import TIER_THRESHOLD, RuntimeConfig
    from .runtime import Runtime

    directory = _cache_dir(args)
    cache = None
    if directory is not None:
        try:
            cache = CompilationCache(directory)
        except OSError:
            cache = None  # an unusable cache directory only costs speed
    # --timeout stops the guest through the runtime's deadlines (the guest's
    # thread is interrupted, wherever it is, woken from WASI sleeps and reads).
    interruptible = bool(getattr(args, "timeout", None))
    factory = None
    scopes = [s for spec in getattr(args, "hostlogging", None) or () for s in spec.split(",") if s]
    if scopes or getattr(args, "log_wasm", False):
        from .experimental.logging import LoggingListenerFactory

        factory = LoggingListenerFactory(sys.stderr, scopes, wasm=args.log_wasm)
    return Runtime(
        RuntimeConfig(
            engine=args.engine,
            compilation_cache=cache,
            interruptible=interruptible,
            listener_factory=factory,
            fuel=getattr(args, "fuel", None),
            tier_threshold=getattr(args, "tier_threshold", TIER_THRESHOLD),
        )
    )


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


def _run(args: argparse.Namespace) -> int:
    from .config import ModuleConfig
    from .imports import wasi_snapshot_preview1 as wasi

    with open(args.file, "rb") as f:
        data = f.read()
    # --env K=V overrides a variable of --env-inherit's (and an earlier --env).
    env = dict(os.environ) if args.env_inherit else {}
    env.update(args.env or ())
    program_args = list(args.args)
    if program_args and program_args[0] == "--":
        program_args = program_args[1:]
    argv0 = args.file if args.argv0 is None else args.argv0
    config = ModuleConfig(
        args=(argv0, *program_args),
        env=tuple(env.items()),
        stdin=sys.stdin.buffer,
        stdout=_GuestStdout(sys.stdout.buffer),
        stderr=sys.stderr.buffer,
        mounts=tuple(args.mount or ()),
        # As wasmtime: with --invoke, a reactor's _initialize runs but a
        # command's _start does not; the named function is the entry point.
        start_functions=("_initialize",) if args.invoke is not None else ("_start",),
    ).with_sys()
    rt = _runtime(args)
    try:
        compiled = rt.compile_module(data)
        # The module keeps what it needs (its buffer, if its bodies are
        # lazy); the file's bytes are not held for the whole run.
        del data
        imported = {d.import_[0] for d in compiled.imported_functions if d.import_}
        if wasi.MODULE_NAME in imported:
            wasi.instantiate(rt)
        if wasi.LEGACY_MODULE_NAME in imported:
            wasi.instantiate(rt, wasi.LEGACY_MODULE_NAME)
        _toolchain_hosts(rt, compiled)
        gojs = _gojs_host(imported)
        go_errors = (gojs.GoError,) if gojs is not None else ()
        limit = rt.deadline(args.timeout) if args.timeout else contextlib.nullcontext()
        try:
            with limit:
                _start(rt, compiled, config, args, program_args, gojs)
        except Trap as e:
            if e.kind is TrapKind.OUT_OF_FUEL:
                print(f"error: {args.file}: out of fuel ({args.fuel} units)", file=sys.stderr)
                return EXIT_ERROR
            if e.kind is not TrapKind.DEADLINE_EXCEEDED:
                raise
            print(f"error: {args.file}: timed out after {args.timeout} s", file=sys.stderr)
            return EXIT_ERROR
        except go_errors as e:  # may quote the guest's own text: escaped, one line
            print(f"error: {args.file}: {printable(str(e))}", file=sys.stderr)
            return exit_status(e.exit_code)
        except ExitError as e:
            return exit_status(e.exit_code)
        return 0
    finally:
        rt.close()


def _gojs_host(imported: set[str]) -> Any:
    """The gojs host module for a program that imports from it, else None
    (not imported: a WASI program's start-up does not pay for it)."""
    if not imported & {"gojs", "go"}:
        return None
    from .imports import gojs

    return gojs


def _toolchain_hosts(rt: Any, compiled: Any) -> None:
    """Provide ``env`` for Emscripten (invoke_* and friends) or
    AssemblyScript (abort/trace/seed) programs, judged by what they import."""
    env = {d.import_[1] for d in compiled.imported_functions if d.import_ and d.import_[0] == "env"}
    if not env:
        return
    from .imports import assemblyscript, emscripten

    if any(_is_emscripten_import(n) for n in env):
        emscripten.instantiate_for_module(rt, compiled)
    elif env <= {"abort", "trace", "seed"}:
        assemblyscript.instantiate(rt, trace="stderr")


def _emscripten_main(compiled: Any) -> bool:
    """An Emscripten program built for JavaScript: no ``_start`` but a
    ``main`` (and ``__wasm_call_ctors``), and imports of ``invoke_*`` or
    the exception runtime from ``env``."""
    exports = compiled.exported_functions
    if "_start" in exports or "__wasm_call_ctors" not in exports:
        return False
    if "main" not in exports and "__main_argc_argv" not in exports:
        return False
    return any(
        d.import_ and d.import_[0] == "env" and _is_emscripten_import(d.import_[1])
        for d in compiled.imported_functions
    )


def _is_emscripten_import(name: str) -> bool:
    return name.startswith(("invoke_", "_emscripten", "__cxa_", "emscripten_"))


def _start(
    rt: Any,
    compiled: Any,
    config: Any,
    args: argparse.Namespace,
    program_args: list[str],
    gojs: Any,
) -> None:
    """Run the program: a Go GOOS=js one through gojs, else instantiate
    (running ``_start``) and, with ``--invoke``, call the named export."""
    if gojs is not None and gojs.is_gojs(compiled):
        if args.invoke is not None:
            raise _UsageError("--invoke cannot call into a Go GOOS=js program")
        gojs.run(rt, compiled, config)
    else:
        module = rt.instantiate_module(compiled, config)
        if args.invoke is not None:
            _invoke(module, args.invoke, program_args)
        elif _emscripten_main(compiled):
            # Built for JavaScript: its .js file would call main.
            from .imports import emscripten

            status = emscripten.call_main(module)
            if status:
                raise ExitError(status)


class _StdoutClosed(BaseException):
    """The reader of stdout went away. A BaseException, so that neither WASI
    (which would answer EPIPE and let the guest go on, forever for a program
    like ``yes``) nor a guest handler stops it: the run ends as SIGPIPE ends
    a Unix tool in a pipeline."""


class _GuestStdout:
    """The guest's stdout: ``sys.stdout.buffer``, but a closed pipe ends the
    run (``_StdoutClosed``) instead of being an error the guest may ignore."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, data: Any) -> int:
        try:
            return self._stream.write(data)
        except BrokenPipeError:
            raise _StdoutClosed from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise _StdoutClosed from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _UsageError(Exception):
    """A command-line mistake found after parsing (exit status 2)."""


_INT = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|[0-9]+)\Z")
_BITS = {"i32": 32, "i64": 64}


def _invoke_arg(text: str, vt: str, func: str) -> Any:
    """One ``--invoke`` argument parsed by its parameter type, as wasmtime
    does: integers in decimal or ``0x`` hex (signed or unsigned range),
    floats as Python's ``float`` reads them (``1.5``, ``-inf``, ``nan``)."""
    bits = _BITS.get(vt)
    if bits is not None:
        if _INT.match(text) is None:
            raise _UsageError(f"{func}: invalid {vt} argument {text!r}")
        value = int(text, 0) if "x" in text.lower() else int(text)
        if not -(1 << (bits - 1)) <= value < 1 << bits:
            raise _UsageError(f"{func}: {text} is out of range for {vt}")
        return value
    if vt in ("f32", "f64"):
        try:
            return float(text)
        except ValueError:
            raise _UsageError(f"{func}: invalid {vt} argument {text!r}") from None
    raise _UsageError(f"{func}: cannot pass a {vt} argument from the command line")


def _format_result(value: Any, vt: str) -> str:
    """A result printed as ``wasmtime run --invoke`` prints it."""
    if vt in ("f32", "f64"):
        return _format_float(value, vt)
    if vt in ("funcref", "externref"):
        return f"<null {vt}>" if value is None else f"<{vt}>"
    return str(value)  # i32/i64 signed, v128 unsigned


def _format_float(x: float, vt: str) -> str:
    """Rust's ``Display`` of an f32/f64: the shortest digits that read back
    to the same value, never an exponent (``1``, ``0.1``, ``1e+20`` as
    ``100000000000000000000``), ``NaN``, ``inf``, ``-inf``."""
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    digits = repr(x)
    if vt == "f32":  # the shortest decimal that rounds to the same f32
        pack = struct.Struct("<f").pack
        for precision in range(1, 10):
            candidate = f"{x:.{precision}g}"
            if pack(float(candidate)) == pack(x):
                digits = candidate
                break
    from decimal import Decimal

    text = format(Decimal(digits), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _invoke(module: Any, name: str, texts: list[str]) -> None:
    """``--invoke``: call export ``name`` with ``texts`` parsed by its
    parameter types and print each result on a line of its own."""
    fn = module.exported_function(name)
    func = printable(name)
    if fn is None:
        raise _UsageError(f"no exported function {func}")
    from .internal.wasm.types import valtype_name

    params = [valtype_name(t) for t in fn._params]
    results = [valtype_name(t) for t in fn._results]
    if len(texts) != len(params):
        raise _UsageError(
            f"{func} takes {len(params)} argument(s) ({', '.join(params)}), got {len(texts)}"
        )
    values = [_invoke_arg(t, vt, func) for t, vt in zip(texts, params, strict=True)]
    out = fn(*values)
    if len(results) == 1:
        out = (out,)
    for value, vt in zip(out or (), results, strict=True):
        sys.stdout.write(_format_result(value, vt) + "\n")


def _compile(args: argparse.Namespace) -> int:
    with open(args.file, "rb") as f:
        data = f.read()
    rt = _runtime(args)
    compiled = rt.compile_module(data)
    compiled._code.translate_all()  # validates every body of a lazy module too
    n = len(compiled._module.funcs)
    cache = rt.config.compilation_cache
    directory = cache.directory if cache is not None else None
    where = f" into {directory}" if directory else " (no cache: nothing kept)"
    print(f"compiled {args.file}: {n} functions{where}")
    rt.close()
    return 0


class _Formatter(argparse.HelpFormatter):
    """argparse's help, its width found as ``shutil.get_terminal_size``
    finds it but without importing ``shutil`` (and its compression modules)
    into every run: argparse makes a formatter for each option added."""

    def __init__(self, prog: str) -> None:
        try:
            columns = int(os.environ["COLUMNS"])
        except (KeyError, ValueError):
            try:
                columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
            except (AttributeError, ValueError, OSError):
                columns = 80
        super().__init__(prog, width=max(columns, 1) - 2)


class _Parser(argparse.ArgumentParser):
    """argparse with a usage error on one line (``wasmzero run: usage error: ...``,
    status 2) instead of the usage text followed by the error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: usage error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    from .internal.engine import available_engines

    parser = _Parser(prog="wasmzero", description="A pure-Python WebAssembly runtime")
    parser.add_argument("--version", action="version", version=f"wasmzero {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="print a Python traceback for internal errors (also: $WASMZERO_DEBUG=1)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser(
        "run",
        help="run a WASI program (or a Go GOOS=js program)",
        description="Run a WebAssembly program (WASI preview1, or Go's GOOS=js through the "
        "gojs host) with real stdio, clocks and random. The exit code is the guest's (above "
        "255: its low byte, or 1 if that is 0).",
    )
    p_run.add_argument(
        "--mount",
        action="append",
        type=_parse_mount,
        metavar="HOST[:GUEST][:ro]",
        help="pre-open a host directory for the guest (repeatable)",
    )
    p_run.add_argument(
        "--env",
        action="append",
        type=_parse_env,
        metavar="K=V",
        help="set a variable (overrides --env-inherit's)",
    )
    p_run.add_argument("--env-inherit", action="store_true", help="pass this process's environment")
    p_run.add_argument(
        "--hostlogging",
        action="append",
        type=_parse_scopes,
        metavar="SCOPE[,SCOPE]",
        help="log host function calls to stderr (repeatable): "
        "all, clock, filesystem, memory, proc, poll, random, sock",
    )
    p_run.add_argument(
        "--log-wasm", action="store_true", help="log every wasm function call to stderr too"
    )
    p_run.add_argument(
        "--timeout", type=_parse_timeout, metavar="SECONDS", help="stop the guest after"
    )
    p_run.add_argument(
        "--fuel",
        type=_parse_fuel,
        metavar="UNITS",
        help="stop the guest after this many function entries and loop iterations",
    )
    p_run.add_argument("--argv0", metavar="NAME", help="argv[0] seen by the guest (default: FILE)")
    p_run.add_argument(
        "--invoke",
        metavar="FUNC",
        help="call export FUNC with ARGS parsed by its parameter types and print its results, "
        "one per line, instead of running _start (a reactor's _initialize still runs)",
    )
    p_run.add_argument("--cache-dir", metavar="DIR", help="compilation cache directory")
    p_run.add_argument("--no-cache", action="store_true", help="do not use a compilation cache")
    p_run.add_argument("--engine", default="auto", choices=available_engines())
    p_run.add_argument(
        "--tier-threshold",
        type=_parse_tier,
        default=argparse.SUPPRESS,
        metavar="N|none",
        help="calls and loop iterations a function runs interpreted before it is translated "
        "(0: at its first call; none: never; default: RuntimeConfig's)",
    )
    p_run.add_argument("file", metavar="FILE", help="a .wasm file")
    p_run.add_argument(
        "args",
        nargs=argparse.REMAINDER,
        metavar="ARGS",
        help="arguments for the program (or for FUNC with --invoke)",
    )
    p_compile = sub.add_parser(
        "compile",
        help="compile a module into the cache",
        description="Decode, validate and translate a module, filling the cache directory.",
    )
    p_compile.add_argument("--cache-dir", metavar="DIR", help="compilation cache directory")
    p_compile.add_argument("--no-cache", action="store_true", help="compile without keeping it")
    p_compile.add_argument("--engine", default="auto", choices=available_engines())
    p_compile.add_argument("file", help="a .wasm file")
    p_inspect = sub.add_parser("inspect", help="print a module's imports, exports and sections")
    p_inspect.add_argument("file", help="a .wasm file")
    sub.add_parser("version", help="print the version")
    return parser


def _show_warning(message: Any, category: Any, *_: Any, **__: Any) -> None:
    """Warnings (an untrusted cache directory) as one ``warning:`` line."""
    text = str(message).replace("\n", " ")
    text = text.removeprefix("wasmzero: ")
    print(f"warning: {text}", file=sys.stderr)


def _quiet_stdout() -> None:
    """After a closed pipe: send what is left in stdout to /dev/null, so
    Python's own flush at exit does not complain again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wasmzero`` command; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
    except KeyboardInterrupt:
        print("wasmzero: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    debug = args.debug or bool(os.environ.get("WASMZERO_DEBUG"))
    where = getattr(args, "file", "wasmzero")
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return _main(args, where, debug)


def _main(args: argparse.Namespace, where: str, debug: bool) -> int:
    try:
        try:
            if args.command == "version":
                print(f"wasmzero {__version__}")
                status = 0
            elif args.command == "run":
                status = _run(args)
            elif args.command == "compile":
                status = _compile(args)
            else:
                status = _inspect(args.file)
        finally:
            sys.stdout.flush()
        return status
    except (BrokenPipeError, _StdoutClosed):
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print(f"error: {where}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _UsageError as e:
        print(f"wasmzero {args.command}: usage error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:
        print(f"error: {e.filename or where}: {e.strerror or e}", file=sys.stderr)
        return EXIT_ERROR
    except ExitError as e:
        return exit_status(e.exit_code)
    except WasmError as e:
        text = str(e).replace("\n", "\n  ")
        print(f"error: {where}: {type(e).__name__}: {text}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as e:  # noqa: BLE001 - a bug of ours: one line, not a traceback
        if debug:
            import traceback

            traceback.print_exc()
        text = printable(" ".join(str(e).split()))
        hint = "" if debug else " (run with --debug for a traceback)"
        print(f"error: {where}: internal error: {type(e).__name__}: {text}{hint}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
