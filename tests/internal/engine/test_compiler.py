"""The compiler engine: recursion depth, traps, and the safety of generated
source."""

from __future__ import annotations

import io
import keyword
import re
import tokenize

import pytest

from wasmzero import Runtime, RuntimeConfig, Trap, TrapKind
from wasmzero.config import ModuleConfig

wasmtime = pytest.importorskip("wasmtime")


def wat(text: str) -> bytes:
    return wasmtime.wat2wasm(text)


RECURSE = """
(module
  (func $down (export "down") (param i32) (result i32)
    local.get 0
    i32.eqz
    if (result i32)
      i32.const 0
    else
      local.get 0
      i32.const 1
      i32.sub
      call $down
      i32.const 1
      i32.add
    end)
  (func $forever (export "forever") (param i32) (result i32)
    local.get 0
    call $forever)
  (memory (export "mem") 1)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "boom") unreachable))
"""


def test_recursion_10000_deep() -> None:
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        mod = rt.instantiate(wat(RECURSE))
        assert mod.exported_function("down")(10_000) == 10_000


def test_infinite_recursion_traps_and_runtime_stays_usable() -> None:
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        mod = rt.instantiate(wat(RECURSE))
        with pytest.raises(Trap) as info:
            mod.exported_function("forever")(1)
        assert info.value.kind is TrapKind.CALL_STACK_EXHAUSTED
        assert mod.exported_function("down")(100) == 100


@pytest.mark.parametrize(
    "fn, args, kind",
    [
        ("load", (65535,), TrapKind.MEMORY_OUT_OF_BOUNDS),
        ("load", (-1,), TrapKind.MEMORY_OUT_OF_BOUNDS),
        ("div", (1, 0), TrapKind.INTEGER_DIVIDE_BY_ZERO),
        ("div", (-(2**31), -1), TrapKind.INTEGER_OVERFLOW),
        ("boom", (), TrapKind.UNREACHABLE),
    ],
)
def test_traps(fn: str, args: tuple, kind: TrapKind) -> None:
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        mod = rt.instantiate(wat(RECURSE))
        with pytest.raises(Trap) as info:
            mod.exported_function(fn)(*args)
        assert info.value.kind is kind
        assert mod.exported_function("load")(0) == 0


def test_trap_has_wasm_stack_trace() -> None:
    src = """(module $m
      (func $inner unreachable)
      (func $outer (export "run") call $inner))"""
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        mod = rt.instantiate(wat(src))
        with pytest.raises(Trap) as info:
            mod.exported_function("run")()
        assert info.value.wasm_stack == ["m.inner", "m.outer"]
        assert "wasm stack trace:" in str(info.value)


HOSTILE = [
    '"); __import__("os").system("echo pwned") #',
    "a\nb = 1\n",
    "'''",
    "\\",
    "f0",
    "__builtins__",
    "{0}",
]


def _hostile_module() -> bytes:
    def q(s: str) -> str:
        return '"' + "".join(f"\\{b:02x}" for b in s.encode()) + '"'

    imports = "\n".join(
        f"(import {q(h)} {q(h + 'x')} (func $imp{i} (param i32)))" for i, h in enumerate(HOSTILE)
    )
    funcs = "\n".join(
        f"(func $fn{i} (export {q(h)}) (param i32) (result i32)"
        f" local.get 0 call $imp{i} local.get 0)"
        for i, h in enumerate(HOSTILE)
    )
    return wat(f"(module {imports} {funcs})")


_ALLOWED_NAME = re.compile(
    r"^(?:[lstfgGTFq]\d+|TY\d+|M|MV[IQdH]|L|_[a-z0-9_]+|len|int|float|abs|bool|None|True|False)$"
)


def test_generated_source_contains_only_our_identifiers() -> None:
    from wasmzero.internal.binary.decoder import decode_module
    from wasmzero.internal.engine.compiler.translate import ModuleContext, translate_function
    from wasmzero.internal.wasm.validation import validate_module

    data = _hostile_module()
    module = decode_module(data)
    validate_module(module)
    ctx = ModuleContext.of(module)
    for index in range(ctx.num_imported_funcs, len(ctx.func_types)):
        src = translate_function(ctx, index)
        for h in HOSTILE:
            if len(h) > 3:
                assert h not in src
        for tok in tokenize.generate_tokens(io.StringIO(src).readline):
            assert tok.type != tokenize.STRING, src
            if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
                assert _ALLOWED_NAME.match(tok.string), (tok.string, src)


