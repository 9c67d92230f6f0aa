"""The runtime: compiles binary modules once and instantiates them many times.

Ex.::

    with Runtime() as rt:
        mod = rt.instantiate(wasm_bytes)
        print(mod.exported_function("add")(1, 2))

See https://webassembly.github.io/spec/core/exec/modules.html
"""

from __future__ import annotations

import itertools
from typing import Any

from .config import ModuleConfig, RuntimeConfig
from .errors import ExitError, InstantiationError
from .internal.binary.decoder import decode_module
from .internal.engine import ENGINES
from .internal.sys import SysContext
from .internal.wasm.instance import (
    create_definitions,
    init_segments,
    invoke,
    resolve_imports,
)
from .internal.wasm.module import Module as _Module
from .internal.wasm.store import (
    FunctionInstance,
    GlobalInstance,
    MemoryInstance,
    ModuleInstance,
    Store,
    TableInstance,
)
from .internal.wasm.types import EXTERN_FUNC, EXTERN_GLOBAL, EXTERN_MEMORY, EXTERN_TABLE
from .internal.wasm.validation import validate_module
from .internal.wasm.values import FROM_RAW, TO_RAW, describe, raw_results

__all__ = ["Runtime", "CompiledModule", "Module", "Function", "Global", "Memory", "Table"]

_anon = itertools.count()


class CompiledModule:
    """A decoded, validated module and its engine code; instantiate it any
    number of times with :meth:`Runtime.instantiate_module`."""

    def __init__(self, module: _Module, code: Any) -> None:
        self._module = module
        self._code = code
        self.name: str | None = module.names.module

    @property
    def custom_sections(self) -> dict[str, bytes]:
        return {c.name: c.data for c in self._module.custom_sections}


class Function:
    """An exported (or host) function, callable from Python."""

    __slots__ = ("_fi", "_params", "_results", "_to", "_from")

    def __init__(self, fi: FunctionInstance) -> None:
        self._fi = fi
        self._params = fi.type.params
        self._results = fi.type.results
        self._to = [TO_RAW[t] for t in self._params]
        self._from = [FROM_RAW[t] for t in self._results]

    def __call__(self, *args: Any) -> Any:
        """Call with Python values; i32/i64 results come back signed; one
        result is returned bare, several as a tuple, none as None."""
        if len(args) != len(self._params):
            raise TypeError(
                f"{self._fi.debug_name()} takes {describe(self._params)}, got {len(args)} arguments"
            )
        raw = [conv(a) for conv, a in zip(self._to, args, strict=True)]
        out = raw_results(invoke(self._fi.fn, raw), len(self._results))
        vals = [conv(v) for conv, v in zip(self._from, out, strict=True)]
        if not vals:
            return None
        return vals[0] if len(vals) == 1 else tuple(vals)

    def call_with_stack(self, stack: list[Any]) -> list[Any]:
        """The raw path: arguments and results in the runtime representation
        (i32/i64 unsigned ints, floats, v128 ints, references)."""
        self._check_open()
        return raw_results(invoke(self._fi.fn, stack), len(self._results))

    def _check_open(self) -> None:
        mod = self._fi.module
        if mod is not None and mod.closed:
            raise ExitError(mod.exit_code or 0)


class Global:
    """An exported global."""

    def __init__(self, gi: GlobalInstance) -> None:
        self._gi = gi

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
            raise AttributeError("global is immutable")
        self._gi.value = TO_RAW[self._gi.type.val_type](v)


class Memory:
    """An exported memory."""

    def __init__(self, mi: MemoryInstance) -> None:
        self._mi = mi

    @property
    def size(self) -> int:
        return len(self._mi.data)

    def grow(self, pages: int) -> int:
        return self._mi.grow(pages)

    def read(self, offset: int, n: int) -> bytes:
        data = self._mi.data
        if offset < 0 or n < 0 or offset + n > len(data):
            raise IndexError(f"read of {n} bytes at {offset} is out of range")
        return bytes(data[offset : offset + n])

    def write(self, offset: int, data: bytes) -> None:
        mem = self._mi.data
        if offset < 0 or offset + len(data) > len(mem):
            raise IndexError(f"write of {len(data)} bytes at {offset} is out of range")
        mem[offset : offset + len(data)] = data


class Table:
    """An exported table."""

    def __init__(self, ti: TableInstance) -> None:
        self._ti = ti

    @property
    def size(self) -> int:
        return len(self._ti.elements)


