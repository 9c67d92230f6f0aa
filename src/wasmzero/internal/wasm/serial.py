"""A decoded and validated :class:`~.module.Module` as plain data (tuples,
lists, dicts, ints, strings, bytes), for the disk cache's ``marshal``.

Only the module model's own classes are rebuilt; anything else in the data
makes :func:`module_from_data` return None (the cache then decodes again).
"""

from __future__ import annotations

import marshal
from typing import Any

from . import module as _m
from . import types as _t

FORMAT = 3

_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        _t.FuncType,
        _t.Limits,
        _t.TableType,
        _t.MemoryType,
        _t.GlobalType,
        _m.Import,
        _m.Export,
        _m.Global,
        _m.ElementSegment,
        _m.DataSegment,
        _m.Code,
        _m.NameSection,
        _m.CustomSection,
        _m.Module,
        _m.FuncInfo,
    )
}
_FIELDS: dict[str, tuple[str, ...]] = {
    name: cls.__record_fields__  # type: ignore[attr-defined]
    for name, cls in _CLASSES.items()
}
_PLAIN = (int, str, bytes, float, bool, type(None))
_TAG = "\x00dc"


def _is_code(x: list) -> bool:
    """An instruction list: ``(op, imm, offset)`` tuples of plain values,
    which marshal keeps as they are."""
    return bool(x) and type(x[0]) is tuple and len(x[0]) == 3 and type(x[0][0]) is int


def _unmarshal_body(blob: bytes) -> Any:
    """A body read back from the cache stays marshalled until something
    reads it (a cached run translates nothing, so most bodies are never
    unmarshalled: a tenth of its start-up)."""

    def load() -> list:
        body = marshal.loads(blob)  # bytes this module wrote (see _enc)
        if type(body) is not list:
            raise TypeError("corrupt cached function body")
        return body

    return load


def _enc(x: Any) -> Any:
    if isinstance(x, _PLAIN):
        return x
    t = type(x)
    if t is _m.Code or t is _m.LazyCode:
        return (_TAG, "code", (_enc(x.locals), marshal.dumps(x.body), x.offset, x.size))
    if t is tuple:
        return tuple([_enc(v) for v in x])
    if t is list:
        if _is_code(x):
            return x
        return [_enc(v) for v in x]
    if t is dict:
        return {k: _enc(v) for k, v in x.items()}
    if t is frozenset:
        return (_TAG, "frozenset", tuple(x))
    name = t.__name__
    if _CLASSES.get(name) is not t:
        raise TypeError(f"cannot serialize {name}")
    return (_TAG, name, tuple([_enc(getattr(x, f)) for f in _FIELDS[name]]))


def _dec(x: Any) -> Any:
    if isinstance(x, _PLAIN):
        return x
    t = type(x)
    if t is tuple:
        if len(x) == 3 and x[0] == _TAG:
            name = x[1]
            if name == "frozenset":
                return frozenset(x[2])
            if name == "code":
                locals_, blob, offset, size = x[2]
                if type(blob) is not bytes:
                    raise TypeError("code body")
                return _m.LazyCode(_dec(locals_), offset, size, _unmarshal_body(blob))
            cls = _CLASSES[name]
            if len(x[2]) != len(_FIELDS[name]):
                raise ValueError(f"{name}: {len(x[2])} fields")
            return cls(*[_dec(v) for v in x[2]])
        return tuple([_dec(v) for v in x])
    if t is list:
        if _is_code(x):
            return x
        return [_dec(v) for v in x]
    if t is dict:
        return {k: _dec(v) for k, v in x.items()}
    raise TypeError(f"unexpected {t.__name__}")


def module_to_data(module: _m.Module) -> Any:
    return (FORMAT, _enc(module))


def module_from_data(data: Any) -> _m.Module | None:
    try:
        fmt, body = data
        if fmt != FORMAT:
            return None
        module = _dec(body)
    except (TypeError, ValueError, KeyError, IndexError):
        return None
    return module if isinstance(module, _m.Module) else None
