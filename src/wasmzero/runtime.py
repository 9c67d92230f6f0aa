"""The runtime: compiles binary modules once and instantiates them many times.

Ex.::

    with Runtime() as rt:
        mod = rt.instantiate(wasm_bytes)
        print(mod.exported_function("add")(1, 2))

See https://webassembly.github.io/spec/core/exec/modules.html
"""

from __future__ import annotations

import itertools
import struct
from typing import Any

from .api import CoreFeatures, FunctionDefinition, MemoryDefinition
from .config import ModuleConfig, RuntimeConfig
from .errors import ExitError, InstantiationError
from .internal.engine import ENGINES
from .internal.engine.limits import Fuel, TranslateOptions
from .internal.interrupt import ActiveCalls, closed_error, deadline
from .internal.printable import printable
from .internal.sys import SysContext
from .internal.wasm.definitions import FunctionDefinitions, memory_definitions
from .internal.wasm.instance import (
    WASM_STACK_FRAMES,
    create_definitions,
    init_segments,
    invoke,
    resolve_imports,
)
from .internal.wasm.module import Module as _Module
from .internal.wasm.serial import module_from_data, module_to_data
from .internal.wasm.store import (
    FunctionInstance,
    GlobalInstance,
    MemoryBudget,
    MemoryInstance,
    ModuleInstance,
    Store,
    TableInstance,
)
from .internal.wasm.types import (
    EXTERN_FUNC,
    EXTERN_GLOBAL,
    EXTERN_MEMORY,
    EXTERN_TABLE,
    FUNCREF,
    valtype_name,
)
from .internal.wasm.values import FROM_RAW, TO_RAW, args_converter, check_raw, describe

__all__ = ["Runtime", "CompiledModule", "Module", "Function", "Global", "Memory", "Table"]

_anon = itertools.count()


class CompiledModule:
    """A decoded, validated module and its engine code; instantiate it any
    number of times with :meth:`Runtime.instantiate_module`.

    Attributes:
        name: the module name from the name section, or None.
    """

    def __init__(self, module: _Module, code: Any, keep_custom: bool = False) -> None:
        self._module = module
        self._code = code
        self._keep_custom = keep_custom
        self._functions: FunctionDefinitions | None = None
        self.name: str | None = module.names.module
        self.closed = False

    def _defs(self) -> FunctionDefinitions:
        if self._functions is None:
            self._functions = FunctionDefinitions(self._module)
        return self._functions

    @property
    def imported_functions(self) -> list[FunctionDefinition]:
        """Definitions of the imported functions, in import order."""
        return self._defs().imported()

    @property
    def exported_functions(self) -> dict[str, FunctionDefinition]:
        """Export name -> definition, in export order."""
        defs = self._defs()
        return {e.name: defs[e.index] for e in self._module.exports if e.kind == EXTERN_FUNC}

    @property
    def imported_memories(self) -> list[MemoryDefinition]:
        return [d for d in memory_definitions(self._module) if d.import_ is not None]

    @property
    def exported_memories(self) -> dict[str, MemoryDefinition]:
        defs = memory_definitions(self._module)
        return {e.name: defs[e.index] for e in self._module.exports if e.kind == EXTERN_MEMORY}

    @property
    def custom_sections(self) -> dict[str, bytes]:
        """Custom sections by name (the last one wins for repeated names);
        empty unless ``RuntimeConfig(custom_sections=True)``."""
        if not self._keep_custom:
            return {}
        return {c.name: bytes(c.data) for c in self._module.custom_sections}

    def close(self) -> None:
        """Release nothing that instances need; further instantiation is
        refused."""
        self.closed = True


def _definition_of(fi: FunctionInstance) -> FunctionDefinition | None:
    mod = fi.module
    if mod is not None and fi.index < len(mod.definitions):
        return mod.definitions[fi.index]
    return None