class Module:
    """An instantiated module."""

    def __init__(self, runtime: Runtime, inst: ModuleInstance) -> None:
        self._runtime = runtime
        self._inst = inst

    @property
    def name(self) -> str:
        return self._inst.name

    def _export(self, name: str, kind: int) -> Any:
        e = self._inst.exports.get(name)
        if e is None or e[0] != kind:
            return None
        return e[1]

    def exported_function(self, name: str) -> Function | None:
        fi = self._export(name, EXTERN_FUNC)
        return Function(fi) if fi is not None else None

    def exported_global(self, name: str) -> Global | None:
        gi = self._export(name, EXTERN_GLOBAL)
        return Global(gi) if gi is not None else None

    def exported_memory(self, name: str) -> Memory | None:
        mi = self._export(name, EXTERN_MEMORY)
        return Memory(mi) if mi is not None else None

    def exported_table(self, name: str) -> Table | None:
        ti = self._export(name, EXTERN_TABLE)
        return Table(ti) if ti is not None else None

    @property
    def memory(self) -> Memory | None:
        return Memory(self._inst.memories[0]) if self._inst.memories else None

    @property
    def is_closed(self) -> bool:
        return self._inst.closed

    def close(self, exit_code: int = 0) -> None:
        inst = self._inst
        if not inst.closed:
            inst.closed = True
            inst.exit_code = exit_code
            self._runtime._forget(inst)


class Runtime:
    """Compiles and instantiates modules; closing it closes every module it
    made."""

    def __init__(self, config: RuntimeConfig | None = None) -> None:
        self.config = config or RuntimeConfig()
        engine = ENGINES.get(self.config.engine)
        if engine is None:
            raise ValueError(f"unknown engine {self.config.engine!r}; available: {sorted(ENGINES)}")
        self._engine = engine()
        self._store = Store()
        self._modules: list[Module] = []
        self._aliases: dict[str, ModuleInstance] = {}

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def compile_module(self, data: bytes) -> CompiledModule:
        """Decode and validate ``data`` (``DecodeError``, ``ValidationError``)."""
        features = self.config.features
        module = decode_module(bytes(data), features)
        validate_module(module, features)
        return CompiledModule(module, self._engine.compile(module))

    def instantiate_module(
        self, compiled: CompiledModule, config: ModuleConfig | None = None
    ) -> Module:
        """Link, instantiate and run start functions. Raises ``LinkError``,
        ``Trap`` (a trapping segment or start function), or
        ``InstantiationError`` (a name already in use)."""
        config = config or ModuleConfig()
        name = config.name
        if name and name in self._store.modules:
            raise InstantiationError(f"module[{name}] has already been instantiated")
        module = compiled._module
        inst = ModuleInstance(name)
        inst.sys = SysContext(config)
        result = Module(self, inst)
        inst.api = result
        resolve_imports(self._store, module, inst)
        inst_ref = [inst]
        code = compiled._code
        create_definitions(
            module, inst, self.config.memory_limit_pages, code.stub_factory(inst_ref)
        )
        segments = _segments()
        code.instantiate(inst, segments)
        init_segments(module, inst, segments)
        if module.start is not None:
            invoke(inst.functions[module.start].fn, ())
        for start in config.start_functions:
            fn = result.exported_function(start)
            if fn is not None:
                fn.call_with_stack([])
        if name:
            self._store.register(name, inst)
        self._modules.append(result)
        return result

    def instantiate(self, data: bytes, config: ModuleConfig | None = None) -> Module:
        return self.instantiate_module(self.compile_module(data), config)

    def register(self, module: Module, name: str) -> None:
        """Make ``module`` importable under another module name as well."""
        self._store.register(name, module._inst)

    def module(self, name: str) -> Module | None:
        for m in self._modules:
            if m.name == name and not m.is_closed:
                return m
        return None

    def host_module(self, name: str) -> Any:
        from .builder import HostModuleBuilder

        return HostModuleBuilder(self, name)

    def _add_host(self, inst: ModuleInstance) -> Module:
        if inst.name:
            self._store.register(inst.name, inst)
        mod = Module(self, inst)
        self._modules.append(mod)
        return mod

    def _forget(self, inst: ModuleInstance) -> None:
        for name, other in list(self._store.modules.items()):
            if other is inst:
                self._store.unregister(name, inst)

    def close(self, exit_code: int = 0) -> None:
        for m in self._modules:
            m.close(exit_code)
        self._modules.clear()


def _segments() -> Any:
    from .internal.engine.compiler.engine import Segments

    return Segments()
