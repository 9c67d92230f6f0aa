"""The native engine (engine/native/): results, traps and their stack
traces as the compiler engine gives them, calls both ways between native
code and Python, globals and memory growth through exits, deadlines, threads,
and the fallback where native code cannot run.

Native code runs in a child process here: a defect there must fail a test,
not end the test run (a segfault is the worst defect this engine can have).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from wasmzero import Runtime, RuntimeConfig, Trap

from ..test_control_fuzz import _INPUTS, _Gen

wasmtime = pytest.importorskip("wasmtime")

SRC = Path(__file__).resolve().parents[4] / "src"
pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or os.uname().machine != "x86_64", reason="x86-64 Linux only"
)


def _child(code: str, env: dict[str, str] | None = None, data: Any = None) -> Any:
    """Run ``code`` in a child Python (``DATA``: ``data`` through JSON); it
    prints one JSON value last."""
    # whole modules compiled at once unless a test asks for lazy compilation
    e = {**os.environ, "PYTHONPATH": str(SRC), "WASMZERO_NATIVE_LAZY": "0", **(env or {})}
    code = "import json, sys\nDATA = json.loads(sys.stdin.read())\n" + textwrap.dedent(code)
    r = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        env=e,
        timeout=600,
    )
    assert r.returncode == 0, f"child exited {r.returncode}: {r.stderr[-2000:]}"
    return json.loads(r.stdout.strip().splitlines()[-1])


RUN = """
import json, sys
from wasmzero import Runtime, RuntimeConfig, Trap
def run_calls(m, calls):
    out = []
    for name, args in calls:
        try:
            out.append(["ok", m.exported_function(name)(*args)])
        except Trap as e:
            out.append(["trap", e.kind.value, e.wasm_stack])
    return out
def outcomes(wasm, calls, engine="native"):
    rt = Runtime(RuntimeConfig(engine=engine))
    compiled = rt.compile_module(wasm)
    out = run_calls(rt.instantiate_module(compiled), calls)
    native = len(compiled._code.compile_native()) if engine == "native" else 0
    return out, native
