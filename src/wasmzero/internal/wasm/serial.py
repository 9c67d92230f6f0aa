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

FORMAT = 2

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


class _LazyCode(_m.Code):
    """A function body read back from the cache: its instruction list stays
    marshalled until something reads ``body`` (a cached run translates
    nothing, so most bodies are never unmarshalled: a tenth of its
    start-up)."""

    def __init__(self, locals: tuple[int, ...], blob: bytes, offset: int, size: int) -> None:
        self.locals = locals
        self.offset = offset
        self.size = size
        self._blob = blob

    def __getattr__(self, name: str) -> Any:
        if name != "body":
            raise AttributeError(name)
        body = marshal.loads(self._blob)  # bytes this module wrote (see _enc)
        if type(body) is not list:
            raise TypeError("corrupt cached function body")
        self.body = body
        del self._blob
        return body

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _m.Code):
            return NotImplemented
        fields = _FIELDS["Code"]
        return all(getattr(self, f) == getattr(other, f) for f in fields)

    __hash__ = None  # type: ignore[assignment]


def _enc(x: Any) -> Any:
    if isinstance(x, _PLAIN):
        return x
    t = type(x)
    if t is _m.Code or t is _LazyCode:
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
                return _LazyCode(_dec(locals_), blob, offset, size)
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