def test_hostile_module_runs() -> None:
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        seen = []
        for i, h in enumerate(HOSTILE):
            b = rt.host_module(h)
            b.function(h + "x", lambda x, i=i: seen.append((i, x)), params=["i32"], results=[])
            b.instantiate()
        mod = rt.instantiate_module(rt.compile_module(_hostile_module()), ModuleConfig(name=""))
        for i, h in enumerate(HOSTILE):
            assert mod.exported_function(h)(i + 40) == i + 40
        assert seen == [(i, i + 40) for i in range(len(HOSTILE))]


def test_instances_share_translation() -> None:
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        compiled = rt.compile_module(wat(RECURSE))
        mods = [rt.instantiate_module(compiled) for _ in range(20)]
        for m in mods:
            assert m.exported_function("down")(3) == 3
        assert compiled._code.translations == 1


def test_loops_nested_beyond_cpython_limits_run_interpreted() -> None:
    """25 nested loops, each branched to: more than CPython compiles in one
    function; the function runs in the interpreter, with the same results."""
    depth = 25
    exits = "".join(
        f"(br_if {k} (i32.and (i32.eq (local.get 0) (i32.const {1000 + k}))"
        " (i32.lt_u (local.get 1) (i32.const 60))))"
        for k in range(depth)
    )
    body = (
        "(local.set 1 (i32.add (local.get 1) (i32.const 1)))"
        f"(br_if {depth - 1} (i32.lt_u (local.get 1) (i32.const 50)))" + exits
    )
    wat = (
        '(module (func (export "f") (param i32) (result i32) (local i32) '
        + "(loop " * depth
        + body
        + ")" * depth
        + " (i32.add (local.get 0) (local.get 1))))"
    )
    wasm = wasmtime.wat2wasm(wat)
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    expected = wasmtime.Instance(store, wasmtime.Module(engine, wasm), []).exports(store)["f"]
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        compiled = rt.compile_module(wasm)
        f = rt.instantiate_module(compiled, ModuleConfig()).exported_function("f")
        for a in (3, 1000, 1012, 1024):
            assert f(a) == expected(store, a)
        assert compiled._code.interpreted  # it did fall back


VIEWS = """
(module
  (memory (export "mem") 1 4)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "put") (param i64 f64)
    i32.const 65536 local.get 0 i64.store          ;; constant addresses: typed views
    i32.const 65544 local.get 1 f64.store
    i32.const 65552 i32.const 0xABCD i32.store16
    i32.const 65556 local.get 0 i32.wrap_i64 i32.store)
  (func (export "get") (result i64 f64 i32 i32)
    i32.const 65536 i64.load
    i32.const 65544 f64.load
    i32.const 65552 i32.load16_u
    i32.const 65556 i32.load))
"""

USER = """
(module
  (import "a" "mem" (memory 1))
  (func (export "get") (result i32) i32.const 65556 i32.load))
"""


def test_constant_address_views_follow_memory_growth() -> None:
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        a = rt.instantiate(wat(VIEWS), ModuleConfig(name="a"))
        b = rt.instantiate(wat(USER))
        put, get = a.exported_function("put"), a.exported_function("get")
        with pytest.raises(Trap) as info:
            put(1, 1.0)  # beyond the first page
        assert info.value.kind is TrapKind.MEMORY_OUT_OF_BOUNDS
        with pytest.raises(Trap):
            b.exported_function("get")()
        assert a.exported_function("grow")(1) == 1
        put(0x1122334455667788, -2.5)
        assert get() == (0x1122334455667788, -2.5, 0xABCD, 0x55667788)
        # The importing instance sees the grown memory through its own views.
        assert b.exported_function("get")() == 0x55667788
        mem = a.exported_memory("mem")
        assert mem.read(65552, 2) == b"\xcd\xab"
        # A host view pins the size: growing fails, the views stay usable.
        view = mem.view()
        assert a.exported_function("grow")(1) == -1
        view.release()
        assert get()[3] == 0x55667788
        assert a.exported_function("grow")(1) == 2
        assert get()[3] == 0x55667788