class Function:
    """An exported (or host) function, callable from Python.

    ``f(*args)`` takes Python values (ints signed or unsigned in range,
    floats, None/objects for references) and returns i32/i64 results signed,
    one result bare, several as a tuple, none as None.
    ``f.call_with_stack(list)`` is the raw fast path.
    """

    __slots__ = ("_fi", "_params", "_results", "_to", "_from", "_nres", "_conv", "_depth", "_calls")

    def __init__(self, fi: FunctionInstance) -> None:
        self._fi = fi
        self._depth = fi.module.max_call_depth if fi.module is not None else WASM_STACK_FRAMES
        self._calls = fi.module.calls if fi.module is not None else None
        self._params = fi.type.params
        self._results = fi.type.results
        self._to = [TO_RAW[t] for t in self._params]
        self._from = [FROM_RAW[t] for t in self._results]
        self._nres = len(self._results)
        self._conv = args_converter(self._params)

    @property
    def definition(self) -> FunctionDefinition | None:
        return _definition_of(self._fi)

    def __repr__(self) -> str:
        return f"<wasmzero.Function {self._fi.debug_name()} {describe(self._params)} -> {describe(self._results)}>"

    def __call__(self, *args: Any) -> Any:
        """Call with Python values; see the class documentation."""
        fi = self._fi
        mod = fi.module
        if mod is not None and mod.closed:
            raise ExitError(mod.exit_code or 0)
        to = self._to
        if len(args) != len(to):
            raise TypeError(
                f"{fi.debug_name()} takes {describe(self._params)}, got {len(args)} arguments"
            )
        conv = self._conv
        if conv is not None:
            try:
                args = conv(args)
            except TypeError as e:
                raise TypeError(f"{fi.debug_name()} takes {describe(self._params)}: {e}") from None
        calls = self._calls
        if calls is None:
            out = invoke(fi.fn, args, self._depth)
        else:
            out = calls.run(mod, invoke, fi.fn, args, self._depth)
        n = self._nres
        if n == 0:
            return None
        if n == 1:
            return self._from[0](out)
        return tuple(conv(v) for conv, v in zip(self._from, out, strict=True))

    def call_with_stack(self, stack: list[Any]) -> list[Any]:
        """The raw path: arguments and results in the runtime representation
        (i32/i64 unsigned ints, floats, v128 ints, references)."""
        fi = self._fi
        mod = fi.module
        if mod is not None and mod.closed:
            raise ExitError(mod.exit_code or 0)
        if len(stack) != len(self._to):
            raise TypeError(
                f"{fi.debug_name()} takes {describe(self._params)}, got {len(stack)} values"
            )
        calls = self._calls
        if calls is None:
            out = invoke(fi.fn, stack, self._depth)
        else:
            out = calls.run(mod, invoke, fi.fn, stack, self._depth)
        n = self._nres
        if n == 1:
            return [out]
        return [] if n == 0 else list(out)


def function_of(fi: FunctionInstance) -> Function:
    """The one :class:`Function` wrapper of ``fi`` (made on first use)."""
    f = fi.api
    if f is None:
        f = fi.api = Function(fi)
    return f


class Global:
    """An exported global. ``value`` reads and (when mutable) writes it with
    Python values; ``get_raw`` gives the runtime representation."""

    def __init__(self, gi: GlobalInstance, name: str = "") -> None:
        self._gi = gi
        self._name = name

    @property
    def type(self) -> str:
        return valtype_name(self._gi.type.val_type)

    @property
    def mutable(self) -> bool:
        return self._gi.type.mutable

    def get_raw(self) -> Any:
        return self._gi.value

    @property
    def value(self) -> Any:
        return FROM_RAW[self._gi.type.val_type](self._gi.value)

    @value.setter
    def value(self, v: Any) -> None:
        if not self._gi.type.mutable:
            raise AttributeError(f"global {self._name!r} is immutable")
        try:
            self._gi.value = TO_RAW[self._gi.type.val_type](v)
        except TypeError as e:
            raise TypeError(f"global {self._name!r} ({self.type}): {e}") from None

    def set_raw(self, v: Any) -> None:
        """Write the runtime representation (i32/i64 as unsigned ints, as
        :meth:`get_raw` returns them), checked like :attr:`value`."""
        if not self._gi.type.mutable:
            raise AttributeError(f"global {self._name!r} is immutable")
        try:
            self._gi.value = check_raw(self._gi.type.val_type, v)
        except TypeError as e:
            raise TypeError(f"global {self._name!r} ({self.type}): {e}") from None


