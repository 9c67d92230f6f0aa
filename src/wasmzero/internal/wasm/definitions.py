"""Function and memory definitions of a decoded module, for the public API
(``CompiledModule.exported_functions`` and friends)."""

from __future__ import annotations

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


def function_definitions(module: Module) -> list[FunctionDefinition]:
    """A definition for every function in the index space."""
    mod_name = module.names.module or ""
    exports = _export_names(module, EXTERN_FUNC)
    types = module.func_types()
    imports = [i for i in module.imports if i.kind == EXTERN_FUNC]
    out = []
    for index, ft in enumerate(types):
        imp = imports[index] if index < len(imports) else None
        name = module.names.functions.get(index, "")
        if imp is not None:
            debug = f"{printable(imp.module)}.{printable(imp.name)}"
        else:
            mod = printable(mod_name)
            debug = f"{mod}.{printable(name)}" if name else f"{mod}.${index}"
        local_names = module.names.locals.get(index, {})
        out.append(
            FunctionDefinition(
                module_name=mod_name,
                index=index,
                import_=(imp.module, imp.name) if imp is not None else None,
                export_names=exports.get(index, ()),
                name=name,
                debug_name=debug,
                param_types=tuple(valtype_name(t) for t in ft.params),
                result_types=tuple(valtype_name(t) for t in ft.results),
                param_names=tuple(local_names.get(i, "") for i in range(len(ft.params))),
                result_names=("",) * len(ft.results),
            )
        )
    return out


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
