"""The JavaScript values a ``GOOS=js`` program sees through ``syscall/js``.

Go's ``wasm_exec.js`` runs the program on top of a JavaScript engine; here the
few kinds of value such programs reach in practice are modelled in Python:

- ``undefined`` is :data:`UNDEFINED`, ``null`` is ``None``, booleans are
  ``bool``, numbers are ``float`` (an ``int`` is accepted as a number too),
  strings are ``str``;
- objects are :class:`JSObject` (properties in a dict), with the subclasses
  :class:`JSArray`, :class:`JSUint8Array`, :class:`JSError`, :class:`JSDate`
  and :class:`JSFunction` (callable; :class:`JSClass` also constructs).

A JavaScript exception is the Python exception :class:`JSThrow` carrying the
thrown value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Any = _Undefined()


class JSThrow(Exception):
    """A JavaScript exception in flight; ``value`` is what was thrown."""

    def __init__(self, value: Any) -> None:
        super().__init__(js_string(value))
        self.value = value


class JSObject:
    """A plain JavaScript object: string-keyed properties."""

    __slots__ = ("props",)
    class_name = "Object"

    def __init__(self, props: dict[str, Any] | None = None) -> None:
        self.props: dict[str, Any] = dict(props) if props else {}

    def get(self, key: str) -> Any:
        return self.props.get(key, UNDEFINED)

    def set(self, key: str, value: Any) -> None:
        self.props[key] = value

    def delete(self, key: str) -> None:
        self.props.pop(key, None)

    def get_index(self, i: int) -> Any:
        return self.get(str(i))

    def set_index(self, i: int, value: Any) -> None:
        self.set(str(i), value)

    def to_string(self) -> str:
        return f"[object {self.class_name}]"


class JSArray(JSObject):
    """A JavaScript ``Array``."""

    __slots__ = ("items",)
    class_name = "Array"

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__()
        self.items: list[Any] = list(items)

    def get(self, key: str) -> Any:
        if key == "length":
            return len(self.items)
        if key.isdigit():
            return self.get_index(int(key))
        return super().get(key)

    def set(self, key: str, value: Any) -> None:
        if key == "length":
            n = _array_length(value)
            del self.items[n:]
            self.items.extend([UNDEFINED] * (n - len(self.items)))
        elif key.isdigit():
            self.set_index(int(key), value)
        else:
            super().set(key, value)

    def get_index(self, i: int) -> Any:
        return self.items[i] if 0 <= i < len(self.items) else UNDEFINED

    def set_index(self, i: int, value: Any) -> None:
        if i < 0:
            super().set(str(i), value)
            return
        if i >= len(self.items):
            self.items.extend([UNDEFINED] * (i + 1 - len(self.items)))
        self.items[i] = value

    def to_string(self) -> str:
        return ",".join("" if v is None or v is UNDEFINED else js_string(v) for v in self.items)


class JSUint8Array(JSObject):
    """A JavaScript ``Uint8Array`` over a ``bytearray``."""

    __slots__ = ("data",)
    class_name = "Uint8Array"

    def __init__(self, data: bytearray) -> None:
        super().__init__()
        self.data = data

    def get(self, key: str) -> Any:
        if key in ("length", "byteLength"):
            return len(self.data)
        if key.isdigit():
            return self.get_index(int(key))
        return super().get(key)

    def get_index(self, i: int) -> Any:
        return self.data[i] if 0 <= i < len(self.data) else UNDEFINED

    def set_index(self, i: int, value: Any) -> None:
        if 0 <= i < len(self.data):
            self.data[i] = _to_uint8(value)

    def to_string(self) -> str:
        return ",".join(str(b) for b in self.data)


class JSError(JSObject):
    """A JavaScript ``Error`` (``name``, ``message`` and, for Node's system
    errors, ``code`` such as ``"ENOENT"``)."""

    __slots__ = ()
    class_name = "Error"

    def __init__(self, message: str, name: str = "Error", code: str | None = None) -> None:
        super().__init__({"message": message, "name": name})
        if code is not None:
            self.props["code"] = code

    def to_string(self) -> str:
        return f"{js_string(self.get('name'))}: {js_string(self.get('message'))}"


class JSDate(JSObject):
    """A JavaScript ``Date`` at ``ms`` milliseconds since the epoch; the time
    zone is UTC (the sandbox does not reveal the host's)."""

    __slots__ = ("ms",)
    class_name = "Date"

    def __init__(self, ms: float) -> None:
        super().__init__()
        self.ms = ms
        self.props["getTimezoneOffset"] = JSFunction(lambda this, args: 0, "getTimezoneOffset")
        self.props["getTime"] = JSFunction(lambda this, args: self.ms, "getTime")


class JSFunction(JSObject):
    """A callable JavaScript value; ``fn(this, args)`` returns its result."""

    __slots__ = ("fn", "name")
    class_name = "Function"

    def __init__(self, fn: Callable[[Any, list[Any]], Any], name: str = "") -> None:
        super().__init__()
        self.fn = fn
        self.name = name

    def call(self, this: Any, args: list[Any]) -> Any:
        return self.fn(this, args)

    def construct(self, args: list[Any]) -> Any:
        raise JSThrow(type_error(f"{self.name or 'anonymous'} is not a constructor"))

    def has_instance(self, value: Any) -> bool:
        return False

    def get(self, key: str) -> Any:
        if key == "name":
            return self.name
        return super().get(key)

    def to_string(self) -> str:
        return f"function {self.name}() {{ [native code] }}"


class JSClass(JSFunction):
    """A constructor: ``new C(...args)`` calls ``make(args)``;
    ``v instanceof C`` holds for instances of ``instance_type``."""

    __slots__ = ("make", "instance_type")

    def __init__(
        self,
        name: str,
        make: Callable[[list[Any]], Any],
        instance_type: type,
        call: Callable[[Any, list[Any]], Any] | None = None,
    ) -> None:
        super().__init__(call or (lambda this, args: make(args)), name)
        self.make = make
        self.instance_type = instance_type

    def construct(self, args: list[Any]) -> Any:
        return self.make(args)

    def has_instance(self, value: Any) -> bool:
        return isinstance(value, self.instance_type)


def type_error(message: str) -> JSError:
    return JSError(message, "TypeError")


def is_number(v: Any) -> bool:
    t = type(v)
    return t is float or t is int


def _number_string(f: float) -> str:
    if f != f:
        return "NaN"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    if f == int(f) and abs(f) < 1e21:
        return str(int(f))
    text = repr(f)
    if "e" in text:
        mant, _, exp = text.partition("e")
        sign = "-" if exp.startswith("-") else "+"
        text = f"{mant.rstrip('0').rstrip('.') if '.' in mant else mant}e{sign}{exp.lstrip('+-').lstrip('0') or '0'}"
    return text


def js_string(v: Any) -> str:
    """JavaScript's ``String(v)``."""
    if v is UNDEFINED:
        return "undefined"
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if type(v) is str:
        return v
    if is_number(v):
        return _number_string(float(v))
    if isinstance(v, JSObject):
        return v.to_string()
    return str(v)


def to_number(v: Any) -> float:
    """JavaScript's ``Number(v)`` for the values Go passes."""
    if is_number(v):
        return float(v)
    if v is True:
        return 1.0
    if v is False or v is None:
        return 0.0
    if type(v) is str:
        try:
            return float(v.strip() or "0")
        except ValueError:
            return math.nan
    return math.nan


def to_integer(v: Any) -> int:
    f = to_number(v)
    if f != f or math.isinf(f):
        return 0
    return int(f)


def _to_uint8(v: Any) -> int:
    return to_integer(v) & 0xFF


def _array_length(v: Any) -> int:
    n = to_number(v)
    if n != n or n < 0 or n != int(n) or n > 2**32 - 1:
        raise JSThrow(JSError("Invalid array length", "RangeError"))
    return int(n)


def get_property(target: Any, key: str) -> Any:
    """``Reflect.get(target, key)``: a TypeError for a non-object."""
    if isinstance(target, JSObject):
        return target.get(key)
    if type(target) is str:
        if key == "length":
            return len(target.encode("utf-16-le")) // 2
        return UNDEFINED
    raise JSThrow(type_error(f"Cannot read properties of {js_string(target)} (reading '{key}')"))


def set_property(target: Any, key: str, value: Any) -> None:
    """``Reflect.set(target, key, value)``."""
    if not isinstance(target, JSObject):
        raise JSThrow(type_error(f"Cannot set properties of {js_string(target)} (setting '{key}')"))
    target.set(key, value)


def call_function(fn: Any, this: Any, args: list[Any], what: str) -> Any:
    """``Reflect.apply(fn, this, args)``: a TypeError if ``fn`` is not callable."""
    if not isinstance(fn, JSFunction):
        raise JSThrow(type_error(f"{what} is not a function"))
    return fn.call(this, args)


def construct(cls: Any, args: list[Any]) -> Any:
    """``Reflect.construct(cls, args)``."""
    if not isinstance(cls, JSFunction):
        raise JSThrow(type_error(f"{js_string(cls)} is not a constructor"))
    return cls.construct(args)


def instance_of(value: Any, cls: Any) -> bool:
    """``value instanceof cls``."""
    if not isinstance(cls, JSFunction):
        raise JSThrow(type_error("Right-hand side of 'instanceof' is not callable"))
    return cls.has_instance(value)


def length_of(v: Any) -> int:
    return to_integer(get_property(v, "length"))
