"""Function and memory definitions of a decoded module, for the public API
(``CompiledModule.exported_functions`` and friends)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

from ...api import FunctionDefinition, MemoryDefinition
from ..printable import printable
from .module import Module
from .types import EXTERN_FUNC, EXTERN_MEMORY, FuncType, valtype_name


def _export_names(module: Module, kind: int) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for e in module.exports:
        if e.kind == kind:
            out.setdefault(e.index, []).append(e.name)
    return {k: tuple(v) for k, v in out.items()}


class FunctionDefinitions(Sequence[FunctionDefinition]):
    """A definition for every function in a module's index space, each made
    when first asked for (a large module's run asks for a few)."""

    __slots__ = ("_module", "_made", "_types", "_imports", "_exports", "_mod_name")

    def __init__(self, module: Module) -> None:
        self._module = module
        self._types = module.func_types()
        self._made: list[FunctionDefinition | None] = [None] * len(self._types)
        self._imports = [i for i in module.imports if i.kind == EXTERN_FUNC]
        self._exports = _export_names(module, EXTERN_FUNC)
        self._mod_name = module.names.module or ""

    def __len__(self) -> int:
        return len(self._made)

    @overload
    def __getitem__(self, index: int) -> FunctionDefinition: ...
    @overload
    def __getitem__(self, index: slice) -> list[FunctionDefinition]: ...
    def __getitem__(self, index: int | slice) -> FunctionDefinition | list[FunctionDefinition]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self._made))[index]]
        d = self._made[index]
        if d is None:
            d = self._made[index] = self._make(index % len(self._made))
        return d

    def imported(self) -> list[FunctionDefinition]:
        return [self[i] for i in range(len(self._imports))]

    def _make(self, index: int) -> FunctionDefinition:
        module, ft = self._module, self._types[index]
        imp = self._imports[index] if index < len(self._imports) else None
        name = module.names.functions.get(index, "")
        if imp is not None:
            debug = f"{printable(imp.module)}.{printable(imp.name)}"
        else:
            mod = printable(self._mod_name)
            debug = f"{mod}.{printable(name)}" if name else f"{mod}.${index}"
        local_names = module.names.locals.get(index, {})
        return FunctionDefinition(
            module_name=self._mod_name,
            index=index,
            import_=(imp.module, imp.name) if imp is not None else None,
            export_names=self._exports.get(index, ()),
            name=name,
            debug_name=debug,
            param_types=tuple(valtype_name(t) for t in ft.params),
            result_types=tuple(valtype_name(t) for t in ft.results),
            param_names=tuple(local_names.get(i, "") for i in range(len(ft.params))),
            result_names=("",) * len(ft.results),
        )


def host_function_definition(
    module_name: str,
    index: int,
    name: str,
    ft: FuncType,
    param_names: tuple[str, ...],
    result_names: tuple[str, ...],
) -> FunctionDefinition:
    return FunctionDefinition(
        module_name=module_name,
        index=index,
        import_=None,
        export_names=(name,),
        name=name,
        debug_name=f"{printable(module_name)}.{printable(name)}",
        param_types=tuple(valtype_name(t) for t in ft.params),
        result_types=tuple(valtype_name(t) for t in ft.results),
        param_names=param_names or ("",) * len(ft.params),
        result_names=result_names or ("",) * len(ft.results),
        is_host=True,
    )


def memory_definitions(module: Module) -> list[MemoryDefinition]:
    mod_name = module.names.module or ""
    exports = _export_names(module, EXTERN_MEMORY)
    imports = [i for i in module.imports if i.kind == EXTERN_MEMORY]
    out = []
    for index, mt in enumerate(module.all_memories()):
        imp = imports[index] if index < len(imports) else None
        out.append(
            MemoryDefinition(
                module_name=mod_name,
                index=index,
                import_=(imp.module, imp.name) if imp is not None else None,
                export_names=exports.get(index, ()),
                min_pages=mt.limits.min,
                max_pages=mt.limits.max,
            )
        )
    return out
