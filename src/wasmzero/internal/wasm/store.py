"""The store: runtime instances of functions, tables, memories and globals,
and the module instances that own them.

Every type whose name ends with ``Instance`` belongs to exactly one store.
Values use the runtime representation of ``internal/numeric/bits.py``.

See https://webassembly.github.io/spec/core/exec/runtime.html
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable
from typing import Any

from ...errors import InstantiationError
from ..printable import printable
from .callstack import DEFAULT_MAX_CALL_DEPTH
from .types import PAGE_SIZE, FuncType, GlobalType, TableType
from .zeroed import zeroed

_type_ids: dict[FuncType, int] = {}
_type_lock = threading.Lock()


def type_id(ft: FuncType) -> int:
    """A process-wide small int per distinct function type, so that
    ``call_indirect`` compares ints."""
    tid = _type_ids.get(ft)
    if tid is None:
        with _type_lock:
            tid = _type_ids.setdefault(ft, len(_type_ids) + 1)
    return tid


class FunctionInstance:
    """A function: wasm (translated) or host. ``fn`` takes the parameters as
    positional raw values and returns None, one raw value, or a tuple."""

    __slots__ = ("type", "type_id", "fn", "module", "index", "host", "bind", "api", "__weakref__")

    def __init__(
        self,
        ft: FuncType,
        fn: Callable[..., Any],
        module: ModuleInstance | None,
        index: int,
        host: bool,
    ) -> None:
        self.type = ft
        self.type_id = type_id(ft)
        self.fn = fn
        self.module = module
        self.index = index
        self.host = host
        # Host functions that receive their caller: ``bind(importer)`` returns
        # the ``fn`` to use for one importing instance (set at link time).
        self.bind: Callable[[ModuleInstance], Callable[..., Any]] | None = None
        self.api: Any = None  # its wasmzero.Function wrapper, made once

    def debug_name(self) -> str:
        mod = self.module
        if mod is None:
            return f".${self.index}"
        return mod.debug_name(self.index)


class MemoryBudget:
    """The bytes of linear memory one runtime may hold at once, over all its
    memories (``RuntimeConfig.memory_budget``; None: no budget).

    Each memory registers a weak reference and a one-element list of the
    bytes it holds; what is in use is the sum over the memories still alive,
    counted when asked (no callback runs when a memory is freed: finalizers
    run at arbitrary points, even at the recursion limit, and may fail)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.lock = threading.Lock()
        self.entries: list[tuple[weakref.ref, list[int]]] = []

    def _used(self) -> int:
        live = [(ref, held) for ref, held in self.entries if ref() is not None]
        self.entries = live
        return sum(held[0] for _, held in live)

    @property
    def used(self) -> int:
        with self.lock:
            return self._used()

    def register(self, memory: Any, n: int) -> list[int] | None:
        """Count ``n`` bytes for ``memory`` (alive); the list holding its
        count, or None when the budget would be exceeded."""
        held = [n]
        if self.limit is None:
            return held
        with self.lock:
            if self._used() + n > self.limit:
                return None
            self.entries.append((weakref.ref(memory), held))
        return held

    def grow(self, held: list[int], n: int) -> bool:
        """Count ``n`` more bytes for the memory holding ``held``."""
        with self.lock:
            if self.limit is not None and self._used() + n > self.limit:
                return False
            held[0] += n
            return True

    def shrink(self, held: list[int], n: int) -> None:
        with self.lock:
            held[0] -= n