"""


def _outcomes(
    wasm: bytes, calls: list, engine: str = "compiler", rt: Runtime | None = None
) -> list:
    """Outcomes in this process (the reference: the compiler engine), on
    ``rt`` when given (a runtime with host modules)."""
    m = (rt or Runtime(RuntimeConfig(engine=engine))).instantiate(wasm)
    out: list = []
    for name, args in calls:
        try:
            out.append(["ok", m.exported_function(name)(*args)])
        except Trap as e:
            out.append(["trap", e.kind.value, e.wasm_stack])
    return out


def _native(wasm: bytes, calls: list) -> tuple[list, int]:
    out, native = _child(
        RUN + "print(json.dumps(outcomes(bytes.fromhex(DATA[0]), DATA[1])))",
        data=[wasm.hex(), calls],
    )
    return out, native


BINARY = ["add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor",
          "shl", "shr_s", "shr_u", "rotl", "rotr", "eq", "ne", "lt_s", "lt_u", "gt_s",
          "gt_u", "le_s", "le_u", "ge_s", "ge_u"]  # fmt: skip
UNARY = ["clz", "ctz", "popcnt", "eqz", "extend8_s", "extend16_s"]


def _edge(bits: int, rnd: random.Random) -> list[int]:
    m = (1 << bits) - 1
    vals = [0, 1, 2, m, m - 1, 1 << (bits - 1), (1 << (bits - 1)) - 1, 31, 32, 63, 64, 7]
    vals += [rnd.getrandbits(bits) for _ in range(6)]
    return [v & m for v in vals]


def test_integer_instructions_agree_with_the_compiler_engine() -> None:
    rnd = random.Random(20261205)
    funcs, calls = [], []
    for t, bits in (("i32", 32), ("i64", 64)):
        for op in BINARY:
            funcs.append(
                f'(func (export "{t}.{op}") (param {t} {t}) (result '
                f"{'i32' if op in ('eq', 'ne') or op[:2] in ('lt', 'gt', 'le', 'ge') else t})"
                f" ({t}.{op} (local.get 0) (local.get 1)))"
            )
            vals = _edge(bits, rnd)
            calls += [(f"{t}.{op}", [a, b]) for a in vals for b in rnd.sample(vals, 6)]
        for op in UNARY + (["extend32_s"] if t == "i64" else []):
            res = "i32" if op == "eqz" else t
            funcs.append(
                f'(func (export "{t}.{op}") (param {t}) (result {res}) ({t}.{op} (local.get 0)))'
            )
            calls += [(f"{t}.{op}", [a]) for a in _edge(bits, rnd)]
    funcs.append('(func (export "wrap") (param i64) (result i32) (i32.wrap_i64 (local.get 0)))')
    funcs.append(
        '(func (export "ext_s") (param i32) (result i64) (i64.extend_i32_s (local.get 0)))'
    )
    funcs.append(
        '(func (export "ext_u") (param i32) (result i64) (i64.extend_i32_u (local.get 0)))'
    )
    calls += [("wrap", [v]) for v in _edge(64, rnd)]
    calls += [(f, [v]) for f in ("ext_s", "ext_u") for v in _edge(32, rnd)]
    wasm = wasmtime.wat2wasm("(module " + "\n".join(funcs) + ")")
    got, native = _native(wasm, calls)
    assert native == len(funcs)  # every one compiled natively
    assert got == _outcomes(wasm, calls)


MEMORY = """(module
 (import "env" "twice" (func $twice (param i32) (result i32)))
 (memory 1 3)
 (global $g (mut i32) (i32.const 5))
 (global $h (export "h") (mut i64) (i64.const 7))
 (func (export "loads") (param i32) (result i64)
   (i64.add (i64.load8_s (local.get 0))
     (i64.add (i64.load16_u offset=1 (local.get 0))
       (i64.add (i64.load32_s offset=3 (local.get 0)) (i64.load offset=7 (local.get 0))))))
 (func (export "stores") (param i32 i64)
   (i64.store (local.get 0) (local.get 1))
   (i32.store8 offset=9 (local.get 0) (i32.wrap_i64 (local.get 1)))
   (i64.store16 offset=11 (local.get 0) (local.get 1))
   (i64.store32 offset=13 (local.get 0) (local.get 1)))
 (func (export "grow") (param i32) (result i32 i32)
   (memory.grow (local.get 0)) (memory.size))
 (func (export "at_end") (result i32)
   (i32.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)) (i32.const 99))
   (i32.load (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4))))
 (func (export "globals") (param i32) (result i32)
   (global.set $g (i32.add (global.get $g) (local.get 0)))
   (global.set $h (i64.add (global.get $h) (i64.extend_i32_u (global.get $g))))
   (global.get $g))
 (func (export "host") (param i32) (result i32)
   (i32.add (call $twice (local.get 0)) (i32.const 1)))
 (func (export "fill") (param i32 i32 i32) (result i32)
   (memory.fill (local.get 0) (local.get 1) (local.get 2))
   (memory.copy (i32.add (local.get 0) (i32.const 100)) (local.get 0) (local.get 2))
   (i32.load8_u offset=100 (local.get 0)))
 (func (export "div0") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
 (func (export "ovf") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
 (func (export "rem") (result i32) (i32.rem_s (i32.const 0x80000000) (i32.const -1)))
 (func (export "unr") (unreachable))
 (func $r (export "rec") (param i32) (result i32) (call $r (i32.add (local.get 0) (i32.const 1))))
)"""


def test_memory_globals_host_calls_and_traps() -> None:
    calls = [
        ("stores", [16, 0x1122334455667788]),
        ("loads", [16]),
        ("loads", [65536 - 15]),
        ("loads", [65536 - 14]),
        ("stores", [65536 - 16, 5]),
        ("at_end", []),
        ("grow", [1]),
        ("at_end", []),
        ("loads", [65536 + 100]),
        ("grow", [5]),
        ("globals", [3]),
        ("globals", [4]),
        ("host", [20]),
        ("fill", [200, 7, 50]),
        ("fill", [65536 * 2 - 10, 7, 50]),
        ("div0", [0]),
        ("div0", [3]),
        ("ovf", []),
        ("rem", []),
        ("unr", []),
        ("rec", [0]),
    ]
    wasm = wasmtime.wat2wasm(MEMORY)
    code = RUN.replace(
        "rt = Runtime(RuntimeConfig(engine=engine))",
        "rt = Runtime(RuntimeConfig(engine=engine))\n"
        "    rt.host_module('env').function('twice', lambda x: 2 * x, ['i32'], ['i32']).instantiate()",
    )
    # The same host module for the compiler engine in this process.
    got, _ = _child(
        code + "print(json.dumps(outcomes(bytes.fromhex(DATA[0]), DATA[1])))",
        data=[wasm.hex(), calls],
    )
    rt = Runtime(RuntimeConfig(engine="compiler"))
    rt.host_module("env").function("twice", lambda x: 2 * x, ["i32"], ["i32"]).instantiate()
    assert got == json.loads(json.dumps(_outcomes(wasm, calls, rt=rt)))


def test_random_control_flow_agrees() -> None:
    """Random nests of block/loop/if with br, br_if, br_table and return
    (the control-flow fuzzer's generator), natively and translated."""
    rnd = random.Random(7)
    mods = [
        wasmtime.wat2wasm(_Gen(random.Random(rnd.getrandbits(32)), 5).module()) for _ in range(60)
    ]
    calls = [("f", list(a)) for a in _INPUTS]
    got = _child(
        RUN + "print(json.dumps([outcomes(bytes.fromhex(m), DATA[1])[0] for m in DATA[0]]))",
        data=[[m.hex() for m in mods], calls],
    )
    assert got == [_outcomes(m, calls) for m in mods]


def test_calls_reenter_native_code_through_python() -> None:
    """native -> host (Python) -> native again, nested, with a trap from the
    innermost native frame crossing both."""
    got = _child(
        """
        import json, wasmtime
        from wasmzero import Runtime, RuntimeConfig, Trap
        rt = Runtime(RuntimeConfig(engine="native"))
        inst = {}
        def back(x):
            f = inst["m"].exported_function("down")
            return f(x)
        rt.host_module("env").function("back", back, ["i32"], ["i32"]).instantiate()
        m = inst["m"] = rt.instantiate(wasmtime.wat2wasm('''(module
          (import "env" "back" (func $back (param i32) (result i32)))
          (func (export "down") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1000))
              (else (i32.add (call $back (i32.sub (local.get 0) (i32.const 1))) (local.get 0)))))
          (func (export "boom") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (unreachable))
              (else (call $back (i32.sub (local.get 0) (i32.const 1)))))))'''))
        out = [m.exported_function("down")(50)]
        try:
            m.exported_function("boom")(0)
        except Trap as e:
            out.append(e.kind.value)
        out.append(m.exported_function("down")(10))
        print(json.dumps(out))
        """
    )
    assert got == [1000 + sum(range(51)), "unreachable", 1000 + sum(range(11))]


def test_a_deadline_stops_a_native_loop() -> None:
    got = _child(
        """
        import json, time, wasmtime
        from wasmzero import Runtime, RuntimeConfig, Trap
        rt = Runtime(RuntimeConfig(engine="native", call_timeout=0.3))
        m = rt.instantiate(wasmtime.wat2wasm('(module (func (export "spin") (loop (br 0))))'))
        t = time.monotonic()
        try:
            m.exported_function("spin")()
        except Trap as e:
            print(json.dumps([e.kind.value, time.monotonic() - t]))
        """
    )
    assert got[0] == "deadline exceeded" and got[1] < 5


def test_threads_each_run_on_their_own_stacks() -> None:
    got = _child(
        """
        import json, threading, wasmtime
        from wasmzero import Runtime, RuntimeConfig
        rt = Runtime(RuntimeConfig(engine="native"))
        m = rt.instantiate(wasmtime.wat2wasm('''(module
          (func $fib (export "fib") (param i32) (result i32)
            (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
              (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                             (call $fib (i32.sub (local.get 0) (i32.const 2))))))))'''))
        fib = m.exported_function("fib")
        results = []
        def work(n):
            results.append([fib(n) for _ in range(200)] == [fib(n)] * 200 and fib(n))
        ts = [threading.Thread(target=work, args=(15 + k,)) for k in range(6)]
        for t in ts: t.start()
        for t in ts: t.join()
        print(json.dumps(sorted(results)))
        """
    )
    fib = [0, 1]
    while len(fib) < 21:
        fib.append(fib[-1] + fib[-2])
    assert got == sorted(fib[15:21])


def test_where_native_code_cannot_run_the_compiler_engine_does() -> None:
    got = _child(
        """
        import json, warnings, wasmtime
        from wasmzero import Runtime, RuntimeConfig
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            rt = Runtime(RuntimeConfig(engine="native"))
            cm = rt.compile_module(wasmtime.wat2wasm(
                '(module (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))'))
            r = rt.instantiate_module(cm).exported_function("f")(14)
        print(json.dumps([r, len(cm._code.compile_native()), cm._code.fallbacks,
                          [str(x.message) for x in w]]))
        """,
        env={"WASMZERO_NATIVE_UNAVAILABLE": "1"},
    )
    assert got[:3] == [42, 0, 1]
    assert len(got[3]) == 1 and "native engine unavailable" in got[3][0]


def test_corpus_programs_give_the_same_output(tmp_path: Path) -> None:
    corpus = SRC.parents[1] / "shared" / "bench" / "wasm"
    if not corpus.is_dir():
        pytest.skip("needs ../shared/bench")
    for name, arg in [("fib", "20"), ("sieve", "20000"), ("sha256", "4"), ("vm", "50"),
                      ("strings", "300"), ("hash64", "2"), ("malloc_trees", "6")]:  # fmt: skip
        outs = []
        for engine in ("compiler", "native"):
            r = subprocess.run(
                [sys.executable, "-m", "wasmzero", "run", "--no-cache", "--engine", engine,
                 str(corpus / f"{name}.wasm"), arg],
                capture_output=True, env=dict(os.environ, PYTHONPATH=str(SRC)), timeout=300,
            )  # fmt: skip
            assert r.returncode == 0, (name, engine, r.stderr[-1000:])
            outs.append(r.stdout)
        assert outs[0] == outs[1] and outs[0], name


def test_machine_code_round_trips_through_the_disk_cache(tmp_path: Path) -> None:
    """A second runtime reads the machine code back (keyed by the CPU's
    features and the code format); an entry that is not well formed, or is
    for another CPU, is ignored and the module compiled again."""
    got = _child(
        """
        import wasmtime
        from wasmzero import CompilationCache, Runtime, RuntimeConfig
        from wasmzero.internal.engine.native import engine as E
        wat = '''(module (memory 1)
          (func $f (export "f") (param i32) (result i64)
            (i64.store (i32.const 8) (i64.extend_i32_u (local.get 0)))
            (i64.mul (i64.load (i32.const 8)) (i64.const 3))))'''
        wasm = wasmtime.wat2wasm(wat)
        out = []
        def run():
            with Runtime(RuntimeConfig(engine="native",
                                       compilation_cache=CompilationCache(DATA))) as rt:
                cm = rt.compile_module(wasm)
                r = rt.instantiate_module(cm).exported_function("f")(14)
                out.append([r, cm._code.cached is not None])
        run()
        run()
        assert E._from_cache(("wasmzero-native-3", "other-cpu", b"", (), 0, (), 0), 2) is None
        assert E._from_cache(("wasmzero-native-3", E._cpu_key(), b"\\xc3", ((0, 5),), 0, (), 0), 2) is None
        assert E._from_cache(("x",) * 7, 2) is None
        print(json.dumps(out))
        """,
        data=str(tmp_path),
    )
    assert got == [[42, False], [42, True]]


@pytest.mark.parametrize("lazy", [False, True], ids=["eager", "lazy"])
def test_call_indirect_inline_caches_follow_table_writes(lazy: bool) -> None:
    """A site that called one entry natively calls whatever the table holds
    next: another function, a null entry (trap), one of another type (trap);
    in lazy mode too, where sites are numbered as functions compile."""
    wat = """(module
      (type $t (func (result i32)))
      (table $tab 3 funcref)
      (elem (i32.const 0) $one $two)
      (elem declare func $other)
      (func $one (result i32) (i32.const 1))
      (func $two (result i32) (i32.const 2))
      (func $other (param i32) (result i32) (local.get 0))
      (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0)))
      (func (export "loop") (param i32 i32) (result i32) (local i32)
        (loop $l
          (local.set 2 (i32.add (local.get 2) (call_indirect (type $t) (local.get 1))))
          (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
        (local.get 2))
      (func (export "put") (param i32 i32)
        (table.set $tab (local.get 0) (table.get $tab (local.get 1))))
      (func (export "clear") (param i32) (table.set $tab (local.get 0) (ref.null func)))
      (func (export "odd") (param i32) (table.set $tab (local.get 0) (ref.func $other))))"""
    calls = [
        ("loop", [1000, 0]),
        ("call", [0]),
        ("put", [0, 1]),
        ("call", [0]),
        ("loop", [10, 0]),
        ("clear", [0]),
        ("call", [0]),
        ("put", [0, 1]),
        ("call", [0]),
        ("odd", [0]),
        ("call", [0]),
        ("call", [5]),
        ("call", [1]),
    ]
    wasm = wasmtime.wat2wasm(wat)
    if not lazy:
        got, native = _native(wasm, calls)
        assert native == 8  # every function
        assert got == _outcomes(wasm, calls)
        return
    got, nsites = _child(
        RUN
        + """
rt = Runtime(RuntimeConfig(engine="native"))
compiled = rt.compile_module(bytes.fromhex(DATA[0]))
out = run_calls(rt.instantiate_module(compiled), DATA[1])
print(json.dumps([out, compiled._code.nsites]))
""",
        env={"WASMZERO_NATIVE_LAZY": "1"},
        data=[wasm.hex(), calls],
    )
    assert nsites == 2  # both call_indirect sites have an inline cache
    assert got == _outcomes(wasm, calls)


def test_memory_grown_by_another_thread_between_exits() -> None:
    """One thread's native code stops at exits (host calls) while another
    thread grows the same memory (which may move its bytes): each resume
    reads the memory's address again, so every access sees the live bytes."""
    got = _child(
        """
        import threading, wasmtime
        from wasmzero import Runtime, RuntimeConfig
        rt = Runtime(RuntimeConfig(engine="native"))
        rt.host_module("env").function("tick", lambda x: x, ["i32"], ["i32"]).instantiate()
        m = rt.instantiate(wasmtime.wat2wasm('''(module
          (import "env" "tick" (func $tick (param i32) (result i32)))
          (memory 1 400)
          (func (export "work") (param i32) (result i32) (local i32)
            (loop $l
              (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (call $tick (i32.const 1))))
              (local.set 1 (i32.add (local.get 1)
                (i32.load (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)))))
              (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
            (i32.load (i32.const 0)))
          (func (export "grow") (result i32) (memory.grow (i32.const 1))))'''))
        work, grow = m.exported_function("work"), m.exported_function("grow")
        out = []
        def grower():
            for _ in range(300):
                grow()
        t = threading.Thread(target=grower)
        t.start()
        out.append(work(20000))
        t.join()
        print(json.dumps(out))
        """
    )
    assert got == [20000]


LAZY_SCRIPTS = ["call", "call_indirect", "fac", "func_ptrs", "br_table", "loop", "return",
                "memory_grow", "conversions", "imports", "linking", "left-to-right",
                "simd_lane", "table_set", "ref_func", "global"]  # fmt: skip


def test_lazily_compiled_modules_pass_the_spec_scripts() -> None:
    """Large modules compile each function on first call, calling through
    a table of entries (a function that is not native -- SIMD here -- is
    called by Python from the lazy stub); forced here on the spec suite's
    modules of calls, tables, globals, memory growth and SIMD fallbacks."""
    got = _child(
        """
        from tests.spectest.runner import SPECTEST, run_suite
        import io
        if not (SPECTEST / "v2").is_dir():
            print(json.dumps(None))
        else:
            total = run_suite("v2", "native", DATA, out=io.StringIO())
            print(json.dumps([total.passed, total.failed, total.failures[:5]]))
        """,
        env={"WASMZERO_NATIVE_LAZY": "1", "PYTHONPATH": f"{SRC}{os.pathsep}{SRC.parent}"},
        data=LAZY_SCRIPTS,
    )
    if got is None:
        pytest.skip("the spec suite is not here")
    passed, failed, failures = got
    assert failed == 0, failures
    assert passed > 2000


@pytest.mark.parametrize("lazy", ["0", "1"], ids=["whole", "lazy"])
@pytest.mark.parametrize("suite", ["v1", "v2"])
def test_the_spec_suite_runs_natively(suite: str, lazy: str) -> None:
    """The whole suite on the native engine (a child process): no failure,
    and (modules compiled whole) every function compiled natively but those
    with SIMD; and with functions compiled at their first call, the default."""
    r = subprocess.run(
        [sys.executable, "-m", "tests.spectest", "--suite", suite, "--engine", "native"],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=SRC.parent,
        env={
            **os.environ,
            "PYTHONPATH": f"{SRC}{os.pathsep}{SRC.parent}",
            "WASMZERO_NATIVE_LAZY": lazy,
        },
    )
    if "not found" in r.stderr or "is not at" in r.stdout + r.stderr:
        pytest.skip("the spec suite is not here")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    lines = r.stdout.strip().splitlines()
    assert lines[-1].startswith(f"spectest {suite} native:") and " 0 failed" in lines[-1]
    if lazy == "1":
        return
    fell_back = int(lines[-2].split(",")[1].split()[0])
    assert fell_back == 0 if suite == "v1" else fell_back > 0  # v2: SIMD only


def test_native_calls_nested_through_python_without_end_trap() -> None:
    """Two modules calling each other through their imports (each call a
    native exit and a nested entry) without end: a clean trap."""
    got = _child(
        """
        import wasmtime
        from wasmzero import Runtime, RuntimeConfig, Trap
        rt = Runtime(RuntimeConfig(engine="native"))
        rt.host_module("env").function("back", lambda x: ping(x), ["i32"], ["i32"]).instantiate()
        a = rt.instantiate(wasmtime.wat2wasm('''(module
          (import "env" "back" (func $back (param i32) (result i32)))
          (func (export "ping") (param i32) (result i32)
            (i32.add (call $back (i32.add (local.get 0) (i32.const 1))) (i32.const 1))))'''))
        ping = a.exported_function("ping")
        out = []
        try:
            ping(0)
        except Trap as e:
            out.append(e.kind.value)
        out.append(a.exported_function("ping") is not None)
        print(json.dumps(out))
        """
    )
    assert got == ["call stack exhausted", True]


def test_two_instances_recursing_through_each_other_trap_cleanly() -> None:
    """A calls B through a shared table, B calls A through its import: every
    step is an exit and a nested native entry, with no API call between."""
    got = _child(
        """
        import wasmtime
        from wasmzero import ModuleConfig, Runtime, RuntimeConfig, Trap
        rt = Runtime(RuntimeConfig(engine="native"))
        a = rt.instantiate(wasmtime.wat2wasm('''(module
          (type $t (func (param i32) (result i32)))
          (table (export "tab") 1 funcref)
          (func (export "a") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
              (else (i32.add (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1))
                                            (i32.const 0)) (i32.const 1))))))'''),
            ModuleConfig(name="A"))
        rt.instantiate(wasmtime.wat2wasm('''(module
          (import "A" "a" (func $a (param i32) (result i32)))
          (import "A" "tab" (table 1 funcref))
          (elem (i32.const 0) $b)
          (func $b (param i32) (result i32) (call $a (local.get 0))))'''), ModuleConfig(name="B"))
        f = a.exported_function("a")
        out = [f(100)]
        try:
            f(1000000)
        except Trap as e:
            out.append(e.kind.value)
        out.append(f(50))
        print(json.dumps(out))
        """
    )
    assert got == [100, "call stack exhausted", 50]


def test_lazily_compiled_functions_round_trip_through_the_disk_cache(tmp_path: Path) -> None:
    got = _child(
        """
        import wasmtime
        from wasmzero import CompilationCache, Runtime, RuntimeConfig
        wasm = wasmtime.wat2wasm('''(module
          (func $sq (param i64) (result i64) (i64.mul (local.get 0) (local.get 0)))
          (func (export "f") (param i64) (result i64) (i64.add (call $sq (local.get 0)) (i64.const 1)))
          (func (export "unused") (result i32) (i32.const 7)))''')
        out = []
        for _ in range(3):
            with Runtime(RuntimeConfig(engine="native",
                                       compilation_cache=CompilationCache(DATA))) as rt:
                cm = rt.compile_module(wasm)
                r = rt.instantiate_module(cm).exported_function("f")(12)
                code = cm._code
                out.append([r, code.lazy, sorted(code.lazy_made), sorted(code.lazy_cached)])
        print(json.dumps(out))
        """,
        env={"WASMZERO_NATIVE_LAZY": "1"},
        data=str(tmp_path),
    )
    # first run compiles f and sq; later runs read both back, compile nothing
    assert got == [[145, True, [0, 1], []], [145, True, [], [0, 1]], [145, True, [], [0, 1]]]


def test_the_expression_fuzzers_modules_agree_with_wasmtime() -> None:
    """The compiler's differential fuzzer of integer expressions
    (test_expr_fuzz), its modules run natively against wasmtime."""
    from ..test_expr_fuzz import _ARGS, _module

    rnd = random.Random(20261205)
    mods = [wasmtime.wat2wasm(_module(rnd.getrandbits(32))) for _ in range(150)]
    calls = [(n, [a, b]) for n in ("f32", "f64", "m") for a, b in _ARGS]
    got = _child(
        RUN + "print(json.dumps([outcomes(bytes.fromhex(m), DATA[1])[0] for m in DATA[0]]))",
        data=[[m.hex() for m in mods], calls],
    )
    engine = wasmtime.Engine()
    for wasm, outs in zip(mods, got, strict=True):
        store = wasmtime.Store(engine)
        ex = wasmtime.Instance(store, wasmtime.Module(engine, wasm), []).exports(store)
        for (name, (a, b)), out in zip(calls, outs, strict=True):
            sa = a - (1 << 32) if a >= 1 << 31 else a
            sb = b - (1 << 64) if b >= 1 << 63 else b
            assert out == ["ok", ex[name](store, sa, sb)], (name, a, b)


def test_lazily_compiled_globals_cross_into_functions_that_fall_back() -> None:
    """Lazy mode keeps globals in native memory even when a function falls
    back (here: a SIMD function, run as the compiler engine runs it): the
    values move at every crossing, both ways, through host calls and traps,
    and the exported global reads the current value."""
    got = _child(
        """
        import wasmtime
        from wasmzero import Runtime, RuntimeConfig, Trap
        wasm = wasmtime.wat2wasm('''(module
          (import "host" "peek" (func $peek (result i64)))
          (global $sp (export "sp") (mut i64) (i64.const 100))
          (global $f (mut f64) (f64.const 0.5))
          (func $simd (export "simd") (param i64) (result i64)
            ;; falls back: reads and writes the globals the native code owns
            (global.set $sp (i64.add (global.get $sp)
              (i64x2.extract_lane 1 (i64x2.splat (local.get 0)))))
            (global.set $f (f64.add (global.get $f) (f64.const 1)))
            (if (i64.eq (local.get 0) (i64.const 13)) (then unreachable))
            (global.get $sp))
          (func (export "native") (param i64) (result i64)
            (global.set $sp (i64.sub (global.get $sp) (i64.const 1)))
            (drop (call $simd (local.get 0)))          ;; native -> fallback
            (i64.add (global.get $sp) (call $peek)))   ;; host call in between
          (func (export "f") (result f64) (global.get $f)))''')
        out = []
        rt = Runtime(RuntimeConfig(engine="native"))
        holder = []
        rt.host_module("host").function(
            "peek", lambda: holder[0].exported_global("sp").value, params=[], results=["i64"]
        ).instantiate()
        m = rt.instantiate(wasm)
        holder.append(m)
        native, simd = m.exported_function("native"), m.exported_function("simd")
        out.append(native(5))          # sp 100 -> 99 -> 104; 104 + 104
        out.append(simd(1))            # 105
        out.append(m.exported_global("sp").value)
        try:
            native(13)                 # 105 -> 104 -> 117, then the trap
        except Trap as e:
            out.append(e.kind.value)
        out.append(m.exported_global("sp").value)
        out.append(native(0))          # 117 -> 116 -> 116; 116 + 116
        out.append(m.exported_function("f")())
        print(json.dumps(out))
        """,
        env={"WASMZERO_NATIVE_LAZY": "1"},
    )
    assert got == [208, 105, 105, "unreachable", 117, 232, 4.5]
