"""The compiler's generated source is the recorded one (see golden/__init__.py).

Every module of the shared corpus and every module the spec suite
instantiates: a change to the compiler that alters the generated Python
source of any function fails here; re-record with
``python -m tests.internal.engine.golden --record`` when the change is meant.
"""

from __future__ import annotations

import json

import pytest

from .golden import CORPUS, CORPUS_JSON, SPEC_JSON, SPECTEST, corpus_hashes, spec_hashes


def _differences(recorded: dict[str, str], now: dict[str, str]) -> list[str]:
    return sorted(k for k in set(recorded) | set(now) if recorded.get(k) != now.get(k))


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus absent ({CORPUS})")
def test_corpus_source_is_golden() -> None:
    recorded = json.loads(CORPUS_JSON.read_text())
    now = corpus_hashes()
    assert len(now) == len(recorded) >= 10
    assert _differences(recorded, now) == []


@pytest.mark.skipif(not SPECTEST.is_dir(), reason=f"shared spec suite absent ({SPECTEST})")
def test_spec_source_is_golden() -> None:
    recorded = json.loads(SPEC_JSON.read_text())
    now = spec_hashes()
    assert len(now) == len(recorded) > 2000
    assert _differences(recorded, now) == []
