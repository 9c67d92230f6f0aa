"""The system a module instance sees (what WASI exposes): arguments,
environment, stdio, clocks, random and pre-opened directories, fixed from a
:class:`~wasmzero.config.ModuleConfig` at instantiation.

One :class:`SysContext` per module instance (like wazero's ``sys.Context``);
host modules such as WASI reach it through the calling instance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO

from ..config import (
    ModuleConfig,
    Mount,
    _fake_nanotime_source,
    _fake_random_source,
    _fake_walltime_source,
)


def _encode(value: str | bytes, what: str) -> bytes:
    b = value.encode() if isinstance(value, str) else bytes(value)
    if b"\0" in b:
        raise ValueError(f"{what} contains a NUL byte: {value!r}")
    return b


class SysContext:
    """The sandboxed system of one module instance.

    Attributes:
        args: argv as NUL-free byte strings.
        environ: ``KEY=VALUE`` byte strings, in order.
        stdin, stdout, stderr: binary file objects or None (empty / discard).
        mounts: the pre-opened directories.
        walltime(), nanotime(): nanoseconds; nanosleep(ns); random(n) -> bytes.
        fs: per-instance filesystem state owned by the WASI implementation
            (its file descriptor table), created on first use.
        host_state: per-instance state of other host modules, by module name
            (the ``gojs`` host keeps its JavaScript value table here).
    """

    __slots__ = (
        "args",
        "environ",
        "stdin",
        "stdout",
        "stderr",
        "mounts",
        "walltime",
        "nanotime",
        "nanosleep",
        "random",
        "fs",
        "host_state",
    )

    def __init__(self, config: ModuleConfig) -> None:
        self.args = [_encode(a, "argument") for a in config.args]
        environ = []
        for key, value in config.env:
            k = _encode(key, "environment key")
            if b"=" in k or not k:
                raise ValueError(f"invalid environment key {key!r}")
            environ.append(k + b"=" + _encode(value, "environment value"))
        self.environ = environ
        self.stdin: BinaryIO | None = config.stdin
        self.stdout: BinaryIO | None = config.stdout
        self.stderr: BinaryIO | None = config.stderr
        self.mounts: tuple[Mount, ...] = config.mounts
        self.walltime: Callable[[], int] = config.walltime or _fake_walltime_source()
        self.nanotime: Callable[[], int] = config.nanotime or _fake_nanotime_source()
        self.nanosleep: Callable[[int], None] = config.nanosleep or (lambda ns: None)
        self.random: Callable[[int], bytes] = config.random or _fake_random_source()
        self.fs: Any = None
        self.host_state: dict[str, Any] = {}