class MemoryInstance:
    """A linear memory: a bytearray whose length is a multiple of 64 KiB.

    Growing extends the same bytearray in place, so translated code that
    holds it keeps working; ``max_pages`` is the smaller of the memory type's
    maximum and the runtime's limit. Its bytes count against the runtime's
    ``budget`` while it lives; an allocation the budget or the system refuses
    is an ``InstantiationError`` (creation) or -1 (``grow``).
    """

    __slots__ = (
        "data",
        "min_pages",
        "max_pages",
        "declared_max",
        "views",
        "make_views",
        "users",
        "budget",
        "held",
        "__weakref__",
    )

    def __init__(
        self,
        min_pages: int,
        declared_max: int | None,
        limit_pages: int,
        budget: MemoryBudget | None = None,
    ) -> None:
        if min_pages > limit_pages:
            raise InstantiationError(
                f"memory minimum {min_pages} pages exceeds the runtime limit of {limit_pages} pages"
            )
        size = min_pages * PAGE_SIZE
        held = [size]
        if budget is not None:
            got = budget.register(self, size)
            if got is None:
                # Memories of instances no longer used may wait in reference
                # cycles: collect them, then ask again.
                gc.collect()
                got = budget.register(self, size)
            if got is None:
                raise InstantiationError(
                    f"memory of {min_pages} pages ({size} bytes) exceeds the runtime's memory "
                    f"budget ({budget.used} of {budget.limit} bytes in use)"
                )
            held = got
        try:
            self.data = zeroed(size)
        except (MemoryError, OverflowError):
            held[0] = 0
            raise InstantiationError(
                f"cannot allocate a memory of {min_pages} pages ({size} bytes): out of memory"
            ) from None
        self.budget = budget
        self.held = held  # bytes counted in the budget
        self.min_pages = min_pages
        self.declared_max = declared_max
        self.max_pages = limit_pages if declared_max is None else min(declared_max, limit_pages)
        # Views of the memory that an engine keeps in its namespaces (see
        # bind_views); they pin the bytearray's size, so grow() recreates them.
        self.views: dict[str, memoryview] = {}
        self.make_views: Callable[[bytearray], dict[str, memoryview]] | None = None
        self.users: list[weakref.ref] = []  # holders of a namespace `ns` bound to the views

    def bind_views(
        self, holder: Any, make_views: Callable[[bytearray], dict[str, memoryview]]
    ) -> None:
        """Put the views ``make_views`` makes of the memory (names and kinds
        are the engine's) in ``holder.ns`` and keep them current there when
        the memory grows."""
        if not self.views:
            self.make_views = make_views
            self.views = make_views(self.data)
        holder.ns.update(self.views)
        n = len(self.users)
        if n >= 64 and not n & (n - 1):
            # At each power of two, forget the holders gone (instances of an
            # imported memory come and go): the list stays proportional to
            # the live ones.
            self.users = [ref for ref, _ in self._live_users()]
        self.users.append(weakref.ref(holder))

    def _live_users(self) -> list[tuple[weakref.ref, Any]]:
        """(reference, holder) of the holders still alive and open."""
        out = []
        for ref in self.users:
            holder = ref()
            if holder is not None and holder.ns is not None:
                out.append((ref, holder))
        return out

    @property
    def pages(self) -> int:
        return len(self.data) >> 16

    def grow(self, delta: int) -> int:
        """Grow by ``delta`` pages; the previous size in pages, or -1."""
        old = len(self.data) >> 16
        if delta == 0:
            return old
        if old + delta > self.max_pages:
            return -1
        n = delta * PAGE_SIZE
        budget = self.budget
        if budget is not None and not budget.grow(self.held, n):
            return -1
        views = self.views
        for v in views.values():
            v.release()
        try:
            self.data.extend(bytes(n))
        except (MemoryError, OverflowError, BufferError):
            # BufferError: a host holds a memoryview of the memory, which
            # pins its size (see wasmzero.Memory.view).
            old = -1
            if budget is not None:
                budget.shrink(self.held, n)
        if views and self.make_views is not None:
            self.views = self.make_views(self.data)
            live = self._live_users()
            for _, holder in live:
                holder.ns.update(self.views)
            self.users = [ref for ref, _ in live]
        return old


# The most elements a table may have: a table is a Python list, and a module
# declaring 2**32 elements must fail cleanly rather than exhaust memory.
TABLE_LIMIT = 10_000_000