_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_I32 = struct.Struct("<i")
_I64 = struct.Struct("<q")
_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")


class Memory:
    """A linear memory. Offsets are byte offsets; every accessor raises
    ``IndexError`` when the access does not fit."""

    def __init__(self, mi: MemoryInstance) -> None:
        self._mi = mi

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self._mi.data)

    @property
    def pages(self) -> int:
        """Size in 64 KiB pages."""
        return len(self._mi.data) >> 16

    def grow(self, pages: int) -> int:
        """Grow by ``pages``; the previous size in pages, or -1 when the
        memory's maximum or the runtime's limit would be exceeded."""
        if pages < 0:
            raise ValueError("pages must be >= 0")
        return self._mi.grow(pages)

    def _check(self, offset: int, n: int) -> None:
        if offset < 0 or n < 0 or offset + n > len(self._mi.data):
            raise IndexError(
                f"{n} bytes at offset {offset} are out of range (memory size {len(self._mi.data)})"
            )

    def read(self, offset: int, n: int) -> bytes:
        self._check(offset, n)
        return bytes(self._mi.data[offset : offset + n])

    def write(self, offset: int, data: bytes) -> None:
        self._check(offset, len(data))
        self._mi.data[offset : offset + len(data)] = data

    def view(self) -> memoryview:
        """A writable memoryview of the whole memory, without copying.

        While a view exists the memory cannot grow (``memory.grow`` returns
        -1), and a view taken before a grow does not see the new pages:
        release it promptly (``with mem.view() as v: ...``).
        """
        return memoryview(self._mi.data)

    def _read(self, s: struct.Struct, offset: int) -> Any:
        self._check(offset, s.size)
        return s.unpack_from(self._mi.data, offset)[0]

    def _write(self, s: struct.Struct, offset: int, v: Any) -> None:
        self._check(offset, s.size)
        try:
            s.pack_into(self._mi.data, offset, v)
        except struct.error as e:
            raise ValueError(f"{v!r} does not fit: {e}") from None

    def read_u8(self, offset: int) -> int:
        return self._read(_U8, offset)

    def read_u16(self, offset: int) -> int:
        return self._read(_U16, offset)

    def read_u32(self, offset: int) -> int:
        return self._read(_U32, offset)

    def read_u64(self, offset: int) -> int:
        return self._read(_U64, offset)

    def read_i32(self, offset: int) -> int:
        return self._read(_I32, offset)

    def read_i64(self, offset: int) -> int:
        return self._read(_I64, offset)

    def read_f32(self, offset: int) -> float:
        return self._read(_F32, offset)

    def read_f64(self, offset: int) -> float:
        return self._read(_F64, offset)

    def write_u8(self, offset: int, v: int) -> None:
        self._write(_U8, offset, v)

    def write_u16(self, offset: int, v: int) -> None:
        self._write(_U16, offset, v)

    def write_u32(self, offset: int, v: int) -> None:
        self._write(_U32, offset, v)

    def write_u64(self, offset: int, v: int) -> None:
        self._write(_U64, offset, v)

    def write_i32(self, offset: int, v: int) -> None:
        self._write(_I32, offset, v)

    def write_i64(self, offset: int, v: int) -> None:
        self._write(_I64, offset, v)

    def write_f32(self, offset: int, v: float) -> None:
        self._write(_F32, offset, v)

    def write_f64(self, offset: int, v: float) -> None:
        self._write(_F64, offset, v)


