"""Engines: the pluggable part of the runtime that executes functions.

``ENGINES`` maps an engine name (``RuntimeConfig(engine=...)``) to its
factory; an engine registers itself here when its package is importable.
"""

from __future__ import annotations

from typing import Any

ENGINES: dict[str, Any] = {}


def available_engines() -> list[str]:
    return sorted(ENGINES)
