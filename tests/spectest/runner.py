"""Run the spec suite's JSON command lists (see ../shared/spectest/README.md)
against wasmzero through its public API.

Every command is counted as passed, failed or skipped. Skipped are only the
commands that need the text format (``module_type`` ``text``), which wasmzero
does not parse.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from wasmzero.api import CoreFeatures
from wasmzero.config import ModuleConfig, RuntimeConfig
from wasmzero.errors import DecodeError, LinkError, Trap, TrapKind, ValidationError, WasmError
from wasmzero.internal.numeric.bits import f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from wasmzero.runtime import Runtime

SPECTEST = Path(
    os.environ.get("WASMZERO_SPECTEST", Path(__file__).resolve().parents[3] / "shared" / "spectest")
)
FEATURES = {"v1": CoreFeatures.V1, "v2": CoreFeatures.V2}


def scripts(suite: str) -> list[str]:
    return sorted(p.stem for p in (SPECTEST / suite).glob("*.json"))


@dataclass
class Result:
    script: str = ""
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)
    # (line, results) of every action performed, for comparing engines.
    values: list[tuple[int, list[Any]]] = field(default_factory=list)
    # The native engine: defined functions compiled natively / run by the
    # compiler engine instead (counted once native code was made).
    native: int = 0
    fell_back: int = 0

    def add(self, other: Result) -> None:
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.native += other.native
        self.fell_back += other.fell_back


class ExternRef:
    """A host reference ``ref.extern N`` of the scripts; equal by number."""

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExternRef) and other.n == self.n

    def __hash__(self) -> int:
        return hash(("externref", self.n))

    def __repr__(self) -> str:
        return f"ref.extern {self.n}"


_LANES = {
    "i8": (8, 16),
    "i16": (16, 8),
    "i32": (32, 4),
    "i64": (64, 2),
    "f32": (32, 4),
    "f64": (64, 2),
}


def to_raw(arg: dict[str, Any]) -> Any:
    """A JSON argument as a raw wasm value."""
    t = arg["type"]
    v = arg["value"]
    if t in ("i32", "i64"):
        return int(v)
    if t == "f32":
        return f32_from_bits(int(v))
    if t == "f64":
        return f64_from_bits(int(v))
    if t == "v128":
        bits, n = _LANES[arg["lane_type"]]
        out = 0
        mask = (1 << bits) - 1
        for i, lane in enumerate(v):
            out |= (int(lane) & mask) << (i * bits)
        return out
    if t in ("funcref", "externref"):
        if v == "null":
            return None
        return ExternRef(int(v))
    raise ValueError(f"unknown value type {t}")


def _float_matches(bits: int, want: str, width: int) -> bool:
    if width == 32:
        exp, quiet, sign = 0x7F800000, 0x00400000, 0x80000000
    else:
        exp, quiet, sign = 0x7FF0000000000000, 0x0008000000000000, 1 << 63
    if want == "nan:canonical":
        return (bits & ~sign) == (exp | quiet)
    if want == "nan:arithmetic":
        return (bits & (exp | quiet)) == (exp | quiet)
    return bits == int(want)


def matches(expected: dict[str, Any], got: Any) -> bool:
    t = expected["type"]
    v = expected.get("value")
    if t in ("i32", "i64"):
        return isinstance(got, int) and got == int(v)  # type: ignore[arg-type]
    if t == "f32":
        return isinstance(got, float) and _float_matches(f32_to_bits(got), v, 32)  # type: ignore[arg-type]
    if t == "f64":
        return isinstance(got, float) and _float_matches(f64_to_bits(got), v, 64)  # type: ignore[arg-type]
    if t == "v128":
        if not isinstance(got, int):
            return False
        bits, n = _LANES[expected["lane_type"]]
        mask = (1 << bits) - 1
        for i, lane in enumerate(v):  # type: ignore[arg-type]
            lb = (got >> (i * bits)) & mask
            if expected["lane_type"] in ("f32", "f64"):
                if not _float_matches(lb, lane, bits):
                    return False
            elif lb != int(lane) & mask:
                return False
        return True
    if t == "funcref":
        if v is None:
            return got is not None
        return got is None if v == "null" else got is not None
    if t == "externref":
        if v is None:
            return got is not None
        if v == "null":
            return got is None
        return got == ExternRef(int(v))
    raise ValueError(f"unknown value type {t}")


def show(got: list[Any]) -> str:
    out = []
    for g in got:
        if isinstance(g, float):
            out.append(f"{g!r} (f32 bits {f32_to_bits(g):#x}, f64 bits {f64_to_bits(g):#x})")
        elif isinstance(g, int):
            out.append(f"{g} ({g:#x})")
        else:
            out.append(repr(g))
    return "[" + ", ".join(out) + "]"


def spectest_module(rt: Runtime) -> None:
    """The ``spectest`` host module every script may import."""

    def nothing(*args: Any) -> list[Any]:
        return []

    b = rt.host_module("spectest")
    b.function("print", nothing, [], [], raw=True)
    for name, params in (
        ("print_i32", ["i32"]),
        ("print_i64", ["i64"]),
        ("print_f32", ["f32"]),
        ("print_f64", ["f64"]),
        ("print_i32_f32", ["i32", "f32"]),
        ("print_f64_f64", ["f64", "f64"]),
    ):
        b.function(name, lambda stack: [], params, [], raw=True)
    b.global_("global_i32", "i32", 666)
    b.global_("global_i64", "i64", 666)
    b.global_("global_f32", "f32", f32_from_bits(struct.unpack("<I", struct.pack("<f", 666.6))[0]))
    b.global_("global_f64", "f64", 666.6)
    b.table("table", "funcref", 10, 20)
    b.memory("memory", 1, 2)
    b.instantiate()


class ScriptRunner:
    def __init__(
        self, suite: str, name: str, engine: str, options: dict[str, Any] | None = None
    ) -> None:
        self.suite = suite
        self.name = name
        self.dir = SPECTEST / suite
        self.config = RuntimeConfig(engine=engine, features=FEATURES[suite], **(options or {}))
        self.rt = Runtime(self.config)
        spectest_module(self.rt)
        self.modules: dict[str, Any] = {}
        self.current: Any = None
        self.result = Result(name)
        self.counter = 0

    # -- helpers ----------------------------------------------------------------------

    def load(self, filename: str) -> bytes:
        return (self.dir / filename).read_bytes()

    def instantiate(self, filename: str) -> Any:
        compiled = self.rt.compile_module(self.load(filename))
        inst = self.rt.instantiate_module(compiled, ModuleConfig(name="", start_functions=()))
        code = compiled._code
        if hasattr(code, "compile_native"):  # the native engine
            self.result.native += len(code.compile_native())
            self.result.fell_back += code.fallbacks
        return inst

    def module_of(self, action: dict[str, Any]) -> Any:
        name = action.get("module")
        if name is None:
            if self.current is None:
                raise RuntimeError("no current module")
            return self.current
        return self.modules[name]

    def perform(self, action: dict[str, Any]) -> list[Any]:
        mod = self.module_of(action)
        field_ = action["field"]
        if action["type"] == "invoke":
            fn = mod.exported_function(field_)
            if fn is None:
                raise RuntimeError(f"no exported function {field_!r}")
            return fn.call_with_stack([to_raw(a) for a in action["args"]])
        if action["type"] == "get":
            g = mod.exported_global(field_)
            if g is None:
                raise RuntimeError(f"no exported global {field_!r}")
            return [g.get_raw()]
        raise RuntimeError(f"unknown action {action['type']}")

    # -- commands ---------------------------------------------------------------------

    def run(self, verbose: bool = False, out: TextIO | None = None) -> Result:
        data = json.loads((self.dir / f"{self.name}.json").read_text())
        res = self.result
        for cmd in data["commands"]:
            try:
                outcome = self.command(cmd)
            except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
                detail = "".join(traceback.format_exception_only(type(e), e)).strip()
                if not isinstance(e, WasmError):
                    tb = traceback.extract_tb(e.__traceback__)[-3:]
                    detail += " @ " + "; ".join(f"{f.name}:{f.lineno}" for f in tb)
                outcome = f"unexpected {detail}"
            if outcome is None:
                res.passed += 1
            elif outcome == "skip":
                res.skipped += 1
            else:
                res.failed += 1
                msg = f"{self.name}:{cmd.get('line')} {cmd['type']}: {outcome}"
                res.failures.append(msg)
                if verbose and out is not None:
                    print("  FAIL " + msg[:600], file=out)
        self.rt.close()
        return res

    def command(self, cmd: dict[str, Any]) -> str | None:
        t = cmd["type"]
        if cmd.get("module_type") == "text":
            return "skip"
        if t == "module":
            mod = self.instantiate(cmd["filename"])
            self.current = mod
            if "name" in cmd:
                self.modules[cmd["name"]] = mod
            return None
        if t == "register":
            mod = self.modules[cmd["name"]] if "name" in cmd else self.current
            self.rt.register(mod, cmd["as"])
            return None
        if t == "action":
            self.result.values.append((cmd.get("line", 0), self.perform(cmd["action"])))
            return None
        if t == "assert_return":
            got = self.perform(cmd["action"])
            self.result.values.append((cmd.get("line", 0), got))
            exp = cmd["expected"]
            if len(got) != len(exp) or not all(
                matches(e, g) for e, g in zip(exp, got, strict=False)
            ):
                return f"{cmd['action'].get('field')!r}: expected {exp}, got {show(got)}"
            return None
        if t in ("assert_trap", "assert_exhaustion"):
            try:
                if "action" in cmd:
                    got = self.perform(cmd["action"])
                    return f"expected trap {cmd['text']!r}, got {show(got)}"
                self.instantiate(cmd["filename"])
                return f"expected trap {cmd['text']!r} at instantiation"
            except Trap as e:
                if t == "assert_exhaustion" and e.kind != TrapKind.CALL_STACK_EXHAUSTED:
                    return f"expected stack exhaustion, got trap {e.kind.value!r}"
                if t == "assert_trap" and not cmd["text"].startswith(e.kind.value[:10]):
                    if not e.kind.value.startswith(cmd["text"][:10]):
                        return f"expected trap {cmd['text']!r}, got {e.kind.value!r}"
                return None
        if t == "assert_malformed":
            return self.expect_error(cmd, DecodeError)
        if t == "assert_invalid":
            return self.expect_error(cmd, ValidationError)
        if t == "assert_unlinkable":
            return self.expect_error(cmd, LinkError)
        if t == "assert_uninstantiable":
            return self.expect_error(cmd, Trap)
        return f"unknown command {t}"

    def expect_error(self, cmd: dict[str, Any], kind: type[Exception]) -> str | None:
        try:
            self.instantiate(cmd["filename"])
        except kind:
            return None
        except WasmError as e:
            return f"expected {kind.__name__} ({cmd.get('text')!r}), got {type(e).__name__}: {e}"
        return f"expected {kind.__name__} ({cmd.get('text')!r}), module was accepted"


def run_script(
    suite: str,
    name: str,
    engine: str = "compiler",
    verbose: bool = False,
    out: TextIO | None = None,
    options: dict[str, Any] | None = None,
) -> Result:
    """Run one script; ``options``: more RuntimeConfig fields."""
    return ScriptRunner(suite, name, engine, options).run(verbose, out)


def run_suite(
    suite: str,
    engine: str = "compiler",
    only: list[str] | None = None,
    verbose: bool = False,
    out: TextIO = sys.stdout,
    options: dict[str, Any] | None = None,
) -> Result:
    total = Result()
    for name in only or scripts(suite):
        try:
            res = run_script(suite, name, engine, verbose, out, options)
        except Exception as e:  # noqa: BLE001 - a broken script is a failure
            res = Result(name, failed=1, failures=[f"{name}: runner error {e!r}"])
        total.add(res)
        print(f"{name}: {res.passed} passed, {res.failed} failed, {res.skipped} skipped", file=out)
        out.flush()
    if total.native or total.fell_back:
        print(
            f"native functions: {total.native} compiled natively, {total.fell_back} fell back "
            "to the compiler engine",
            file=out,
        )
    print(
        f"spectest {suite} {engine}{''.join(f' {k}={v}' for k, v in (options or {}).items())}: "
        f"{total.passed} passed, {total.failed} failed, "
        f"{total.skipped} skipped",
        file=out,
    )
    return total
