"""Plain record classes for the module model: ``__init__``, ``__eq__`` and
``__repr__`` from the class's annotated fields, like ``dataclasses`` but
built with one small ``exec`` per class.

``dataclasses`` costs about half of ``import wasmzero`` (it imports
``inspect`` and generates and recreates each class), which every run of a
program pays; see RATIONALE.md.

Ex.::

    @record
    class Export:
        name: str
        index: int
        offset: int = 0
        extra: list[int] = default_factory(list)

The field names are our own identifiers (never text from a module), so the
generated source is fixed by this package's code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers only: records are typed like dataclasses
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Any:
        return lambda f: f


_MISSING: Any = object()


class default_factory:  # noqa: N801 - used like dataclasses.field(default_factory=...)
    """A field default made afresh for every instance."""

    __slots__ = ("make",)

    def __init__(self, make: Any) -> None:
        self.make = make


@dataclass_transform(field_specifiers=(default_factory,))
def record(cls: type | None = None, *, frozen: bool = False, readonly: bool = False) -> Any:
    """Give ``cls`` an ``__init__`` over its annotated fields (in order,
    positional or keyword; then ``__post_init__`` if the class has one),
    field-wise ``__eq__``, a ``__repr__`` and ``replace(**changes)``.
    ``frozen`` records are also hashable (by their fields); ``readonly``
    ones refuse attribute assignment too (public configuration)."""

    def wrap(cls: type) -> type:
        names = tuple(cls.__dict__.get("__annotations__", {}))
        scope: dict[str, Any] = {"_MISSING": _MISSING, "_set": object.__setattr__}
        assign = "    _set(self, {0!r}, {1})" if readonly else "    self.{0} = {1}"
        params, body = [], []
        for n in names:
            if n in cls.__dict__:
                d = cls.__dict__[n]
                if isinstance(d, default_factory):
                    scope[f"_f_{n}"] = d.make
                    params.append(f"{n}=_MISSING")
                    body.append(assign.format(n, f"_f_{n}() if {n} is _MISSING else {n}"))
                    delattr(cls, n)
                    continue
                scope[f"_d_{n}"] = d
                params.append(f"{n}=_d_{n}")
            else:
                params.append(n)
            body.append(assign.format(n, n))
        if hasattr(cls, "__post_init__"):
            body.append("    self.__post_init__()")
        fields = "".join(f"self.{n}, " for n in names)
        other = "".join(f"other.{n}, " for n in names)
        src = [f"def __init__(self, {', '.join(params)}):", *(body or ["    pass"])]
        src += [
            "def __eq__(self, other):",
            "    if other.__class__ is not self.__class__:",
            "        return NotImplemented",
            f"    return ({fields}) == ({other})",
        ]
        if frozen:
            src += ["def __hash__(self):", f"    return hash(({fields}))"]
        exec("\n".join(src), scope)  # noqa: S102 - our own field names only
        cls.__init__ = scope["__init__"]  # type: ignore[misc]
        cls.__eq__ = scope["__eq__"]  # type: ignore[method-assign]
        cls.__hash__ = scope["__hash__"] if frozen else None  # type: ignore[method-assign,assignment]
        cls.__repr__ = _repr  # type: ignore[method-assign]
        if "replace" not in cls.__dict__:
            cls.replace = replace_fields  # type: ignore[attr-defined]
        if readonly:
            cls.__setattr__ = _readonly  # type: ignore[method-assign,assignment]
            cls.__delattr__ = _readonly  # type: ignore[method-assign,assignment]
        cls.__record_fields__ = names  # type: ignore[attr-defined]
        return cls

    return wrap if cls is None else wrap(cls)


def _repr(self: Any) -> str:
    inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__record_fields__)
    return f"{type(self).__name__}({inner})"


def replace_fields(self: Any, **changes: Any) -> Any:
    """A copy with the given fields changed."""
    kw = {n: getattr(self, n) for n in self.__record_fields__}
    kw.update(changes)
    return type(self)(**kw)


def _readonly(self: Any, name: str, *value: Any) -> None:
    raise AttributeError(f"{type(self).__name__} is read-only: use .replace({name}=...)")
