"""The fuzz worker: runs cases sent by the supervisor (harness.py), one JSON
request per line on stdin, one JSON answer per line on stdout.

Requests: ``{"kind": "module", "hex": ...}`` runs a (mutated) module through
decode, validation, instantiation and calls of its exports;
``{"kind": "diff", "wat": ...}`` runs a valid module on every engine (and
wasmtime, when installed) and compares. Answers: ``{"status": S, "detail":
...}`` with S one of ``ok`` (clean result or wasmzero's typed errors),
``untyped`` (any other exception: a finding), ``slow`` (decoding, validation
or instantiation over its time limit: a finding) or ``diff`` (engines
disagree: a finding). A crash or hang of the worker itself is seen by the
supervisor. A guest that runs too long is stopped and is not a finding.

The worker limits its own address space (``--memory-mib``) so that an
allocation the runtime does not bound shows as a ``MemoryError`` finding
rather than as the machine swapping.
"""

from __future__ import annotations

import json
import math
import signal
import sys
import traceback
from typing import Any

PREPARE_SECONDS = 10.0  # decode + validate + instantiate (linear in the module)
CALL_SECONDS = 0.5  # one call of an export (the guest may loop forever)
BUDGET = 256 * 1024 * 1024  # the runtime's memory budget in the worker


class GuestTimeout(BaseException):
    """The alarm: a phase ran over its time (BaseException, so that no
    ``except Exception`` in the code under test swallows it)."""


def _alarm(signum: int, frame: Any) -> None:
    raise GuestTimeout


def _limit(seconds: float) -> None:
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _arg(t: str, k: int) -> Any:
    if t in ("i32", "i64"):
        return (0, 1, -1)[k % 3]
    if t in ("f32", "f64"):
        return (0.0, 1.5, -math.inf)[k % 3]
    if t == "v128":
        return k
    return None


def run_module(data: bytes, engine: str) -> dict[str, Any]:
    from wasmzero import ModuleConfig, Runtime, RuntimeConfig, WasmError
    from wasmzero.imports import wasi_snapshot_preview1 as wasi

    from ..spectest.runner import spectest_module

    phase = "prepare"
    rt = Runtime(RuntimeConfig(engine=engine, memory_budget=BUDGET))
    try:
        _limit(PREPARE_SECONDS)
        try:
            spectest_module(rt)
            wasi.instantiate(rt)
            compiled = rt.compile_module(data)
            phase = "start"  # the start function is guest code
            mod = rt.instantiate_module(compiled, ModuleConfig(start_functions=()))
        except GuestTimeout:
            if phase == "prepare":
                return {"status": "slow", "detail": "decode/validate over its time limit"}
            return {"status": "ok", "detail": "start function ran too long"}
        except WasmError as e:
            return {"status": "ok", "detail": type(e).__name__}
        finally:
            _limit(0)
        phase = "calls"
        for name, d in list(mod.exported_functions.items())[:8]:
            fn = mod.exported_function(name)
            if fn is None:
                continue
            for k in range(2):
                args = [_arg(t, k) for t in d.param_types]
                try:
                    _limit(CALL_SECONDS)
                    fn(*args)
                except (GuestTimeout, WasmError):
                    pass
                finally:
                    _limit(0)
        return {"status": "ok", "detail": ""}
    except GuestTimeout:
        return {"status": "ok", "detail": f"{phase}: too long"}
    except BaseException as e:  # noqa: BLE001 - every other exception is a finding
        return {
            "status": "untyped",
            "detail": f"{phase}: " + "".join(traceback.format_exception(e)),
        }
    finally:
        _limit(0)
        rt.close()


def _outcomes(data: bytes, engine: str) -> list[Any]:
    from wasmzero import Runtime, RuntimeConfig, Trap

    from .generate import FUNCS, INPUTS

    out: list[Any] = []
    with Runtime(RuntimeConfig(engine=engine, memory_budget=BUDGET)) as rt:
        mod = rt.instantiate(data)
        for f in range(FUNCS):
            fn = mod.exported_function(f"f{f}")
            for args in INPUTS:
                try:
                    out.append(fn(*args))
                except Trap:
                    out.append("trap")
        out.append(mod.memory.read(0, 65536 * mod.memory.pages))
    return out


def _wasmtime_outcomes(data: bytes) -> list[Any] | None:
    try:
        import wasmtime
    except ImportError:
        return None
    from .generate import FUNCS, INPUTS

    config = wasmtime.Config()
    # Small reservations: the worker's address space is limited.
    for name, value in (("memory_reservation", 1 << 20), ("memory_guard_size", 1 << 16)):
        try:
            setattr(config, name, value)
        except (AttributeError, TypeError):  # other wasmtime versions
            pass
    store = wasmtime.Store(wasmtime.Engine(config))
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, data), [])
    exports = inst.exports(store)
    out: list[Any] = []
    for f in range(FUNCS):
        for args in INPUTS:
            try:
                out.append(exports[f"f{f}"](store, *args))
            except wasmtime.Trap:
                out.append("trap")
    mem = exports["mem"]
    out.append(bytes(mem.read(store, 0, mem.data_len(store))))
    return out


def run_diff(wat: str) -> dict[str, Any]:
    import wasmtime

    from wasmzero.internal.engine import available_engines

    data = wasmtime.wat2wasm(wat)
    results: dict[str, Any] = {}
    try:
        _limit(60.0)
        for engine in available_engines():
            results[engine] = _outcomes(data, engine)
        oracle = _wasmtime_outcomes(data)
        if oracle is not None:
            results["wasmtime"] = oracle
    except GuestTimeout:
        return {"status": "slow", "detail": "differential case over 60 s"}
    except BaseException as e:  # noqa: BLE001 - a finding
        return {"status": "untyped", "detail": "".join(traceback.format_exception(e))}
    finally:
        _limit(0)
    names = sorted(results)
    first = results[names[0]]
    for name in names[1:]:
        if results[name] != first:
            where = next(
                (i for i, (a, b) in enumerate(zip(first, results[name], strict=False)) if a != b),
                None,
            )
            return {
                "status": "diff",
                "detail": f"{names[0]} != {name} at outcome {where}: "
                f"{_short(first, where)} vs {_short(results[name], where)}",
            }
    return {"status": "ok", "detail": ""}


def _short(outs: list[Any], i: int | None) -> str:
    if i is None or i >= len(outs):
        return "?"
    v = outs[i]
    return "<memory>" if isinstance(v, bytes) else repr(v)


def main() -> None:
    import resource

    args = sys.argv[1:]
    memory_mib = int(args[args.index("--memory-mib") + 1]) if "--memory-mib" in args else 2048
    limit = memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _alarm)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    for line in sys.stdin:
        req = json.loads(line)
        if req["kind"] == "module":
            answer = run_module(bytes.fromhex(req["hex"]), req.get("engine", "compiler"))
        else:
            answer = run_diff(req["wat"])
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
