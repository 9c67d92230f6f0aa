"""Every engine gives the same wasm stack trace for every trap of the spec
suite's trapping scripts (issue 21 item 3)."""

from __future__ import annotations

from typing import Any

import pytest

from wasmzero import Trap

from .runner import SPECTEST, ScriptRunner

SCRIPTS = [
    "call",
    "call_indirect",
    "traps",
    "memory_trap",
    "unreachable",
    "conversions",
    "int_exprs",
]

if not (SPECTEST / "v2").is_dir():
    pytest.skip(f"the spec suite is not at {SPECTEST}", allow_module_level=True)


class _Recorder(ScriptRunner):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.traces: list[tuple[int, str, list[str]]] = []

    def command(self, cmd: dict[str, Any]) -> str | None:
        if cmd["type"] == "assert_trap" and "action" in cmd:
            try:
                self.perform(cmd["action"])
            except Trap as e:
                self.traces.append((cmd["line"], e.kind.value, e.wasm_stack))
        return super().command(cmd)


@pytest.mark.parametrize("script", SCRIPTS)
def test_same_trap_traces_on_both_engines(script: str) -> None:
    traces = {}
    for engine in ("compiler", "interpreter", "native"):
        r = _Recorder("v2", script, engine)
        r.run()
        traces[engine] = r.traces
    assert traces["compiler"], "the script has traps"
    assert all(stack for _, _, stack in traces["compiler"])
    assert traces["interpreter"] == traces["compiler"]
    assert traces["native"] == traces["compiler"]