class Table:
    """A table of references: ``None`` is null; function references are
    :class:`Function` objects on the Python side."""

    def __init__(self, ti: TableInstance) -> None:
        self._ti = ti

    @property
    def size(self) -> int:
        return len(self._ti.elements)

    @property
    def elem_type(self) -> str:
        return valtype_name(self._ti.elem_type)

    def _check(self, i: int) -> None:
        if not 0 <= i < len(self._ti.elements):
            raise IndexError(f"table index {i} out of range (size {len(self._ti.elements)})")

    def get(self, i: int) -> Any:
        self._check(i)
        v = self._ti.elements[i]
        if isinstance(v, FunctionInstance):
            return function_of(v)
        return v

    def _raw(self, v: Any) -> Any:
        if self._ti.elem_type == FUNCREF:
            if v is None:
                return None
            if isinstance(v, Function):
                return v._fi
            raise TypeError("a funcref table holds Function objects or None")
        return v

    def set(self, i: int, v: Any) -> None:
        self._check(i)
        self._ti.elements[i] = self._raw(v)

    def grow(self, n: int, init: Any = None) -> int:
        """Grow by ``n`` entries set to ``init``; the previous size or -1."""
        if n < 0:
            raise ValueError("n must be >= 0")
        return self._ti.grow(n, self._raw(init))


class Module:
    """An instantiated module. Not safe for concurrent calls from several
    threads: the guest's memory, globals and tables are shared by the calls
    with no synchronisation (see :class:`Runtime`)."""

    def __init__(self, runtime: Runtime, inst: ModuleInstance) -> None:
        self._runtime = runtime
        self._inst = inst

    def __repr__(self) -> str:
        return f"<wasmzero.Module {self._inst.name!r}>"

    @property
    def name(self) -> str:
        """The name given in its :class:`ModuleConfig`, else the module's own
        name from its name section (as wazero names it), else ``""``. Only a
        name from the config registers the instance for imports."""
        inst = self._inst
        return inst.name or inst.module_name or ""

    @property
    def fuel(self) -> Fuel | None:
        """Its fuel meter when the runtime meters fuel (``RuntimeConfig.fuel``),
        else None: ``remaining``, ``consumed``, ``set(n)`` and ``add(n)``."""
        return self._inst.fuel

    def _export(self, name: str, kind: int) -> Any:
        e = self._inst.exports.get(name)
        if e is None or e[0] != kind:
            return None
        return e[1]

    def exported_function(self, name: str) -> Function | None:
        fi = self._export(name, EXTERN_FUNC)
        return function_of(fi) if fi is not None else None

    @property
    def exported_functions(self) -> dict[str, FunctionDefinition]:
        """Export name -> definition."""
        out = {}
        for name, (kind, fi) in self._inst.exports.items():
            if kind == EXTERN_FUNC:
                d = _definition_of(fi)
                if d is not None:
                    out[name] = d
        return out

    def exported_global(self, name: str) -> Global | None:
        gi = self._export(name, EXTERN_GLOBAL)
        return Global(gi, name) if gi is not None else None

    def exported_memory(self, name: str) -> Memory | None:
        mi = self._export(name, EXTERN_MEMORY)
        return Memory(mi) if mi is not None else None

    def exported_table(self, name: str) -> Table | None:
        ti = self._export(name, EXTERN_TABLE)
        return Table(ti) if ti is not None else None

    @property
    def memory(self) -> Memory | None:
        """The first memory (imported or defined), or None."""
        return Memory(self._inst.memories[0]) if self._inst.memories else None

    @property
    def is_closed(self) -> bool:
        return self._inst.closed

    @property
    def exit_code(self) -> int | None:
        return self._inst.exit_code

    def close(self, exit_code: int = 0) -> None:
        """Close the module: its exports stop working (calls raise
        ``ExitError(exit_code)``) and its name becomes free."""
        inst = self._inst
        if not inst.closed:
            inst.closed = True
            inst.exit_code = exit_code
            self._runtime._forget(inst)
            if inst.calls is not None:
                # Code of this module running in other threads stops too.
                inst.calls.stop(inst, lambda: closed_error(exit_code))