class TableInstance:
    """A table of references (None is null)."""

    __slots__ = ("elements", "elem_type", "max", "limit", "__weakref__")

    def __init__(self, tt: TableType, init: Any = None, limit: int = TABLE_LIMIT) -> None:
        if tt.limits.min > limit:
            raise InstantiationError(
                f"table minimum {tt.limits.min} elements exceeds the limit of {limit} "
                "(RuntimeConfig.table_limit_elements)"
            )
        self.limit = limit
        try:
            self.elements: list[Any] = [init] * tt.limits.min
        except MemoryError:
            raise InstantiationError(
                f"cannot allocate a table of {tt.limits.min} elements: out of memory"
            ) from None
        self.elem_type = tt.elem_type
        self.max = tt.limits.max

    def grow(self, delta: int, init: Any) -> int:
        old = len(self.elements)
        limit = 0xFFFFFFFF if self.max is None else self.max
        if old + delta > limit:
            return -1
        if old + delta > self.limit:
            return -1  # the spec allows growth to fail
        try:
            self.elements.extend([init] * delta)
        except MemoryError:
            return -1
        return old


class GlobalInstance:
    """A global variable; ``value`` is in the runtime representation."""

    __slots__ = ("type", "value", "__weakref__")

    def __init__(self, gt: GlobalType, value: Any) -> None:
        self.type = gt
        self.value = value


class ModuleInstance:
    """An instantiated module (wasm or host)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.functions: list[FunctionInstance] = []
        self.tables: list[TableInstance] = []
        self.memories: list[MemoryInstance] = []
        self.globals: list[GlobalInstance] = []
        # export name -> (extern kind, instance object)
        self.exports: dict[str, tuple[int, Any]] = {}
        self.func_names: dict[int, str] = {}
        self.module_name: str | None = None  # from the name section
        self.closed = False
        # The runtime's running calls (internal.interrupt.ActiveCalls) when
        # it is interruptible, else None.
        self.calls: Any = None
        # Its function listeners (internal.listen.Listening), or None.
        self.listening: Any = None
        # Its fuel meter (internal.engine.limits.Fuel) when metered, else None.
        self.fuel: Any = None
        # Calls and loop iterations a function runs interpreted before it is
        # translated (RuntimeConfig.tier_threshold; engine/tiering.py).
        self.tier_threshold: int | None = 0
        self.table_limit = TABLE_LIMIT  # RuntimeConfig.table_limit_elements
        self.exit_code: int | None = None
        # Python frames a call into this instance may nest (RuntimeConfig).
        self.max_call_depth = DEFAULT_MAX_CALL_DEPTH
        self.ns: dict[str, Any] | None = None  # namespace of translated code
        self.sys: Any = None  # internal.sys.SysContext of this instance
        self.api: Any = None  # the public wasmzero.Module wrapping this instance
        # api.FunctionDefinition per function index (own and imported).
        self.definitions: Any = []  # a list, or FunctionDefinitions (definitions.py)

    def debug_name(self, index: int) -> str:
        """``module.function`` as printed in stack traces, names escaped
        (they come from the module: see ``internal.printable``)."""
        fname = self.func_names.get(index)
        mod = printable(self.module_name if self.module_name is not None else self.name)
        return f"{mod}.{printable(fname)}" if fname is not None else f"{mod}.${index}"


class Store:
    """Module instances by name, for import resolution."""

    def __init__(self) -> None:
        self.modules: dict[str, ModuleInstance] = {}
        self.lock = threading.Lock()

    def register(self, name: str, instance: ModuleInstance) -> None:
        with self.lock:
            if name in self.modules:
                raise InstantiationError(f"module[{printable(name)}] has already been instantiated")
            self.modules[name] = instance

    def unregister(self, name: str, instance: ModuleInstance) -> None:
        with self.lock:
            if self.modules.get(name) is instance:
                del self.modules[name]