WRAPPING_ADDRESSES = """
(module
  (memory (export "mem") 1)
  (func (export "copy") (param $p i32) (param $d i32) (result i32)
    ;; mem[p + d] = mem[p] + 1, where p + d may wrap around 2**32
    local.get $p local.get $d i32.add
    local.get $p i32.load8_u i32.const 1 i32.add
    i32.store8
    ;; a condition on a load at a wrapping address
    local.get $p local.get $d i32.add i32.load8_u
    if (result i32) local.get $p local.get $d i32.add i32.load else i32.const -1 end))
"""


def test_addresses_that_wrap_around() -> None:
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        mod = rt.instantiate(wat(WRAPPING_ADDRESSES))
        copy = mod.exported_function("copy")
        mem = mod.exported_memory("mem")
        mem.write(100, b"\x07")
        # 100 + 0xFFFFFFFC wraps to 96: the unwrapped sum is out of range.
        assert copy(100, 0xFFFFFFFC) == 8
        assert mem.read(96, 1) == b"\x08"
        assert copy(100, 4) == 8  # no wrap
        assert mem.read(104, 1) == b"\x08"
        # Out of range with or without wrapping: a trap, nothing written.
        for p, d in ((65000, 65536), (100, 0xFFFFFF00), (0, 0xFFFFFFFF)):
            with pytest.raises(Trap) as info:
                copy(p, d)
            assert info.value.kind is TrapKind.MEMORY_OUT_OF_BOUNDS
        assert copy(300, 0xFFFFFF00) == 1  # 300 - 256 = 44: wraps into range
        assert mem.read(44, 1) == b"\x01"


ZERO_LOCALS = """
(module
  (func (export "f") (param $p i32) (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $i i32) (local $e i32)
    ;; $a: set in one arm, read after the if
    (if (local.get $p) (then (local.set $a (i32.const 5))))
    ;; $b: read in a loop before the set that follows it
    (loop $l
      (local.set $c (i32.add (local.get $c) (local.get $b)))
      (local.set $b (i32.const 7))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 2))))
    ;; $d: set in a block after a branch out of it
    (block $out
      (br_if $out (local.get $p))
      (local.set $d (i32.const 100)))
    ;; $e: set before every read, inside a block
    (block
      (local.set $e (i32.add (local.get $p) (i32.const 1000)))
      (local.set $d (i32.add (local.get $d) (local.get $e))))
    (i32.add (i32.add (local.get $a) (local.get $c)) (local.get $d))))
"""


def test_locals_read_before_any_set_start_at_zero() -> None:
    (src,) = _sources_of(wat(ZERO_LOCALS))
    head = src.split("\n    if ")[0]
    assert "l2 = 0" in head and "l5 = 0" in head  # read before set
    assert "l6 = 0" not in head  # $e: set first on every path
    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        f = rt.instantiate(wat(ZERO_LOCALS)).exported_function("f")
        assert f(1) == 5 + 7 + (0 + 1001)  # $c = 0 + 7; $d skipped
        assert f(0) == 0 + 7 + (100 + 1000)


def _sources_of(wasm: bytes) -> list[str]:
    from wasmzero.internal.binary.decoder import decode_module
    from wasmzero.internal.engine.compiler.translate import ModuleContext, translate_function

    ctx = ModuleContext.of(decode_module(wasm))
    return [translate_function(ctx, i) for i in range(ctx.num_imported_funcs, len(ctx.func_types))]


def test_short_lived_importers_of_a_memory_are_forgotten() -> None:
    import gc

    with Runtime(RuntimeConfig(engine="compiler")) as rt:
        a = rt.instantiate(wat(VIEWS), ModuleConfig(name="a"))
        user = rt.compile_module(wat(USER))
        mi = a.exported_memory("mem")._mi
        for _ in range(300):
            b = rt.instantiate_module(user, ModuleConfig(name=""))
            b.close()
            del b
            gc.collect()
        assert len(mi.users) < 70
        assert a.exported_function("grow")(1) == 1  # views rebound for the living
        b = rt.instantiate_module(user, ModuleConfig(name=""))
        a.exported_function("put")(7, 1.0)
        assert b.exported_function("get")() == 7