class Runtime:
    """Compiles and instantiates modules; closing it closes every module it
    made.

    Thread safety (as wazero's): a runtime may be used from many threads at
    once -- compiling, instantiating, closing, and calling different modules;
    each thread's call depth is its own. A :class:`Module` instance is not
    safe for concurrent calls (its memory and globals are shared by them,
    unsynchronised): serialise calls per instance or use one per thread."""

    # The public module type, for the host module builder (host functions
    # whose first parameter is annotated with it receive their caller):
    # handed over here so that builder.py does not import this module.
    _module_type = Module

    def __init__(self, config: RuntimeConfig | None = None) -> None:
        self.config = config or RuntimeConfig()
        engine = ENGINES.get(self.config.engine)
        if engine is None:
            raise ValueError(f"unknown engine {self.config.engine!r}; available: {sorted(ENGINES)}")
        self._engine = engine()
        self._store = Store()
        self._budget = MemoryBudget(self.config.memory_budget)
        # The open modules it made, by instance (a closed one is dropped).
        self._modules: dict[int, Module] = {}
        # Compiled modules whose translations go to a disk cache at close.
        self._persist: dict[str, tuple[Any, _Module, Any]] = {}
        self._aliases: dict[str, ModuleInstance] = {}
        self._closed_with: int | None = None  # the exit code once closed
        # What translated code includes beyond the semantics (fuel charges).
        self._options = TranslateOptions(fuel=self.config.fuel is not None)
        # Running calls, tracked only when they may be stopped.
        cfg = self.config
        self._calls = (
            ActiveCalls(cfg.call_timeout)
            if cfg.interruptible or cfg.call_timeout is not None
            else None
        )

    def deadline(self, seconds: float) -> Any:
        """A context manager: calls into this runtime's modules made from
        this thread inside the block stop with ``Trap(DEADLINE_EXCEEDED)``
        once ``seconds`` have passed (within about 10 ms; a guest blocked
        in a WASI sleep or pipe read wakes too). Needs an interruptible
        runtime (``RuntimeConfig(interruptible=True)``).

        Ex.: ``with rt.deadline(0.5): mod.exported_function("run")()``
        """
        if self._calls is None:
            raise ValueError("deadlines need RuntimeConfig(interruptible=True)")
        return deadline(seconds)

    def _check_open(self) -> None:
        if self._closed_with is not None:
            code = self._closed_with
            raise ExitError(code, f"runtime closed with exit_code({code})")

    @property
    def is_closed(self) -> bool:
        return self._closed_with is not None

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def compile_module(self, data: bytes) -> CompiledModule:
        """Decode and validate ``data`` (``DecodeError``, ``ValidationError``;
        ``ExitError`` once the runtime is closed)."""
        self._check_open()
        config = self.config
        features = config.features
        data = bytes(data)
        cache = config.compilation_cache
        lazy = config.lazy_validation
        options = self._options
        if cache is None:
            module = _decode_and_validate(data, features, lazy)
            return CompiledModule(
                module, self._engine.compile(module, options), config.custom_sections
            )
        key = cache.key(data, features, f"{self._engine.name}/lazy={lazy}{options.key()}")
        entry = cache.get(key)
        if entry is None:
            stored = cache.load_code(key)
            # A disk entry holds the module as decoded and validated (for
            # this exact module, version and features) and the functions
            # translated so far: a hit skips decoding, validation and the
            # translation of those functions.
            restored = module_from_data(stored.get("module")) if stored is not None else None
            module = restored or _decode_and_validate(data, features, lazy)
            code = self._engine.compile(module, options)
            if stored is not None:
                code.preload(stored)
            entry = cache.put(key, (module, code))
        module, code = entry
        if cache._dir is not None:
            self._persist[key] = (cache, module, code)
        return CompiledModule(module, code, config.custom_sections)

    def _save_translations(self) -> None:
        """Add what this runtime's modules translated to their disk cache
        entries (the cache grows with each run: nothing is translated only
        to be stored)."""
        for key, (cache, module, code) in self._persist.items():
            new = code.unsaved()
            extra: dict[Any, Any] = {}
            if not code.module_saved and not module.lazy_bodies:
                extra["module"] = module_to_data(module)
            if new or extra:
                cache.add_code(key, {**new, **extra})
                code.mark_saved(new)
        self._persist.clear()

    def instantiate_module(
        self, compiled: CompiledModule, config: ModuleConfig | None = None
    ) -> Module:
        """Link, instantiate and run start functions. Raises ``LinkError``,
        ``Trap`` (a trapping segment or start function), or
        ``InstantiationError`` (a name already in use); ``ExitError`` once
        the runtime is closed."""
        self._check_open()
        config = config or ModuleConfig()
        name = config.name
        if name and name in self._store.modules:
            raise InstantiationError(f"module[{printable(name)}] has already been instantiated")
        module = compiled._module
        inst = ModuleInstance(name)
        inst.max_call_depth = self.config.max_call_depth
        inst.tier_threshold = self.config.tier_threshold
        inst.calls = self._calls
        inst.table_limit = self.config.table_limit_elements
        if self.config.fuel is not None:
            inst.fuel = Fuel(self.config.fuel)
        if compiled.closed:
            raise InstantiationError("the compiled module is closed")
        inst.sys = SysContext(config)
        inst.definitions = compiled._defs()
        result = Module(self, inst)
        inst.api = result
        resolve_imports(self._store, module, inst)
        inst_ref = [inst]
        code = compiled._code
        create_definitions(
            module, inst, self.config.memory_limit_pages, code.stub_factory(inst_ref), self._budget
        )
        segments = _segments()
        code.instantiate(inst, segments)
        factory = self.config.listener_factory
        if factory is not None:
            from .internal.listen import Listening

            inst.listening = Listening(inst, factory, result.name)
            inst.listening.install()
        init_segments(module, inst, segments, not self.config.features & CoreFeatures.BULK_MEMORY)
        if module.start is not None:
            start_fn = inst.functions[module.start].fn
            if self._calls is None:
                invoke(start_fn, (), inst.max_call_depth)
            else:
                self._calls.run(inst, invoke, start_fn, (), inst.max_call_depth)
        for start in config.start_functions:
            fn = result.exported_function(start)
            if fn is not None:
                try:
                    fn.call_with_stack([])
                except ExitError as e:
                    # A program that exits with code 0 (WASI proc_exit(0))
                    # succeeded: its (closed) module is the result.
                    if e.exit_code != 0:
                        raise
                    break
        if not result.is_closed:
            if name:
                self._store.register(name, inst)
            self._modules[id(inst)] = result
        return result

    def instantiate(self, data: bytes, config: ModuleConfig | None = None) -> Module:
        return self.instantiate_module(self.compile_module(data), config)

    def register(self, module: Module, name: str) -> None:
        """Make ``module`` importable under another module name as well."""
        self._store.register(name, module._inst)

    def module(self, name: str) -> Module | None:
        for m in self._modules.values():
            if m.name == name and not m.is_closed:
                return m
        return None

    def host_module(self, name: str) -> Any:
        self._check_open()
        from .builder import HostModuleBuilder

        return HostModuleBuilder(self, name)

    def _add_host(self, inst: ModuleInstance) -> Module:
        self._check_open()
        inst.max_call_depth = self.config.max_call_depth
        if inst.name:
            self._store.register(inst.name, inst)
        mod = Module(self, inst)
        self._modules[id(inst)] = mod
        return mod

    def _forget(self, inst: ModuleInstance) -> None:
        for name, other in list(self._store.modules.items()):
            if other is inst:
                self._store.unregister(name, inst)
        self._modules.pop(id(inst), None)

    def close(self, exit_code: int = 0) -> None:
        """Close every module this runtime made, and write what was
        translated to the compilation cache's directory (if it has one).
        Afterwards the runtime refuses work: compiling, instantiating and
        building host modules raise ``ExitError`` ("runtime closed with
        exit_code(N)"), as wazero's do. Closing again does nothing."""
        if self._closed_with is not None:
            return
        self._closed_with = exit_code
        for m in list(self._modules.values()):
            m.close(exit_code)
        self._modules.clear()
        self._save_translations()


def _decode_and_validate(data: bytes, features: CoreFeatures, lazy: bool | None) -> _Module:
    # Imported here: a warm disk-cache hit needs neither.
    from .internal.binary.decoder import decode_module
    from .internal.wasm.validation import validate_module

    module = decode_module(data, features, lazy)
    validate_module(module, features)
    return module


def _segments() -> Any:
    from .internal.engine.namespace import Segments

    return Segments()
