"""Golden hashes of the compiler engine's generated Python source.

For every module of the shared benchmark corpus (``../shared/bench/wasm``) and
every module the spec suite instantiates (``../shared/spectest`` v1 and v2:
``module``, ``assert_unlinkable`` and ``assert_uninstantiable`` commands), the
sources of its defined functions, in function order, are concatenated and
hashed (sha256). The hashes are checked in (``corpus.json``, ``spec.json``) so
that a restructuring of the compiler that must not change its output proves
it does not; a change that is meant to alter the output re-records them and
says why in its commit::

    python -m tests.internal.engine.golden --record

A function the translator refuses (``TranslationLimit``: the engine
interprets it) contributes a fixed marker instead of its source.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

SHARED = Path(os.environ.get("WASMZERO_SHARED", Path(__file__).resolve().parents[5] / "shared"))
CORPUS = SHARED / "bench" / "wasm"
SPECTEST = SHARED / "spectest"
HERE = Path(__file__).resolve().parent
CORPUS_JSON = HERE / "corpus.json"
SPEC_JSON = HERE / "spec.json"

_INSTANTIATED = ("module", "assert_unlinkable", "assert_uninstantiable")


def module_sources(data: bytes, features: object) -> list[str]:
    """The generated source of every defined function of a module."""
    from wasmzero.internal.binary.decoder import decode_module
    from wasmzero.internal.engine.compiler.translate import TranslationLimit, translate_function
    from wasmzero.internal.engine.context import ModuleContext
    from wasmzero.internal.wasm.validation import validate_module

    module = decode_module(data, features)
    validate_module(module, features)
    ctx = ModuleContext.of(module)
    out = []
    for index in range(ctx.num_imported_funcs, len(ctx.func_types)):
        try:
            out.append(translate_function(ctx, index))
        except TranslationLimit:
            out.append(f"# TranslationLimit f{index}\n")
    return out


def digest(sources: list[str]) -> str:
    return hashlib.sha256("".join(sources).encode()).hexdigest()


def corpus_modules() -> list[Path]:
    return sorted(CORPUS.glob("*.wasm"))


def spec_modules() -> list[tuple[str, str]]:
    """(suite, filename) of every module the spec scripts instantiate."""
    out: set[tuple[str, str]] = set()
    for suite in ("v1", "v2"):
        for script in sorted((SPECTEST / suite).glob("*.json")):
            for cmd in json.loads(script.read_text())["commands"]:
                if cmd["type"] in _INSTANTIATED and cmd.get("filename", "").endswith(".wasm"):
                    out.add((suite, cmd["filename"]))
    return sorted(out)


def corpus_hashes() -> dict[str, str]:
    from wasmzero.api import CoreFeatures

    return {
        p.name: digest(module_sources(p.read_bytes(), CoreFeatures.V2)) for p in corpus_modules()
    }


def spec_hash(suite: str, filename: str) -> str:
    from wasmzero.api import CoreFeatures

    features = CoreFeatures.V1 if suite == "v1" else CoreFeatures.V2
    return digest(module_sources((SPECTEST / suite / filename).read_bytes(), features))


def spec_hashes() -> dict[str, str]:
    return {f"{suite}/{name}": spec_hash(suite, name) for suite, name in spec_modules()}


def record() -> None:
    for path, hashes in ((CORPUS_JSON, corpus_hashes()), (SPEC_JSON, spec_hashes())):
        path.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
        print(f"{path.name}: {len(hashes)} modules")


def check() -> int:
    """Compare everything with the recorded hashes; the number of differences."""
    bad = 0
    for path, hashes in ((CORPUS_JSON, corpus_hashes()), (SPEC_JSON, spec_hashes())):
        want = json.loads(path.read_text())
        for key in sorted(set(want) | set(hashes)):
            if want.get(key) != hashes.get(key):
                print(f"{path.name}: {key} differs")
                bad += 1
    return bad
