"""Configuration: :class:`RuntimeConfig` for a runtime, :class:`ModuleConfig`
for one instantiation. Both are read-only; derive variants with their
``replace(**changes)`` method.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO

from .api import CoreFeatures
from .cache import CompilationCache
from .internal.record import record, replace_fields

#: The default ``RuntimeConfig.tier_threshold`` (chosen by measurement:
#: benchmarks/README.md, "Tiering").
TIER_THRESHOLD = 0

__all__ = ["RuntimeConfig", "ModuleConfig", "Mount"]


@record(frozen=True, readonly=True)
class RuntimeConfig:
    """How a :class:`~wasmzero.Runtime` compiles and runs modules.

    Ex.::

        Runtime(RuntimeConfig(engine="compiler", features=CoreFeatures.V1))

    Attributes:
        engine: ``"auto"`` (default): ``"native"`` where machine code can
            run (x86-64 Linux with executable memory), else ``"compiler"``;
            ``"native"``: WebAssembly compiled to x86-64 machine code (a
            function it cannot compile, and an instance with fuel or
            listeners, runs as the compiler engine runs it);
            ``"compiler"``: WebAssembly translated to Python;
            ``"interpreter"``: the reference interpreter.
        features: the core features enabled; ``CoreFeatures.V2`` by default.
        memory_limit_pages: the most pages (64 KiB each) any memory may have;
            ``memory.grow`` beyond it returns -1. Default 65536 (4 GiB).
        memory_budget: the most bytes of linear memory the runtime's memories
            (defined, host and of every instance) may hold together; a memory
            that would exceed it fails to instantiate (``InstantiationError``)
            and ``memory.grow`` beyond it returns -1. A memory's bytes return
            to the budget when it is freed. Default 8 GiB; None for no
            budget. Memory the system cannot provide fails the same way,
            never with a bare ``MemoryError``.
        compilation_cache: a :class:`~wasmzero.CompilationCache` shared with
            other runtimes (and processes, when it has a directory).
        custom_sections: keep custom sections so that
            ``CompiledModule.custom_sections`` returns them (off by default,
            as in wazero, to save memory).
        max_call_depth: how deeply a call into wasm may nest, in Python
            frames beyond the caller's recursion limit
            (``sys.getrecursionlimit()``): one per call of a translated
            function, three per interpreted call, those a host function
            uses. Beyond it -- or beyond what the calling thread's stack
            holds, whichever comes first -- the call traps with
            ``CALL_STACK_EXHAUSTED``; the process never crashes. Default
            30,000: wasm recursion 10,000 deep works on both engines (on
            CPython 3.10, whose Python frames use the C stack, at most 11,000
            frames apply: 10,000 translated calls, about 3,600 interpreted).
            The outermost call's runtime decides for calls nested in it
            (wasm -> host -> wasm). See "Threads" in the README.
        lazy_validation: decode and validate each function body when it is
            first used rather than at compile time: an invalid body then
            raises ``ValidationError`` at its function's first call, before
            it runs (everything else is still validated at compile time).
            ``None`` (default) does so for modules whose code section is
            256 KiB or more, where checking everything up front costs a large
            part of a run (0.4 s of a 1 MB SQLite's);
            ``False`` validates every module whole at compile time.
        interruptible: keep track of running calls so that they can be
            stopped: ``Runtime.deadline(seconds)``, and ``Module.close`` or
            ``Runtime.close`` from another thread stop code that is running
            (with ``Trap(DEADLINE_EXCEEDED)`` or ``ExitError(exit_code)``).
            Off by default: a non-interruptible runtime pays nothing.
        call_timeout: seconds every outermost call into a module may run
            (implies ``interruptible``); None for no limit.
        listener_factory: ``factory(module_name, definition)`` returning a
            :class:`~wasmzero.experimental.FunctionListener` (or None) for
            each function of each instantiated module (experimental; see
            :mod:`wasmzero.experimental`). None: no listeners, no cost.
        table_limit_elements: the most elements any table may have
            (instantiation beyond it fails, ``table.grow`` returns -1).
        tier_threshold: the compiler engine's tiering: how many calls a
            function, and how many iterations each of its loops, run in the
            interpreter before being translated to Python (a hot loop of a
            running call continues translated: on-stack replacement). 0:
            translate each function at its first call; None: never
            translate (interpret all). Translations read from the
            compilation cache run at once. Ignored by the interpreter
            engine.
        fuel: meter each module instance's work: the units each instance
            starts with (``Module.fuel`` reads and refills them), one unit
            charged per function entry and per loop iteration (a loop
            header reached), the same count in both engines; a call that
            spends the last unit stops with ``Trap(OUT_OF_FUEL)``. None
            (default): no metering, and no charges in the code.
    """

    engine: str = "auto"
    features: CoreFeatures = CoreFeatures.V2
    memory_limit_pages: int = 65536
    memory_budget: int | None = 8 * 1024**3
    compilation_cache: CompilationCache | None = None
    custom_sections: bool = False
    max_call_depth: int = 30_000
    lazy_validation: bool | None = None
    interruptible: bool = False
    call_timeout: float | None = None
    table_limit_elements: int = 10_000_000
    fuel: int | None = None
    tier_threshold: int | None = TIER_THRESHOLD
    listener_factory: Callable[[str, Any], Any] | None = None

    def replace(self, **changes: Any) -> RuntimeConfig:
        """A copy with the given fields changed (the config is read-only)."""
        return replace_fields(self, **changes)

    def __post_init__(self) -> None:
        t = self.tier_threshold
        if t is not None and (isinstance(t, bool) or not isinstance(t, int) or t < 0):
            raise ValueError(f"tier_threshold must be None or an int >= 0, got {t!r}")
        fuel = self.fuel
        if fuel is not None and (isinstance(fuel, bool) or not isinstance(fuel, int) or fuel < 0):
            raise ValueError(f"fuel must be None or an int >= 0, got {self.fuel!r}")
        if self.call_timeout is not None and not self.call_timeout > 0:
            raise ValueError(f"call_timeout must be None or > 0, got {self.call_timeout!r}")
        if not 0 <= self.table_limit_elements <= 0xFFFFFFFF:
            raise ValueError(
                f"table_limit_elements must be in [0, 2**32), got {self.table_limit_elements}"
            )
        if not 0 <= self.memory_limit_pages <= 65536:
            raise ValueError(
                f"memory_limit_pages must be in [0, 65536], got {self.memory_limit_pages}"
            )
        if self.memory_budget is not None and (
            not isinstance(self.memory_budget, int) or self.memory_budget < 0
        ):
            raise ValueError(f"memory_budget must be None or >= 0, got {self.memory_budget!r}")
        if not isinstance(self.max_call_depth, int) or not 1 <= self.max_call_depth <= 1_000_000:
            raise ValueError(f"max_call_depth must be in [1, 1000000], got {self.max_call_depth!r}")


@record(frozen=True, readonly=True)
class Mount:
    """A host directory made visible to the guest (WASI pre-open).

    Attributes:
        host_dir: the directory on the host.
        guest_path: where the guest sees it (``"/"`` by default).
        read_only: refuse every write through this mount.
    """

    host_dir: str
    guest_path: str = "/"
    read_only: bool = False

    def replace(self, **changes: Any) -> Mount:
        """A copy with the given fields changed."""
        return replace_fields(self, **changes)


def _fake_walltime_source() -> Callable[[], int]:
    # Like wazero's fake clock: starts at 2022-01-01T00:00:00Z and advances
    # 1 ms per reading, so programs see time move but runs are reproducible.
    state = [1640995200 * 1_000_000_000]

    def walltime() -> int:
        state[0] += 1_000_000
        return state[0]

    return walltime


def _fake_nanotime_source() -> Callable[[], int]:
    state = [0]

    def nanotime() -> int:
        state[0] += 1_000_000
        return state[0]

    return nanotime


def _fake_random_source() -> Callable[[int], bytes]:
    # Deterministic bytes (a fixed-seed generator), never the OS's entropy.
    import random

    rng = random.Random(42)
    return rng.randbytes


@record(frozen=True, readonly=True)
class ModuleConfig:
    """Per-instantiation settings: the instance's name and its sandboxed
    system (what WASI exposes).

    Defaults are sandboxed like wazero's: no arguments or environment, empty
    stdin, output discarded, no filesystem, fake clocks (walltime starting
    2022-01-01 and nanotime starting 0, each advancing 1 ms per reading), a
    sleeper that returns at once, and deterministic random bytes. The
    ``with_sys_*`` methods switch to the real ones.

    Ex.::

        ModuleConfig(name="app", args=("app", "-v"), env={"HOME": "/"},
                     stdout=sys.stdout.buffer,
                     mounts=(Mount("data", "/data", read_only=True),)
                     ).with_sys_walltime().with_sys_nanotime()

    Attributes:
        name: the instance's name, by which other modules import from it; ""
            for an anonymous instance (any number of them may exist).
        args: program arguments (``argv``, including the program name).
        env: environment variables, in order (a mapping or key/value pairs).
        stdin, stdout, stderr: binary file-like objects (``read``/``write``),
            or None for empty input / discarded output.
        mounts: directories pre-opened for the guest.
        walltime: returns nanoseconds since the Unix epoch.
        nanotime: returns monotonic nanoseconds.
        nanosleep: sleeps for the given nanoseconds.
        random: returns the given number of random bytes.
        start_functions: exported functions called after instantiation, in
            order, if they exist; ``()`` for none. The spec's start section
            always runs first.
    """

    name: str = ""
    args: tuple[str | bytes, ...] = ()
    env: Mapping[str, str] | tuple[tuple[str, str], ...] = ()
    stdin: BinaryIO | None = None
    stdout: BinaryIO | None = None
    stderr: BinaryIO | None = None
    mounts: tuple[Mount, ...] = ()
    walltime: Callable[[], int] | None = None
    nanotime: Callable[[], int] | None = None
    nanosleep: Callable[[int], None] | None = None
    random: Callable[[int], bytes] | None = None
    start_functions: tuple[str, ...] = ("_start",)

    def __post_init__(self) -> None:
        env = self.env
        pairs = tuple(env.items()) if isinstance(env, Mapping) else tuple(tuple(p) for p in env)
        object.__setattr__(self, "env", pairs)
        object.__setattr__(self, "args", tuple(self.args))
        object.__setattr__(self, "mounts", tuple(self.mounts))
        object.__setattr__(self, "start_functions", tuple(self.start_functions))

    def replace(self, **changes: Any) -> ModuleConfig:
        """A copy with the given fields changed (the config is read-only).

        Ex.: ``cfg.replace(name="other", args=("prog", "-v"))``."""
        return replace_fields(self, **changes)

    def with_sys_walltime(self) -> ModuleConfig:
        """Use the host's real-time clock."""
        return self.replace(walltime=time.time_ns)

    def with_sys_nanotime(self) -> ModuleConfig:
        """Use the host's monotonic clock."""
        return self.replace(nanotime=time.monotonic_ns)

    def with_sys_nanosleep(self) -> ModuleConfig:
        """Really sleep."""
        from .internal.interrupt import sleep_ns

        # Woken early if the call is stopped (a deadline, a close).
        return self.replace(nanosleep=sleep_ns)

    def with_os_random(self) -> ModuleConfig:
        """Use the operating system's entropy (``os.urandom``)."""
        return self.replace(random=os.urandom)

    def with_sys(self) -> ModuleConfig:
        """All real: clocks, sleep and random."""
        return self.with_sys_walltime().with_sys_nanotime().with_sys_nanosleep().with_os_random()
